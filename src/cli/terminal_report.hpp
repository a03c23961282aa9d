// The pytest-style terminal report: the session header, progress (letters
// per file, one line per test with -v, bare letters with -q), then the
// ERRORS and FAILURES sections, the short test summary and the closing
// "==== 2 failed, 12 passed in 0.41s ====" line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "session.hpp"
#include "summary.hpp"
#include "terminal_writer.hpp"

namespace tach_cli {

class TerminalReport {
public:
    // verbosity: -v count minus -q count.  untrimmed: print short-summary
    // messages whole (pytest does so when $CI or $BUILD_NUMBER is set).
    TerminalReport(TerminalWriter &tw, int verbosity, bool untrimmed);

    // Whether the output is a terminal.  pytest -v writes "collecting ... "
    // before "collected N items" when it is not (on a terminal it rewrites
    // that line in place, leaving only "collected N items").
    void set_tty(bool tty) { tty_ = tty; }

    // With --stats: the "tach isolation statistics" section in finish().
    void set_show_stats(bool show) { show_stats_ = show; }

    // With --cov: pytest-cov's section (title line, table, "Coverage ...
    // written" lines), printed by finish() where pytest-cov prints it:
    // after the failures and the JUnit line, before the short summary.
    struct CoverageLine {
        std::string text;
        bool warning = false;  // red, as pytest-cov's "WARNING: ..." lines
    };
    void set_coverage_section(std::vector<CoverageLine> lines) {
        coverage_lines_ = std::move(lines);
    }

    // "==== test session starts ====", the versions, the isolation mode and
    // why, and "collected N items [/ M deselected / K selected]".
    void header(const Session &session);

    // Progress, called around each test.  Output is flushed, so a test that
    // hangs shows where it is.
    void test_started(const std::string &nodeid);
    void test_finished(const TestRecord &record);

    // Everything after the progress.  junit_path: the absolute path of the
    // JUnit XML written, or "".
    void finish(const Session &session, const std::string &junit_path);

    // --collect-only: the node ids, any collection errors, and
    // "N tests collected in X.XXs".
    void collect_only(const Session &session, const std::vector<std::string> &nodeids,
                      bool interrupted);

private:
    void progress_filler();
    void end_progress();
    void section_body(const std::string &text, const std::string &out, const std::string &err);
    bool errors_section(const Session &session);
    bool failures_section(const Session &session);
    void coverage_section(bool after_section);
    void short_summary(const Session &session);
    void summary_line_for(const std::string &word, const std::string &nodeid,
                          const std::string &message);
    void closing_line(const Tally &tally, double seconds);
    void stats_section(const Session &session);

    TerminalWriter &tw_;
    int verbosity_;
    bool untrimmed_;
    std::size_t total_ = 0;
    std::size_t done_ = 0;
    Tally so_far_;
    std::string current_file_;
    bool progress_line_open_ = false;
    bool progress_was_open_ = false;  // at end_progress()
    bool show_stats_ = false;
    std::vector<CoverageLine> coverage_lines_;
    bool tty_ = false;
};

// "collected 105 items / 99 deselected / 6 selected", as pytest words it.
std::string collected_line(const Session &session);

// --collect-only's closing words without the time: "5 tests collected",
// "5/105 tests collected (100 deselected)", "no tests collected", each with
// ", N errors" when collection failed somewhere.
std::string collect_only_text(const Session &session);

// Whether pytest would print short-summary messages untrimmed ($CI or
// $BUILD_NUMBER set).
bool running_on_ci();

} // namespace tach_cli
