#include "coverage_options.hpp"

#include <algorithm>
#include <cctype>

#include "arguments.hpp"

namespace tach_cli {

namespace {

std::string quoted(std::string_view value) { return "'" + std::string(value) + "'"; }

} // namespace

void parse_cov_report(std::string_view option, std::string_view value, CoverageArguments &out) {
    const std::size_t colon = value.find(':');
    const std::string kind(value.substr(0, colon));
    const bool has_file = colon != std::string_view::npos;
    const std::string file = has_file ? std::string(value.substr(colon + 1)) : "";
    const bool is_term = kind == "term" || kind == "term-missing";
    const bool is_file = kind == "xml" || kind == "json" || kind == "lcov";
    if (!is_term && !is_file && !kind.empty()) {
        std::string why = "invalid choice " + quoted(value) +
                          " (choose from 'term', 'term-missing', 'xml', 'json', 'lcov'";
        if (kind == "html" || kind == "annotate")
            why += "; tach writes no " + kind + " report";
        throw UsageError("argument " + std::string(option) + ": " + why + ")");
    }
    if (has_file && !is_file) {
        if (is_term && file == "skip-covered")
            throw UsageError("argument " + std::string(option) + ": " + quoted(value) +
                             ": tach does not skip covered files");
        throw UsageError("argument " + std::string(option) + ": output file not supported for " +
                         quoted(value) + " (only for 'xml', 'json', 'lcov')");
    }
    if (has_file && file.empty())
        throw UsageError("argument " + std::string(option) + ": expected a file name after " +
                         quoted(kind + ":"));
    out.reports[kind] = file;
}

void parse_cov_context(std::string_view option, std::string_view value, CoverageArguments &out) {
    if (value != "test")
        throw UsageError("argument " + std::string(option) + ": invalid choice " + quoted(value) +
                         " (the only context is 'test')");
    out.contexts = true;
}

CoveragePlan coverage_plan(const CoverageArguments &args) {
    CoveragePlan plan;
    plan.enabled = args.cov && !args.no_cov;
    if (!plan.enabled)
        return plan;
    if (!args.all_sources)
        plan.sources = args.sources;
    plan.contexts = args.contexts;

    std::map<std::string, std::string> reports = args.reports;
    if (reports.empty())
        reports["term"] = "";
    else if (reports.size() == 1 && reports.count(""))
        reports.clear();
    reports.erase("");
    plan.missing = reports.count("term-missing") > 0;
    plan.table = plan.missing || reports.count("term") > 0;

    const struct {
        const char *kind;
        CoverageFile file;
        const char *default_path;
    } files[] = {
        {"xml", CoverageFile::Xml, "coverage.xml"},
        {"json", CoverageFile::Json, "coverage.json"},
        {"lcov", CoverageFile::Lcov, "coverage.lcov"},
    };
    for (const auto &f : files) {
        const auto it = reports.find(f.kind);
        if (it != reports.end())
            plan.files.push_back({f.file, it->second.empty() ? f.default_path : it->second});
    }
    return plan;
}

std::string python_version_info(std::string_view version) {
    // major.minor.micro, then an optional a/b/rc and serial; a "+" (an
    // unreleased build) is dropped.
    std::size_t i = 0;
    int dots = 0;
    while (i < version.size() &&
           (std::isdigit(static_cast<unsigned char>(version[i])) || version[i] == '.')) {
        if (version[i] == '.')
            dots++;
        i++;
    }
    std::string base(version.substr(0, i));
    if (dots == 1)
        base += ".0";
    std::string_view rest = version.substr(i);
    while (!rest.empty() && rest.back() == '+')
        rest.remove_suffix(1);
    std::string level = "final";
    std::string_view serial = "0";
    const struct {
        const char *tag;
        const char *level;
    } levels[] = {{"rc", "candidate"}, {"a", "alpha"}, {"b", "beta"}};
    for (const auto &l : levels) {
        const std::string_view tag = l.tag;
        if (rest.substr(0, tag.size()) == tag) {
            level = l.level;
            serial = rest.substr(tag.size());
            if (serial.empty())
                serial = "0";
            break;
        }
    }
    return base + "-" + level + "-" + std::string(serial);
}

std::string coverage_title_line(std::string_view python_version) {
    // pytest-cov writes its report into a string buffer, which has no sep():
    // its own fallback centres the title in 70 columns, whatever the
    // terminal's width.
    const std::string title =
        "coverage: platform linux, python " + python_version_info(python_version);
    const std::size_t total = title.size() + 2 < 70 ? 70 - 2 - title.size() : 2;
    const std::size_t side = std::max<std::size_t>(total, 2) / 2;
    const std::size_t extra = std::max<std::size_t>(total, 2) % 2;
    return std::string(side, '-') + " " + title + " " + std::string(side + extra, '-');
}

std::string coverage_written_line(const CoverageOutput &output) {
    const char *name = output.kind == CoverageFile::Xml    ? "XML"
                       : output.kind == CoverageFile::Json ? "JSON"
                                                           : "LCOV";
    return std::string("Coverage ") + name + " written to file " + output.path;
}

} // namespace tach_cli
