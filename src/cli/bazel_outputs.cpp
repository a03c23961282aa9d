#include "bazel_outputs.hpp"

#include <cstdio>
#include <map>

#include "utf8.hpp"

namespace tach_cli {

namespace {

std::string number(double value) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.6f", value);
    return buffer;
}

// tach_outcome_name's words, without needing the library (the self-test
// links none).
std::string outcome_key(tach::Outcome outcome) {
    switch (outcome) {
    case tach::Outcome::Passed:
        return "passed";
    case tach::Outcome::Failed:
        return "failed";
    case tach::Outcome::Skipped:
        return "skipped";
    case tach::Outcome::XFailed:
        return "xfailed";
    case tach::Outcome::XPassed:
        return "xpassed";
    case tach::Outcome::Error:
        return "error";
    case tach::Outcome::Crashed:
        return "crashed";
    case tach::Outcome::Timeout:
        return "timeout";
    }
    return "unknown";
}

std::string_view next_line(std::string_view &rest) {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

bool under(const std::string &path, const std::string &root) {
    return !root.empty() && path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
           (root.back() == '/' || path[root.size()] == '/');
}

} // namespace

std::string json_quote(std::string_view text) {
    std::string out = "\"";
    std::size_t pos = 0;
    while (pos < text.size()) {
        const char32_t cp = next_code_point(text, pos);
        switch (cp) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (cp < 0x20 || cp == 0x7f) {
                char buffer[8];
                std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
                out += buffer;
            } else {
                append_utf8(out, cp);
            }
        }
    }
    return out + "\"";
}

std::string render_json_report(const Session &session, int exit_code) {
    std::map<std::string, std::size_t> summary;
    for (const TestRecord &record : session.records)
        summary[outcome_key(record.outcome)]++;
    std::string out = "{\n  \"tach_report\": 1,\n";
    out += "  \"exitcode\": " + std::to_string(exit_code) + ",\n";
    out += "  \"duration\": " + number(session.duration) + ",\n";
    out += "  \"python\": " + json_quote(session.python_version) + ",\n";
    out += "  \"pytest\": " + json_quote(session.pytest_version) + ",\n";
    out += "  \"isolation\": " + json_quote(session.isolation) + ",\n";
    out += "  \"collected\": " + std::to_string(session.collected) + ",\n";
    out += "  \"deselected\": " + std::to_string(session.deselected) + ",\n";
    out += "  \"summary\": {";
    const char *sep = "";
    for (const auto &[outcome, count] : summary) {
        out += sep + json_quote(outcome) + ": " + std::to_string(count);
        sep = ", ";
    }
    out += "},\n  \"tests\": [";
    sep = "\n";
    for (const TestRecord &record : session.records) {
        out += sep;
        out += "    {\"nodeid\": " + json_quote(record.nodeid) +
               ", \"outcome\": " + json_quote(outcome_key(record.outcome)) +
               ", \"duration\": " + number(record.duration) +
               ", \"phase\": " + json_quote(record.phase) +
               ", \"message\": " + json_quote(record.message) +
               ", \"longrepr\": " + json_quote(record.longrepr) +
               ", \"teardown_failed\": " + (record.teardown_failed ? "true" : "false") + "}";
        sep = ",\n";
    }
    out += session.records.empty() ? "],\n" : "\n  ],\n";
    out += "  \"collect_errors\": [";
    sep = "\n";
    for (const tach::CollectError &error : session.collect_errors) {
        out += sep;
        out += "    {\"nodeid\": " + json_quote(error.nodeid) +
               ", \"longrepr\": " + json_quote(error.text) + "}";
        sep = ",\n";
    }
    out += session.collect_errors.empty() ? "]\n}\n" : "\n  ]\n}\n";
    return out;
}

std::vector<std::string> manifest_entries(std::string_view text) {
    std::vector<std::string> entries;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (!line.empty())
            entries.emplace_back(line);
    }
    return entries;
}

std::string lcov_for_bazel(std::string_view lcov, const std::vector<std::string> &entries,
                           const std::function<std::string(const std::string &)> &resolve,
                           const std::string &root) {
    std::map<std::string, std::string> name_of; // reported path -> manifest entry
    for (const std::string &entry : entries) {
        name_of.emplace(entry, entry);
        const std::string resolved = resolve(entry);
        if (!resolved.empty())
            name_of.emplace(resolved, entry);
    }
    std::string out;
    std::string pending; // TN: and anything else before a record's SF:
    std::string record;
    bool keep = false;
    bool in_record = false;
    while (!lcov.empty()) {
        const std::string_view line = next_line(lcov);
        if (!in_record && line.rfind("SF:", 0) == 0) {
            const std::string path(line.substr(3));
            std::string name;
            if (entries.empty())
                name = under(path, root) ? path.substr(root.size() + (root.back() == '/' ? 0 : 1))
                                         : path;
            else if (const auto it = name_of.find(path); it != name_of.end())
                name = it->second;
            keep = !name.empty();
            in_record = true;
            record = pending + "SF:" + name + "\n";
            pending.clear();
            continue;
        }
        if (!in_record) {
            pending += std::string(line) + "\n";
            continue;
        }
        record += std::string(line) + "\n";
        if (line == "end_of_record") {
            if (keep)
                out += record;
            record.clear();
            in_record = false;
        }
    }
    out += pending;
    return out;
}

} // namespace tach_cli
