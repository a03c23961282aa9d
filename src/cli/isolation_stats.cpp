#include "isolation_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>

namespace tach_cli {

namespace {

std::string format(const char *fmt, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, fmt, value);
    return buffer;
}

std::string micros(double seconds) { return format("%.0f", seconds * 1e6); }

std::string whole(double value) { return format("%.0f", value); }

} // namespace

std::string isolation_description(std::string_view mode, std::string_view reason) {
    std::string text(mode);
    if (!reason.empty())
        text += " (" + std::string(reason) + ")";
    return text;
}

std::string snapshot_unavailable_reason(std::string_view isolation_reason) {
    static constexpr std::string_view kMarker = "unavailable here: ";
    const std::size_t at = isolation_reason.find(kMarker);
    std::string_view reason = at == std::string_view::npos
                                  ? isolation_reason
                                  : isolation_reason.substr(at + kMarker.size());
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' '))
        reason.remove_suffix(1);
    return reason.empty() ? "reason unknown" : std::string(reason);
}

std::string fork_fallback_note(std::string_view isolation_reason) {
    return "tach: snapshot isolation unavailable (" +
           snapshot_unavailable_reason(isolation_reason) + "); using fork";
}

std::size_t replaced_count(const Session &session) {
    return static_cast<std::size_t>(
        std::count_if(session.records.begin(), session.records.end(),
                      [](const TestRecord &record) { return record.worker_replaced; }));
}

std::string replaced_note(std::size_t count) {
    return "tach: " + std::to_string(count) + (count == 1 ? " worker" : " workers") +
           " replaced (see --stats)";
}

double nearest_rank(const std::vector<double> &sorted, double fraction) {
    if (sorted.empty())
        return 0;
    const double rank = std::ceil(fraction * static_cast<double>(sorted.size()));
    std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
    if (index >= sorted.size())
        index = sorted.size() - 1;
    return sorted[index];
}

Distribution distribution_of(std::vector<double> values) {
    Distribution d;
    d.count = values.size();
    if (values.empty())
        return d;
    std::sort(values.begin(), values.end());
    d.median = nearest_rank(values, 0.50);
    d.p90 = nearest_rank(values, 0.90);
    d.p99 = nearest_rank(values, 0.99);
    d.max = values.back();
    for (double v : values)
        d.total += v;
    return d;
}

std::string format_micros(double seconds) {
    if (seconds < 1e-3)
        return format("%.0f", seconds * 1e6) + " \xc2\xb5s";
    if (seconds < 1.0)
        return format("%.1f", seconds * 1e3) + " ms";
    return format("%.2f", seconds) + " s";
}

std::vector<std::string> isolation_stats_lines(const Session &session) {
    std::vector<std::string> lines;
    lines.push_back("isolation: " +
                    isolation_description(session.isolation, session.isolation_reason));
    lines.push_back("tests run: " + std::to_string(session.records.size()));
    lines.push_back("workers: " + std::to_string(session.workers));
    if (!session.scheduling.empty())
        lines.push_back("start order: " + session.scheduling);
    lines.push_back("workers replaced: " + std::to_string(replaced_count(session)));
    for (const TestRecord &record : session.records) {
        if (record.worker_replaced)
            lines.push_back("  " + record.nodeid + " - " +
                            (record.replace_reason.empty() ? std::string("reason unknown")
                                                           : record.replace_reason));
    }
    if (session.isolation != "snapshot")
        return lines;

    std::vector<double> seconds;
    std::vector<double> pages;
    for (const TestRecord &record : session.records) {
        if (record.worker_replaced)
            continue;  // replaced instead of restored: nothing was measured
        seconds.push_back(record.restore_seconds);
        pages.push_back(static_cast<double>(record.pages_restored));
    }
    if (seconds.empty()) {
        lines.push_back("in-place restores: none");
        return lines;
    }
    const Distribution time = distribution_of(seconds);
    const Distribution page = distribution_of(pages);
    lines.push_back("restore time per test (\xc2\xb5s): median " + micros(time.median) + ", p90 " +
                    micros(time.p90) + ", p99 " + micros(time.p99) + ", max " +
                    micros(time.max) + " (" + std::to_string(time.count) +
                    (time.count == 1 ? " restore)" : " restores)"));
    lines.push_back("pages restored per test: median " + whole(page.median) + ", p99 " +
                    whole(page.p99) + ", max " + whole(page.max));
    lines.push_back("total restore time: " + format_micros(time.total));
    return lines;
}

} // namespace tach_cli
