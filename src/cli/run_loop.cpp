#include "run_loop.hpp"

#include <csignal>

#include "interrupt.hpp"
#include "summary.hpp"

namespace tach_cli {

bool caused_by_interrupt(const TestRecord &record) {
    if (record.outcome == tach::Outcome::Crashed)
        return record.signal == SIGINT || record.exit_status == 128 + SIGINT;
    if (record.outcome == tach::Outcome::Timeout)
        return false;
    return record.message.rfind("KeyboardInterrupt", 0) == 0;
}

namespace {

void internal_error(Session &session, const std::string &what, const tach::Error &error) {
    session.stop = StopReason::InternalError;
    session.internal_error = what + ": " + error.what() + " (" + error.code_name() + ")";
}

} // namespace

TestRecord record_of(const tach::Result &result) {
    TestRecord record;
    record.nodeid = result.nodeid();
    record.outcome = result.outcome();
    record.duration = result.duration();
    record.phase = result.phase();
    record.longrepr = result.longrepr();
    record.message = result.message();
    record.stdout_text = result.stdout_text();
    record.stderr_text = result.stderr_text();
    record.signal = result.signal();
    record.exit_status = result.exit_status();
    record.teardown_failed = result.teardown_failed();
    record.teardown_longrepr = result.teardown_longrepr();
    record.teardown_message = result.teardown_message();
    record.pages_restored = result.pages_restored();
    record.restore_seconds = result.restore_seconds();
    record.worker_replaced = result.worker_replaced();
    record.replace_reason = result.replace_reason();
    return record;
}

SnapshotStatus snapshot_engine(tach::Engine &engine, Session &session, std::string &message) {
    try {
        engine.snapshot();
    } catch (const tach::Error &error) {
        if (interrupt_requested()) {
            session.stop = StopReason::KeyboardInterrupt;
        } else if (error.code() == TACH_EUNSUPPORTED) {
            message = error.what();
            return SnapshotStatus::Unsupported;
        } else {
            internal_error(session, "tach_snapshot", error);
        }
        return SnapshotStatus::Failed;
    }
    return SnapshotStatus::Ok;
}

void run_tests(tach::Engine &engine, const std::vector<std::string> &nodeids,
               TerminalReport &report, Session &session) {
    int failures = 0;
    for (const std::string &nodeid : nodeids) {
        if (interrupt_requested()) {
            session.stop = StopReason::KeyboardInterrupt;
            return;
        }
        report.test_started(nodeid);

        TestRecord record;
        try {
            record = record_of(engine.run_test(nodeid));
        } catch (const tach::Error &error) {
            if (interrupt_requested())
                session.stop = StopReason::KeyboardInterrupt;
            else
                internal_error(session, "running " + nodeid, error);
            return;
        }
        if (interrupt_requested() && caused_by_interrupt(record)) {
            // As pytest does, the test that was interrupted is not reported.
            session.stop = StopReason::KeyboardInterrupt;
            return;
        }
        session.records.push_back(record);
        report.test_finished(record);

        failures += failure_count(record);
        if (session.maxfail > 0 && failures >= session.maxfail) {
            session.stop = StopReason::MaxFail;
            return;
        }
        try {
            engine.restore();
        } catch (const tach::Error &error) {
            internal_error(session, "tach_restore after " + nodeid, error);
            return;
        }
    }
    if (interrupt_requested())
        session.stop = StopReason::KeyboardInterrupt;
}

} // namespace tach_cli
