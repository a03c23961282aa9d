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

// Run nodeids (in order) on an engine fresh from init, appending to
// session.records and setting session.stop.
void run_tests(tach::Engine &engine, const std::vector<std::string> &nodeids,
               TerminalReport &report, Session &session);

} // namespace tach_cli
