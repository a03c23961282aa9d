#include "report_format.hpp"

#include <cstdio>
#include <vector>

#include "utf8.hpp"

namespace tach_cli {

std::string_view file_part(std::string_view nodeid) {
    return nodeid.substr(0, nodeid.find("::"));
}

std::string head_line(std::string_view nodeid) {
    const std::size_t bracket = nodeid.find('[');
    const std::string_view path = nodeid.substr(0, bracket);
    const std::string_view params =
        bracket == std::string_view::npos ? std::string_view() : nodeid.substr(bracket);

    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t sep = path.find("::", start);
        parts.push_back(path.substr(start, sep - start));
        if (sep == std::string_view::npos)
            break;
        start = sep + 2;
    }
    if (parts.size() == 1)
        return std::string(nodeid);  // not a test inside a file: show it whole

    std::string head;
    for (std::size_t i = 1; i < parts.size(); i++) {
        if (parts[i] == "()")
            continue;
        if (!head.empty())
            head += '.';
        head += parts[i];
    }
    return head + std::string(params);
}

char outcome_letter(tach::Outcome outcome) {
    switch (outcome) {
    case tach::Outcome::Passed: return '.';
    case tach::Outcome::Failed: return 'F';
    case tach::Outcome::Skipped: return 's';
    case tach::Outcome::XFailed: return 'x';
    case tach::Outcome::XPassed: return 'X';
    case tach::Outcome::Error: return 'E';
    case tach::Outcome::Crashed: return 'C';
    case tach::Outcome::Timeout: return 'T';
    }
    return '?';
}

std::string_view outcome_word(tach::Outcome outcome) {
    switch (outcome) {
    case tach::Outcome::Passed: return "PASSED";
    case tach::Outcome::Failed: return "FAILED";
    case tach::Outcome::Skipped: return "SKIPPED";
    case tach::Outcome::XFailed: return "XFAIL";
    case tach::Outcome::XPassed: return "XPASS";
    case tach::Outcome::Error: return "ERROR";
    case tach::Outcome::Crashed: return "CRASHED";
    case tach::Outcome::Timeout: return "TIMEOUT";
    }
    return "UNKNOWN";
}

Color outcome_color(tach::Outcome outcome) {
    switch (outcome) {
    case tach::Outcome::Passed: return Color::Green;
    case tach::Outcome::Skipped:
    case tach::Outcome::XFailed:
    case tach::Outcome::XPassed: return Color::Yellow;
    case tach::Outcome::Failed:
    case tach::Outcome::Error:
    case tach::Outcome::Crashed:
    case tach::Outcome::Timeout: return Color::Red;
    }
    return Color::Default;
}

std::string progress_text(std::size_t done, std::size_t total) {
    const std::size_t percent = total ? done * 100 / total : 100;
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, " [%3zu%%]", percent);
    return buffer;
}

std::string format_trimmed(std::string_view before, std::string_view text,
                           std::string_view after, std::size_t available, bool untrimmed) {
    text = text.substr(0, text.find('\n'));
    if (text.empty())
        return "";
    const auto whole = [&](std::string_view middle) {
        return std::string(before) + std::string(middle) + std::string(after);
    };
    if (untrimmed)
        return whole(text);
    const std::string_view ellipsis = "...";
    const std::size_t frame = display_width(before) + display_width(after);
    if (frame + ellipsis.size() > available)
        return "";
    if (frame + display_width(text) <= available)
        return whole(text);
    const std::size_t room = available - frame - ellipsis.size();
    return whole(std::string(prefix_fitting(text, room)) + std::string(ellipsis));
}

std::string_view summary_message(std::string_view message, std::string_view longrepr) {
    if (!message.empty() && python_strip(longrepr) == python_strip(message))
        return "";
    return message;
}

std::string_view bare_reason(std::string_view message) {
    for (std::string_view prefix : {std::string_view("Skipped: "), std::string_view("reason: ")}) {
        if (message.substr(0, prefix.size()) == prefix)
            return message.substr(prefix.size());
    }
    if (message == "Skipped")
        return "";
    return message;
}

} // namespace tach_cli
