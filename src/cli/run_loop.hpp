// Drives the engine through the collected tests, one at a time:
// run_test, record, restore.  Stops early at --maxfail, on Ctrl-C, or when
// the engine fails outside a test.
#pragma once

#include <string>
#include <vector>

#include "session.hpp"
#include "terminal_report.hpp"

namespace tach_cli {

// The plain-data copy of a result that the reports work from.
TestRecord record_of(const tach::Result &result);

// A result that the Ctrl-C itself produced (the test process got the
// SIGINT too), as opposed to one that merely finished meanwhile.
bool caused_by_interrupt(const TestRecord &record);

enum class SnapshotStatus {
    Ok,           // the golden image is taken; the mode is resolved
    Unsupported,  // the isolation asked for is not available here (message)
    Failed,       // session.stop says why (Ctrl-C or an internal error)
};

// tach_snapshot on an engine fresh from init.
SnapshotStatus snapshot_engine(tach::Engine &engine, Session &session, std::string &message);

// Run nodeids (in order) on a snapshotted engine, appending to
// session.records and setting session.stop.
void run_tests(tach::Engine &engine, const std::vector<std::string> &nodeids,
               TerminalReport &report, Session &session);

} // namespace tach_cli
