#include "doctor_report.hpp"

#include "isolation_stats.hpp"

namespace tach_cli {

namespace {

constexpr std::size_t kLabelWidth = 26;

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

std::vector<std::string> doctor_worker_lines(const std::vector<tach::WorkerInfo> &workers) {
    if (workers.empty())
        return {doctor_line("workers", "none listed (tach-workers.list is missing next to the worker)")};
    std::vector<std::string> lines;
    for (const tach::WorkerInfo &w : workers) {
        const std::string name = w.path.substr(w.path.find_last_of('/') + 1);
        std::string value = "Python " + w.python_version + "  " + name + "  (" + w.python + ")";
        if (lines.empty())
            lines.push_back(doctor_line("workers", value + (workers.size() > 1 ? "  default" : "")));
        else
            lines.push_back(std::string(kLabelWidth, ' ') + value);
    }
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
    lines.push_back(doctor_line("isolation auto uses",
                                isolation_description(known(info.isolation),
                                                      info.isolation_reason)));
    if (!info.python_option.empty())
        lines.push_back(doctor_line("--python", info.python_option));
    return lines;
}

std::string doctor_engine_failure(std::string_view what, std::string_view message,
                                  std::string_view code_name) {
    std::string text(message);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    std::string out = std::string(what);
    if (!code_name.empty())
        out += " (" + std::string(code_name) + ")";
    out = doctor_line("engine", out);
    // The message below, indented: pytest's can be a whole traceback.
    std::string_view rest = text;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        out += "\n  " + std::string(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    return out;
}

} // namespace tach_cli
