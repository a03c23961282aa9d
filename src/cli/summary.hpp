// Counting outcomes and building pytest's closing line
// ("2 failed, 12 passed, 1 skipped in 0.41s"), its colour, and the exit
// code a session ends with.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "session.hpp"
#include "style.hpp"

namespace tach_cli {

struct Tally {
    std::size_t failed = 0;
    std::size_t passed = 0;
    std::size_t skipped = 0;
    std::size_t xfailed = 0;
    std::size_t xpassed = 0;
    std::size_t errors = 0;   // setup/teardown errors and collection errors
    std::size_t crashed = 0;
    std::size_t timeout = 0;
    std::size_t deselected = 0;  // shown, but neither a result nor a failure

    void add(tach::Outcome outcome);
    // The outcome, and one more error for a failed teardown.
    void add(const TestRecord &record);
    // A failed, error, crashed or timed-out test (or collection error).
    bool any_failure() const { return failed + errors + crashed + timeout > 0; }

    static Tally of(const Session &session);
};

// Whether an outcome counts towards -x / --maxfail (and exit status 1).
bool is_failure(tach::Outcome outcome);
// How many failures a test counts for, as pytest counts failed reports:
// its outcome's and its teardown's.
int failure_count(const TestRecord &record);

// The colour of the closing line and of the progress percentages: red when
// anything failed, yellow for xpasses, green when something passed (or the
// run is still going), yellow otherwise.
Color main_color(const Tally &tally, bool finished);

struct SummaryPart {
    std::string text;
    Style style;
};

// "2 failed", "12 passed", ... in pytest's order (failed, passed, skipped,
// deselected, xfailed, xpassed, error(s), then tach's crashed and
// timeout(s)), or "no tests ran".  Parts in the main colour are bold.
std::vector<SummaryPart> summary_parts(const Tally &tally);

// "0.41s", or "75.20s (0:01:15)" from a minute on.
std::string format_session_duration(double seconds);

// The closing line's text without separators or colour:
// "2 failed, 12 passed in 0.41s".
std::string summary_text(const Tally &tally, double seconds);

// pytest's exit codes.
enum ExitCode : int {
    kExitOk = 0,
    kExitTestsFailed = 1,
    kExitInterrupted = 2,
    kExitInternalError = 3,
    kExitUsageError = 4,
    kExitNoTestsCollected = 5,
};

// The exit code of a session that got as far as collecting.
int session_exit_code(const Session &session);

// The exit code for a failed tach_init with this status.
int init_failure_exit_code(int status);

} // namespace tach_cli
