#include "summary.hpp"

#include <cstdio>

namespace tach_cli {

void Tally::add(tach::Outcome outcome) {
    switch (outcome) {
    case tach::Outcome::Passed: passed++; break;
    case tach::Outcome::Failed: failed++; break;
    case tach::Outcome::Skipped: skipped++; break;
    case tach::Outcome::XFailed: xfailed++; break;
    case tach::Outcome::XPassed: xpassed++; break;
    case tach::Outcome::Error: errors++; break;
    case tach::Outcome::Crashed: crashed++; break;
    case tach::Outcome::Timeout: timeout++; break;
    }
}

void Tally::add(const TestRecord &record) {
    add(record.outcome);
    if (record.teardown_failed)
        errors++;
}

Tally Tally::of(const Session &session) {
    Tally tally;
    tally.errors = session.collect_errors.size();
    tally.deselected = session.deselected;
    for (const TestRecord &record : session.records)
        tally.add(record);
    return tally;
}

bool is_failure(tach::Outcome outcome) {
    return outcome == tach::Outcome::Failed || outcome == tach::Outcome::Error ||
           outcome == tach::Outcome::Crashed || outcome == tach::Outcome::Timeout;
}

int failure_count(const TestRecord &record) {
    return (is_failure(record.outcome) ? 1 : 0) + (record.teardown_failed ? 1 : 0);
}

Color main_color(const Tally &tally, bool finished) {
    if (tally.any_failure())
        return Color::Red;
    if (tally.xpassed)
        return Color::Yellow;
    if (tally.passed || !finished)
        return Color::Green;
    return Color::Yellow;
}

std::vector<SummaryPart> summary_parts(const Tally &tally) {
    const Color main = main_color(tally, true);
    std::vector<SummaryPart> parts;
    const auto add = [&](std::size_t count, const char *singular, const char *plural,
                         Color color) {
        if (count == 0)
            return;
        std::string text = std::to_string(count) + " " + (count == 1 ? singular : plural);
        parts.push_back({std::move(text), Style{color, color == main}});
    };
    add(tally.failed, "failed", "failed", Color::Red);
    add(tally.passed, "passed", "passed", Color::Green);
    add(tally.skipped, "skipped", "skipped", Color::Yellow);
    add(tally.deselected, "deselected", "deselected", Color::Yellow);
    add(tally.xfailed, "xfailed", "xfailed", Color::Yellow);
    add(tally.xpassed, "xpassed", "xpassed", Color::Yellow);
    add(tally.errors, "error", "errors", Color::Red);
    add(tally.crashed, "crashed", "crashed", Color::Red);
    add(tally.timeout, "timeout", "timeouts", Color::Red);
    if (parts.empty())
        parts.push_back({"no tests ran", Style{Color::Yellow, false}});
    return parts;
}

std::string format_session_duration(double seconds) {
    char buffer[64];
    if (seconds < 60) {
        std::snprintf(buffer, sizeof buffer, "%.2fs", seconds);
    } else {
        const long whole = static_cast<long>(seconds);
        std::snprintf(buffer, sizeof buffer, "%.2fs (%ld:%02ld:%02ld)", seconds, whole / 3600,
                      whole / 60 % 60, whole % 60);
    }
    return buffer;
}

std::string summary_text(const Tally &tally, double seconds) {
    std::string text;
    for (const SummaryPart &part : summary_parts(tally)) {
        if (!text.empty())
            text += ", ";
        text += part.text;
    }
    return text + " in " + format_session_duration(seconds);
}

int session_exit_code(const Session &session) {
    switch (session.stop) {
    case StopReason::KeyboardInterrupt:
    case StopReason::CollectionErrors:
        return kExitInterrupted;
    case StopReason::InternalError:
        return kExitInternalError;
    case StopReason::Completed:
    case StopReason::MaxFail:
        break;
    }
    if (Tally::of(session).any_failure())
        return kExitTestsFailed;
    if (session.collected == 0)
        return kExitNoTestsCollected;
    return kExitOk;
}

int init_failure_exit_code(int status) {
    switch (status) {
    case TACH_ECOLLECT:      // pytest's usage errors, a conftest that raised
    case TACH_ENOTFOUND:     // a path or project root that does not exist
    case TACH_EUNSUPPORTED:  // an isolation mode this machine cannot give
        return kExitUsageError;
    default:
        return kExitInternalError;
    }
}

} // namespace tach_cli
