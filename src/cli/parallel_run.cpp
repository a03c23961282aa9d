#include "parallel_run.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "interrupt.hpp"
#include "progress_line.hpp"
#include "run_loop.hpp"
#include "summary.hpp"

namespace tach_cli {

namespace {

using Clock = std::chrono::steady_clock;

// Shared between the worker threads and the reporting (main) thread.
struct Board {
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t next = 0;                         // position in plan.order
    std::vector<std::optional<TestRecord>> results;  // by collection index
    std::size_t done = 0;
    std::size_t failures = 0;
    std::size_t running = 0;                      // worker threads alive
    bool stop = false;
    StopReason reason = StopReason::Completed;
    std::string internal_error;
    std::FILE *log = nullptr;
};

void work(tach::Runner &runner, const std::vector<std::string> &nodeids, const ParallelPlan &plan,
          int maxfail, Board &board) {
    std::unique_lock<std::mutex> lock(board.mutex);
    for (;;) {
        if (interrupt_requested() && !board.stop) {
            board.stop = true;
            board.reason = StopReason::KeyboardInterrupt;
        }
        if (board.stop || board.next >= plan.order.size())
            break;
        const std::size_t index = plan.order[board.next++];
        if (board.log) {
            std::fprintf(board.log, "%s\n", nodeids[index].c_str());
            std::fflush(board.log);
        }
        lock.unlock();
        std::optional<TestRecord> record;
        std::string error;
        try {
            record = record_of(runner.run_test(nodeids[index]));
        } catch (const tach::Error &e) {
            error = "running " + nodeids[index] + ": " + e.what() + " (" + e.code_name() + ")";
        }
        lock.lock();
        if (!record) {
            if (interrupt_requested()) {
                board.reason = StopReason::KeyboardInterrupt;
            } else if (board.reason != StopReason::InternalError) {
                board.reason = StopReason::InternalError;
                board.internal_error = error;
            }
            board.stop = true;
            break;
        }
        if (interrupt_requested() && caused_by_interrupt(*record)) {
            // As pytest does, the test that was interrupted is not reported.
            board.stop = true;
            board.reason = StopReason::KeyboardInterrupt;
            break;
        }
        board.failures += static_cast<std::size_t>(failure_count(*record));
        board.results[index] = std::move(record);
        ++board.done;
        if (maxfail > 0 && board.failures >= static_cast<std::size_t>(maxfail) && !board.stop) {
            board.stop = true;
            board.reason = StopReason::MaxFail;
        }
        board.changed.notify_all();
    }
    --board.running;
    board.changed.notify_all();
}

} // namespace

void run_tests_parallel(tach::Engine &engine, const std::vector<std::string> &nodeids,
                        const ParallelPlan &plan, TerminalReport &report, Session &session) {
    const Clock::time_point start = Clock::now();
    std::vector<tach::Runner> runners;
    try {
        for (std::size_t i = 0; i < plan.workers; ++i)
            runners.push_back(tach::Runner::open(engine));
    } catch (const tach::Error &error) {
        if (interrupt_requested()) {
            session.stop = StopReason::KeyboardInterrupt;
        } else {
            session.stop = StopReason::InternalError;
            session.internal_error = std::string("tach_runner_open: ") + error.what() + " (" +
                                     error.code_name() + ")";
        }
        return;
    }

    Board board;
    board.results.resize(nodeids.size());
    if (!plan.dispatch_log.empty())
        board.log = std::fopen(plan.dispatch_log.c_str(), "w");
    board.running = runners.size();
    std::vector<std::thread> threads;
    for (tach::Runner &runner : runners)
        threads.emplace_back(work, std::ref(runner), std::cref(nodeids), std::cref(plan), session.maxfail,
                             std::ref(board));

    const auto emit = [&](std::size_t index) {
        report.test_started(nodeids[index]);
        report.test_finished(*board.results[index]);
        session.records.push_back(*board.results[index]);
    };
    std::size_t printed = 0;  // the collection-order prefix already reported
    {
        std::unique_lock<std::mutex> lock(board.mutex);
        for (;;) {
            board.changed.wait_for(lock, std::chrono::milliseconds(100));
            if (interrupt_requested() && !board.stop) {
                board.stop = true;
                board.reason = StopReason::KeyboardInterrupt;
            }
            if (plan.live_progress) {
                const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
                std::fputs(progress_redraw(progress_text(board.done, nodeids.size(), board.failures, elapsed,
                                                         runners.size(), plan.width))
                               .c_str(),
                           plan.live_progress);
                std::fflush(plan.live_progress);
            } else {
                while (printed < nodeids.size() && board.results[printed])
                    emit(printed++);
            }
            if (board.running == 0)
                break;
        }
    }
    for (std::thread &t : threads)
        t.join();
    if (plan.live_progress) {
        std::fputs(progress_erase().c_str(), plan.live_progress);
        std::fflush(plan.live_progress);
    }
    // What is left: everything (live progress), or the results after a
    // test that was never started (a stop), in collection order.
    for (; printed < nodeids.size(); ++printed)
        if (board.results[printed])
            emit(printed);
    if (board.log)
        std::fclose(board.log);
    if (board.stop)
        session.stop = board.reason;
    if (board.reason == StopReason::InternalError)
        session.internal_error = board.internal_error;
    if (interrupt_requested())
        session.stop = StopReason::KeyboardInterrupt;
}

} // namespace tach_cli
