// Runs the tests on several workers at once (tach -n N): one tach::Runner
// per worker thread, all forked from the engine's one collected
// interpreter.  Tests start in `order` (longest first, see
// durations_cache.hpp); results reach the report and session.records in
// collection order whichever worker finished first, so the output and the
// JUnit XML do not depend on timing.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "session.hpp"
#include "terminal_report.hpp"

namespace tach_cli {

struct ParallelPlan {
    std::size_t workers = 2;
    std::vector<std::size_t> order;  // indices into the node ids, in start order
    // A terminal: a live progress line while tests run, the report's
    // progress letters once they are done.  Otherwise the letters as
    // results come in (in collection order).
    std::FILE *live_progress = nullptr;
    std::size_t width = 80;
    // $TACH_DISPATCH_LOG: a file that gets each node id as it is started.
    std::string dispatch_log;
};

void run_tests_parallel(tach::Engine &engine, const std::vector<std::string> &nodeids,
                        const ParallelPlan &plan, TerminalReport &report, Session &session);

} // namespace tach_cli
