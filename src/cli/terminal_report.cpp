#include "terminal_report.hpp"

#include <cstdlib>
#include <cstring>

#include "isolation_stats.hpp"
#include "report_format.hpp"
#include "utf8.hpp"

namespace tach_cli {

namespace {

constexpr std::size_t kProgressWidth = sizeof(" [100%]") - 1;

const Style kHeadline = colored(Color::Red, true);

bool is_failure_like(tach::Outcome outcome) {
    return outcome == tach::Outcome::Failed || outcome == tach::Outcome::Crashed ||
           outcome == tach::Outcome::Timeout;
}

bool shows_reason(tach::Outcome outcome) {
    return outcome == tach::Outcome::Skipped || outcome == tach::Outcome::XFailed ||
           outcome == tach::Outcome::XPassed;
}

std::string plural(std::size_t n, const char *singular, const char *plural_form) {
    return std::to_string(n) + " " + (n == 1 ? singular : plural_form);
}

// What to show for a result: its longrepr, else its one-line message,
// else (a crash without either) how the process ended.
std::string body_text(const TestRecord &record) {
    if (!record.longrepr.empty())
        return record.longrepr;
    if (!record.message.empty())
        return record.message;
    if (record.outcome == tach::Outcome::Crashed) {
        if (record.signal > 0)
            return "test process killed by signal " + std::to_string(record.signal) + " (" +
                   strsignal(record.signal) + ")";
        if (record.exit_status >= 0)
            return "test process exited with status " + std::to_string(record.exit_status);
        return "test process died";
    }
    if (record.outcome == tach::Outcome::Timeout)
        return "test exceeded the time limit";
    return "";
}

} // namespace

std::string collected_line(const Session &session) {
    // pytest's report_collect(final=True): everything collected, then what
    // -k / -m left out of it.
    const std::size_t total = session.collected + session.deselected;
    std::string line = "collected " + plural(total, "item", "items");
    if (!session.collect_errors.empty())
        line += " / " + plural(session.collect_errors.size(), "error", "errors");
    if (session.deselected > 0)
        line += " / " + std::to_string(session.deselected) + " deselected";
    if (total > session.collected)
        line += " / " + std::to_string(session.collected) + " selected";
    return line;
}

std::string collect_only_text(const Session &session) {
    // pytest's _build_collect_only_summary_stats_line.
    const std::size_t total = session.collected + session.deselected;
    std::string text;
    if (total == 0)
        text = "no tests collected";
    else if (session.deselected == 0)
        text = plural(total, "test", "tests") + " collected";
    else if (session.collected == 0)
        text = "no tests collected (" + std::to_string(session.deselected) + " deselected)";
    else
        text = std::to_string(session.collected) + "/" + std::to_string(total) +
               " tests collected (" + std::to_string(session.deselected) + " deselected)";
    if (!session.collect_errors.empty())
        text += ", " + plural(session.collect_errors.size(), "error", "errors");
    return text;
}

bool running_on_ci() { return std::getenv("CI") || std::getenv("BUILD_NUMBER"); }

TerminalReport::TerminalReport(TerminalWriter &tw, int verbosity, bool untrimmed)
    : tw_(tw), verbosity_(verbosity), untrimmed_(untrimmed) {}

void TerminalReport::header(const Session &session) {
    total_ = session.collected;
    if (verbosity_ < 0)
        return;
    tw_.sep('=', "test session starts", colored(Color::Default, true));
    tw_.line("tach " TACH_VERSION_STRING ", python " + session.python_version + ", pytest " +
             session.pytest_version + ", isolation: " +
             isolation_description(session.isolation, session.isolation_reason));
    if (verbosity_ >= 1 && !tty_)
        tw_.write("collecting ... ", colored(Color::Default, true));
    tw_.line(collected_line(session), colored(Color::Default, true));
    tw_.flush();
}

void TerminalReport::test_started(const std::string &nodeid) {
    if (verbosity_ > 0) {
        // pytest's write_ensure_prefix: one line per test, node id first.
        tw_.line();
        tw_.write(nodeid + " ");
        progress_line_open_ = true;
    } else if (verbosity_ == 0) {
        const std::string file(file_part(nodeid));
        if (!progress_line_open_ || file != current_file_) {
            if (progress_line_open_)
                progress_filler();
            tw_.line();
            tw_.write(file + " ");
            current_file_ = file;
            progress_line_open_ = true;
        }
    }
    tw_.flush();
}

void TerminalReport::progress_filler() {
    const std::string progress = progress_text(done_, total_);
    const std::size_t used = tw_.column();
    const std::size_t fill = tw_.width() > used + 1 ? tw_.width() - used - 1 : 0;
    std::string padded = progress;
    if (padded.size() < fill)
        padded.insert(0, fill - padded.size(), ' ');
    tw_.write(padded, colored(main_color(so_far_, done_ >= total_)));
}

void TerminalReport::test_finished(const TestRecord &record) {
    done_++;
    so_far_.add(record);
    const Style style = colored(outcome_color(record.outcome));
    const Style error_style = colored(outcome_color(tach::Outcome::Error));
    if (verbosity_ > 0) {
        tw_.write(outcome_word(record.outcome), style);
        if (shows_reason(record.outcome)) {
            const std::size_t used = tw_.column();
            const std::size_t available =
                tw_.width() > used + kProgressWidth + 1 ? tw_.width() - used - kProgressWidth - 1
                                                        : 0;
            tw_.write(format_trimmed(" (", bare_reason(record.message), ")", available,
                                     verbosity_ >= 2));
        }
        progress_filler();
        if (record.teardown_failed) {
            // pytest reports the failed teardown on a line of its own.
            tw_.line();
            tw_.write(record.nodeid + " ");
            tw_.write(outcome_word(tach::Outcome::Error), error_style);
            progress_filler();
        }
    } else {
        tw_.write(std::string(1, outcome_letter(record.outcome)), style);
        if (record.teardown_failed)
            tw_.write(std::string(1, outcome_letter(tach::Outcome::Error)), error_style);
        if (done_ >= total_) {
            progress_filler();
        } else if (tw_.column() + kProgressWidth + 1 >= tw_.width()) {
            // The line is full: end it with the percentage, go on below.
            tw_.write(progress_text(done_, total_) + "\n",
                      colored(main_color(so_far_, false)));
        }
    }
    tw_.flush();
}

void TerminalReport::end_progress() {
    // pytest's sessionfinish writes an empty line (ending the progress
    // line), then ensure_newline adds a blank one if a file or test line
    // was still open.
    tw_.line();
    if (progress_line_open_)
        tw_.line();
    progress_was_open_ = progress_line_open_;
    progress_line_open_ = false;
}

void TerminalReport::section_body(const std::string &text, const std::string &out,
                                  const std::string &err) {
    const auto print_block = [this](const std::string &block) {
        std::string_view view = block;
        if (!view.empty() && view.back() == '\n')
            view.remove_suffix(1);
        tw_.line(view);
    };
    if (!text.empty())
        print_block(text);
    if (!out.empty()) {
        tw_.sep('-', "Captured stdout call");
        print_block(out);
    }
    if (!err.empty()) {
        tw_.sep('-', "Captured stderr call");
        print_block(err);
    }
}

bool TerminalReport::errors_section(const Session &session) {
    bool any = !session.collect_errors.empty();
    for (const TestRecord &record : session.records)
        any = any || record.outcome == tach::Outcome::Error || record.teardown_failed;
    if (!any)
        return false;
    tw_.sep('=', "ERRORS");
    for (const tach::CollectError &error : session.collect_errors) {
        tw_.sep('_', "ERROR collecting " + error.nodeid, kHeadline);
        section_body(error.text, "", "");
    }
    for (const TestRecord &record : session.records) {
        const std::string name = head_line(record.nodeid);
        if (record.outcome == tach::Outcome::Error) {
            const std::string phase = record.phase.empty() ? "setup" : record.phase;
            tw_.sep('_', "ERROR at " + phase + " of " + name, kHeadline);
            section_body(body_text(record), record.stdout_text, record.stderr_text);
        }
        if (record.teardown_failed) {
            // Beside whatever the test's outcome was, with its own text.
            tw_.sep('_', "ERROR at teardown of " + name, kHeadline);
            section_body(record.teardown_longrepr.empty() ? record.teardown_message
                                                          : record.teardown_longrepr,
                         record.stdout_text, record.stderr_text);
        }
    }    return true;
}

bool TerminalReport::failures_section(const Session &session) {
    bool any = false;
    for (const TestRecord &record : session.records)
        any = any || is_failure_like(record.outcome);
    if (!any)
        return false;
    tw_.sep('=', "FAILURES");
    for (const TestRecord &record : session.records) {
        if (!is_failure_like(record.outcome))
            continue;
        tw_.sep('_', head_line(record.nodeid), kHeadline);
        section_body(body_text(record), record.stdout_text, record.stderr_text);
    }    return true;
}

void TerminalReport::summary_line_for(const std::string &word, const std::string &nodeid,
                                      const std::string &message) {
    const std::string start = word + " " + nodeid;
    const std::size_t used = display_width(start);
    const std::size_t available = tw_.width() > used ? tw_.width() - used : 0;
    tw_.write(word, colored(Color::Red, true));
    tw_.line(" " + nodeid + format_trimmed(" - ", message, "", available, untrimmed_));
}

void TerminalReport::short_summary(const Session &session) {
    // pytest's default -r fE: failures first, then errors, each in the order
    // they happened.  Crashes and timeouts are failures.
    bool any = !session.collect_errors.empty();
    for (const TestRecord &record : session.records)
        any = any || failure_count(record) > 0;
    if (!any)
        return;
    tw_.sep('=', "short test summary info");
    for (const TestRecord &record : session.records) {
        if (is_failure_like(record.outcome))
            summary_line_for(std::string(outcome_word(record.outcome)), record.nodeid,
                             std::string(summary_message(record.message, record.longrepr)));
    }
    for (const tach::CollectError &error : session.collect_errors) {
        tw_.write("ERROR", colored(Color::Red, true));
        tw_.line(" " + error.nodeid);
    }
    for (const TestRecord &record : session.records) {
        if (record.outcome == tach::Outcome::Error)
            summary_line_for("ERROR", record.nodeid,
                             std::string(summary_message(record.message, record.longrepr)));
        if (record.teardown_failed)
            summary_line_for("ERROR", record.nodeid,
                             std::string(summary_message(record.teardown_message,
                                                         record.teardown_longrepr)));
    }
}

void TerminalReport::closing_line(const Tally &tally, double seconds) {
    if (verbosity_ < -1)
        return;
    const Style main = colored(main_color(tally, true));
    const std::vector<SummaryPart> parts = summary_parts(tally);
    const std::string duration = " in " + format_session_duration(seconds);
    const std::size_t title_width = display_width(summary_text(tally, seconds));

    SepLayout layout;
    if (verbosity_ >= 0) {
        layout = sep_layout(title_width, tw_.width());
        tw_.write(std::string(layout.fill, '=') + " ", main);
    }
    for (std::size_t i = 0; i < parts.size(); i++) {
        if (i > 0)
            tw_.write(", ");
        tw_.write(parts[i].text, parts[i].style);
    }
    tw_.write(duration, main);
    if (verbosity_ >= 0)
        tw_.write(" " + std::string(layout.fill + (layout.extra ? 1 : 0), '='), main);
    tw_.line();
}

void TerminalReport::finish(const Session &session, const std::string &junit_path) {
    end_progress();
    const Tally tally = Tally::of(session);

    bool after_section = errors_section(session);
    after_section = failures_section(session) || after_section;
    if (!junit_path.empty()) {
        tw_.sep('-', "generated xml file: " + junit_path);
        after_section = true;
    }
    if (!coverage_lines_.empty())
        coverage_section(after_section);
    if (show_stats_)
        stats_section(session);
    short_summary(session);

    const Style alarm = colored(Color::Red);
    switch (session.stop) {
    case StopReason::MaxFail:
        tw_.sep('!',
                "stopping after " + std::to_string(tally.failed + tally.errors + tally.crashed +
                                                   tally.timeout) +
                    " failures",
                alarm);
        break;
    case StopReason::CollectionErrors:
        tw_.sep('!',
                "Interrupted: " +
                    plural(session.collect_errors.size(), "error", "errors") +
                    " during collection",
                alarm);
        break;
    case StopReason::KeyboardInterrupt:
        tw_.sep('!', "KeyboardInterrupt", alarm);
        break;
    case StopReason::InternalError: {
        std::string_view rest = session.internal_error;
        do {
            const std::size_t nl = rest.find('\n');
            tw_.line("INTERNALERROR> " + std::string(rest.substr(0, nl)), alarm);
            rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        } while (!rest.empty());
        break;
    }
    case StopReason::Completed:
        break;
    }
    // Said apart, so that the closing line stays pytest's.
    if (const std::size_t replaced = replaced_count(session))
        tw_.line(replaced_note(replaced), colored(Color::Yellow));
    closing_line(tally, session.duration);
    tw_.flush();
}

void TerminalReport::coverage_section(bool after_section) {
    // pytest-cov writes "\n" + its report + "\n".  pytest's blank line
    // before the first separator after the progress (end_progress() has
    // already written it) comes later when nothing has used it yet: before
    // the next separator, after this section.
    const bool pending_blank = progress_was_open_ && !after_section;
    if (!pending_blank)
        tw_.line();
    for (const CoverageLine &line : coverage_lines_)
        tw_.line(line.text, line.warning ? colored(Color::Red, true) : Style{});
    tw_.line();
    if (pending_blank)
        tw_.line();
}

void TerminalReport::stats_section(const Session &session) {
    tw_.sep('=', "tach isolation statistics");
    for (const std::string &line : isolation_stats_lines(session))
        tw_.line(line);
}

void TerminalReport::collect_only(const Session &session, const std::vector<std::string> &nodeids,
                                  bool interrupted) {
    // As `pytest --collect-only -q`: the ids, then any collection errors.
    for (const std::string &id : nodeids)
        tw_.line(id);
    tw_.line();
    errors_section(session);
    short_summary(session);
    const std::size_t n_errors = session.collect_errors.size();
    if (interrupted) {
        tw_.sep('!',
                "Interrupted: " + plural(n_errors, "error", "errors") + " during collection",
                colored(Color::Red));
    }
    Color color = nodeids.empty() ? Color::Yellow : Color::Green;
    if (n_errors)
        color = Color::Red;
    tw_.line(collect_only_text(session) + " in " + format_session_duration(session.duration),
             colored(color));
    tw_.flush();
}

} // namespace tach_cli
