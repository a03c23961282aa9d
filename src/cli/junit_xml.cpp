#include "junit_xml.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <vector>

#include "report_format.hpp"
#include "utf8.hpp"

namespace tach_cli {

namespace {

// XML 1.0's Char production (minus DEL, which pytest also escapes).
bool xml_allowed(char32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0x7E) ||
           (cp >= 0x80 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

std::string format_seconds(double seconds) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.3f", seconds);
    return buffer;
}

// One element with attributes and escaped text; self-closing when empty,
// as ElementTree writes it.
class Element {
public:
    explicit Element(std::string tag) : tag_(std::move(tag)) {}

    Element &attr(const std::string &name, std::string_view value) {
        attrs_ += " " + name + "=\"" + xml_escape_attr(bin_xml_escape(value)) + "\"";
        return *this;
    }
    Element &text(std::string_view text) {
        body_ += xml_escape_text(bin_xml_escape(text));
        return *this;
    }
    Element &child(const Element &element) { return raw(element.str()); }
    // Already-serialised children.
    Element &raw(std::string_view xml) {
        body_ += xml;
        return *this;
    }
    std::string str() const {
        if (body_.empty())
            return "<" + tag_ + attrs_ + " />";
        return "<" + tag_ + attrs_ + ">" + body_ + "</" + tag_ + ">";
    }

private:
    std::string tag_;
    std::string attrs_;
    std::string body_;
};

struct SuiteStats {
    std::size_t passed = 0;
    std::size_t failures = 0;
    std::size_t skipped = 0;
    std::size_t errors = 0;
    std::size_t double_fail = 0;  // failed tests whose teardown failed too
};

// pytest writes str(longrepr), which strips both ends.
std::string xml_text(std::string_view longrepr) { return std::string(python_strip(longrepr)); }

// reprcrash.message when there is one, else str(longrepr) (pytest's
// append_failure / append_error).
std::string reason_of(const std::string &message, const std::string &longrepr) {
    return message.empty() ? xml_text(longrepr) : message;
}

Element testcase_element(const TestRecord &record, double seconds) {
    const TestAddress address = mangle_test_address(record.nodeid);
    Element testcase("testcase");
    testcase.attr("classname", address.classname)
        .attr("name", address.name)
        .attr("time", format_seconds(seconds));
    return testcase;
}

Element error_element(const std::string &when, const std::string &message,
                      const std::string &longrepr) {
    return Element("error")
        .attr("message", "failed on " + when + " with \"" + reason_of(message, longrepr) + "\"")
        .text(xml_text(longrepr));
}

bool is_failure_element(tach::Outcome outcome) {
    return outcome == tach::Outcome::Failed || outcome == tach::Outcome::Crashed ||
           outcome == tach::Outcome::Timeout;
}

// The <testcase> elements of one test, as pytest's LogXML writes them: one,
// or two when a failed test's teardown failed too (pytest closes the
// failure's testcase and opens another for the teardown's error).
std::string testcases_for(const TestRecord &record, SuiteStats &stats) {
    Element testcase = testcase_element(record, record.duration);
    const std::string_view reason = bare_reason(record.message);

    switch (record.outcome) {
    case tach::Outcome::Passed:
    case tach::Outcome::XPassed:  // a non-strict xpass is a pass to pytest's xml
        stats.passed++;
        break;
    case tach::Outcome::Failed:
        stats.failures++;
        testcase.child(Element("failure")
                           .attr("message", reason_of(record.message, record.longrepr))
                           .text(xml_text(record.longrepr)));
        break;
    case tach::Outcome::Crashed:
        stats.failures++;
        testcase.child(Element("failure")
                           .attr("message", "crashed: " + record.message)
                           .text(xml_text(record.longrepr)));
        break;
    case tach::Outcome::Timeout:
        stats.failures++;
        testcase.child(Element("failure")
                           .attr("message", "timeout: " + record.message)
                           .text(xml_text(record.longrepr)));
        break;
    case tach::Outcome::Error:
        stats.errors++;
        testcase.child(error_element(record.phase == "teardown" ? "teardown" : "setup",
                                     record.message, record.longrepr));
        break;
    case tach::Outcome::Skipped:
        stats.skipped++;
        testcase.child(Element("skipped")
                           .attr("type", "pytest.skip")
                           .attr("message", reason)
                           .text(record.longrepr.empty() ? std::string(reason)
                                                         : xml_text(record.longrepr)));
        break;
    case tach::Outcome::XFailed:
        stats.skipped++;
        testcase.child(Element("skipped").attr("type", "pytest.xfail").attr("message", reason));
        break;
    }
    if (!record.teardown_failed)
        return testcase.str();

    // The teardown's error counts beside the outcome.
    stats.errors++;
    const Element error =
        error_element("teardown", record.teardown_message, record.teardown_longrepr);
    if (!is_failure_element(record.outcome)) {
        testcase.child(error);
        return testcase.str();
    }
    stats.double_fail++;
    // The whole test's time stays on the failure; the teardown's own is not
    // known apart.
    return testcase.str() + testcase_element(record, 0.0).child(error).str();
}

} // namespace

std::string bin_xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        const char32_t cp = next_code_point(text, pos);
        if (xml_allowed(cp) && !(cp == 0xFFFD && pos - start == 1 &&
                                 static_cast<unsigned char>(text[start]) >= 0x80)) {
            out.append(text.substr(start, pos - start));
            continue;
        }
        // An invalid byte shows as itself, an illegal character by its value.
        const unsigned value = (cp == 0xFFFD) ? static_cast<unsigned char>(text[start])
                                              : static_cast<unsigned>(cp);
        char buffer[16];
        std::snprintf(buffer, sizeof buffer, value <= 0xFF ? "#x%02X" : "#x%04X", value);
        out += buffer;
    }
    return out;
}

std::string xml_escape_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string xml_escape_attr(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\n': out += "&#10;"; break;
        case '\r': out += "&#13;"; break;
        case '\t': out += "&#09;"; break;
        default: out += c;
        }
    }
    return out;
}

TestAddress mangle_test_address(std::string_view nodeid) {
    const std::size_t bracket = nodeid.find('[');
    const std::string_view path = nodeid.substr(0, bracket);
    const std::string_view params =
        bracket == std::string_view::npos ? std::string_view() : nodeid.substr(bracket);

    std::vector<std::string> names;
    for (std::size_t start = 0;;) {
        const std::size_t sep = path.find("::", start);
        const std::string_view part = path.substr(start, sep - start);
        if (part != "()")  // instance nodes of pytest < 7
            names.emplace_back(part);
        if (sep == std::string_view::npos)
            break;
        start = sep + 2;
    }
    if (names.empty())
        names.emplace_back();

    // The file path becomes a dotted module path.
    std::string &module = names.front();
    for (char &c : module)
        if (c == '/')
            c = '.';
    if (module.size() >= 3 && module.compare(module.size() - 3, 3, ".py") == 0)
        module.erase(module.size() - 3);

    TestAddress address;
    address.name = names.back() + std::string(params);
    for (std::size_t i = 0; i + 1 < names.size(); i++) {
        if (i > 0)
            address.classname += '.';
        address.classname += names[i];
    }
    return address;
}

std::string iso_timestamp(std::chrono::system_clock::time_point when) {
    using namespace std::chrono;
    const auto micros = duration_cast<microseconds>(when.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
    const long fraction = static_cast<long>(micros % 1000000);
    std::tm local{};
    localtime_r(&seconds, &local);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &local);
    std::string out = buffer;
    if (fraction != 0) {
        std::snprintf(buffer, sizeof buffer, ".%06ld", fraction);
        out += buffer;
    }
    return out;
}

std::string render_junit_xml(const Session &session, std::string_view hostname) {
    SuiteStats stats;
    std::string cases;
    for (const tach::CollectError &error : session.collect_errors) {
        stats.errors++;
        const TestAddress address = mangle_test_address(error.nodeid);
        cases += Element("testcase")
                     .attr("classname", address.classname)
                     .attr("name", address.name)
                     .attr("time", format_seconds(0.0))
                     .child(Element("error")
                                .attr("message", "collection failure")
                                .text(xml_text(error.text)))
                     .str();
    }
    for (const TestRecord &record : session.records)
        cases += testcases_for(record, stats);

    const std::size_t tests =
        stats.passed + stats.failures + stats.skipped + stats.errors - stats.double_fail;
    Element suite("testsuite");
    suite.attr("name", "pytest")
        .attr("errors", std::to_string(stats.errors))
        .attr("failures", std::to_string(stats.failures))
        .attr("skipped", std::to_string(stats.skipped))
        .attr("tests", std::to_string(tests))
        .attr("time", format_seconds(session.duration))
        .attr("timestamp", iso_timestamp(session.started))
        .attr("hostname", hostname);
    suite.raw(cases);
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites>" + suite.str() +
           "</testsuites>";
}

bool write_junit_xml(const std::string &path, const std::string &document, std::string &error) {
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::absolute(path, ec);
    if (!ec && target.has_parent_path())
        std::filesystem::create_directories(target.parent_path(), ec);
    std::FILE *file = std::fopen(path.c_str(), "wbe");
    if (!file) {
        error = std::strerror(errno);
        return false;
    }
    const bool written = std::fwrite(document.data(), 1, document.size(), file) == document.size();
    const bool closed = std::fclose(file) == 0;
    if (!written || !closed) {
        error = "write failed";
        return false;
    }
    return true;
}

} // namespace tach_cli
