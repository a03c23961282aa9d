// What one tach session produced: the collected tests' results, the
// collection errors and why the run stopped.  Plain data, copied out of the
// library's results, so that the reporters can be exercised without it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tach.hpp"

namespace tach_cli {

struct TestRecord {
    std::string nodeid;
    tach::Outcome outcome = tach::Outcome::Passed;
    double duration = 0.0;
    std::string phase;       // "setup", "call" or "teardown"
    std::string longrepr;    // the deciding phase's text, as the terminal shows it
    std::string message;
    std::string stdout_text;
    std::string stderr_text;
    int signal = 0;
    int exit_status = -1;
    bool teardown_failed = false;  // an error beside the outcome, as in pytest
    std::string teardown_longrepr; // that teardown's own text and message
    std::string teardown_message;

    // Isolation statistics (snapshot isolation).
    std::uint64_t pages_restored = 0;
    double restore_seconds = 0.0;
    bool worker_replaced = false;
    std::string replace_reason;
};

enum class StopReason {
    Completed,          // every collected test ran
    MaxFail,            // -x / --maxfail reached
    KeyboardInterrupt,  // SIGINT
    CollectionErrors,   // pytest would not run with these collection errors
    InternalError,      // the engine failed outside a test
};

struct Session {
    std::string python_version;
    std::string pytest_version;
    std::string isolation;                     // "fork", "none", ...
    std::string isolation_reason;              // why that mode; "" if unknown
    std::size_t collected = 0;                 // tests collected and selected
    std::size_t deselected = 0;                // collected, then deselected
    std::vector<tach::CollectError> collect_errors;
    std::vector<TestRecord> records;           // in the order they ran
    StopReason stop = StopReason::Completed;
    std::string internal_error;                // for StopReason::InternalError
    int maxfail = 0;
    std::size_t workers = 1;                   // tests run at a time (-n)
    std::string scheduling;                    // how the start order was chosen
    std::chrono::system_clock::time_point started{};
    double duration = 0.0;                     // seconds, init included
};

} // namespace tach_cli
