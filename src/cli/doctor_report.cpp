#include "doctor_report.hpp"

namespace tach_cli {

namespace {

constexpr std::size_t kLabelWidth = 24;

std::string yes_no(bool value) { return value ? "yes" : "no"; }

std::string count(std::size_t n, const char *singular, const char *plural) {
    return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

} // namespace

std::string doctor_line(std::string_view label, std::string_view value) {
    std::string line(label);
    line += ':';
    if (line.size() < kLabelWidth)
        line.append(kLabelWidth - line.size(), ' ');
    else
        line += ' ';
    line += value;
    return line;
}

std::vector<std::string> doctor_capability_lines(const tach::Capabilities &caps) {
    std::vector<std::string> lines;
    lines.push_back(doctor_line("kernel release",
                                caps.kernel_release.empty() ? "unknown" : caps.kernel_release));
    lines.push_back(doctor_line("userfaultfd (this user)", yes_no(caps.userfaultfd)));
    lines.push_back(doctor_line("UFFD WP_ASYNC", yes_no(caps.uffd_wp_async)));
    lines.push_back(doctor_line("UFFD WP_UNPOPULATED", yes_no(caps.uffd_wp_unpopulated)));
    lines.push_back(doctor_line("PAGEMAP_SCAN", yes_no(caps.pagemap_scan)));
    lines.push_back(doctor_line("PROCMAP_QUERY", yes_no(caps.procmap_query) + " (optional)"));
    lines.push_back(doctor_line(
        "snapshot isolation",
        caps.snapshot_supported
            ? std::string("supported by this kernel")
            : "unsupported: " + (caps.reason.empty() ? std::string("reason unknown") : caps.reason)));
    return lines;
}

std::vector<std::string> doctor_engine_lines(const DoctorEngineInfo &info) {
    const auto known = [](const std::string &s) { return s.empty() ? std::string("unknown") : s; };
    std::vector<std::string> lines;
    lines.push_back(doctor_line("project", info.project));
    lines.push_back(doctor_line("python", known(info.python_version)));
    lines.push_back(doctor_line("pytest", known(info.pytest_version)));
    std::string collected = count(info.tests, "test", "tests");
    if (info.deselected)
        collected += " / " + std::to_string(info.deselected) + " deselected";
    if (info.collect_errors)
        collected += " / " + count(info.collect_errors, "collection error", "collection errors");
    lines.push_back(doctor_line("collected", collected));
    std::string isolation = known(info.isolation);
    if (!info.isolation_reason.empty())
        isolation += ": " + info.isolation_reason;
    lines.push_back(doctor_line("isolation auto uses", isolation));
    if (!info.python_option.empty())
        lines.push_back(doctor_line("--python", info.python_option));
    return lines;
}

std::string doctor_engine_failure(std::string_view what, std::string_view message,
                                  std::string_view code_name) {
    std::string text(message);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    std::string value = std::string(what) + ": " + text;
    if (!code_name.empty())
        value += " (" + std::string(code_name) + ")";
    return doctor_line("engine", value);
}

} // namespace tach_cli
