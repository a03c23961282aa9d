// The extern "C" entry points for runners (tach_runner): one lane each,
// used from a thread of the caller's.  Each one catches everything: no C++
// exception ever crosses the ABI.
#include <exception>
#include <mutex>
#include <new>
#include <string>

#include "api/handles.hpp"

namespace {

template <typename Body>
int runner_guarded(tach_runner *runner, const char *what, Body &&body) {
    try {
        if (runner) runner->error.clear();
        return body();
    } catch (const std::bad_alloc &) {
        if (runner) runner->error = std::string(what) + ": out of memory";
        return TACH_ENOMEM;
    } catch (const std::exception &e) {
        if (runner) runner->error = std::string(what) + ": internal error: " + e.what();
        return TACH_ERROR;
    } catch (...) {
        if (runner) runner->error = std::string(what) + ": internal error";
        return TACH_ERROR;
    }
}

}  // namespace

extern "C" {

TACH_API int tach_runner_open(tach_engine *engine, tach_runner **out) {
    if (!engine || !out) return TACH_EINVAL;
    // Like tach_init, a failure still returns a runner (in a failed state)
    // that carries the message: the engine's own message is never touched,
    // so opening is safe beside engine-level calls on other threads.
    std::unique_ptr<tach_runner> runner;
    try {
        runner = std::make_unique<tach_runner>();
    } catch (...) {
        *out = nullptr;
        return TACH_ENOMEM;
    }
    int status = TACH_OK;
    try {
        if (!engine->engine || engine->engine->failed()) {
            runner->open_error = "tach_runner_open: the engine failed to initialise";
            status = TACH_EMISUSE;
        } else {
            std::unique_ptr<tach::Lane> lane;
            std::string message;
            status = engine->engine->open_lane(&lane, &message);
            if (status == TACH_OK) {
                runner->owner = engine;
                runner->lane = std::move(lane);
                std::lock_guard<std::mutex> lock(engine->runners_mutex);
                engine->runners.insert(runner.get());
            } else {
                runner->open_error = message;
            }
        }
    } catch (const std::bad_alloc &) {
        runner->open_error = "tach_runner_open: out of memory";
        status = TACH_ENOMEM;
    } catch (...) {
        runner->open_error = "tach_runner_open: internal error";
        status = TACH_ERROR;
    }
    if (status != TACH_OK) runner->error = runner->open_error;
    *out = runner.release();
    return status;
}

TACH_API int tach_runner_run_test(tach_runner *runner, const char *nodeid, tach_result **out) {
    if (!runner) return TACH_EINVAL;
    return runner_guarded(runner, "tach_runner_run_test", [&]() -> int {
        if (!nodeid || !out) {
            runner->error = "tach_runner_run_test: nodeid and out must not be NULL";
            return TACH_EINVAL;
        }
        if (!runner->open_error.empty()) {
            runner->error = "tach_runner_run_test: the runner failed to open (" + runner->open_error + ")";
            return TACH_EMISUSE;
        }
        if (!runner->owner || !runner->owner->engine) {
            runner->error = "tach_runner_run_test: the runner's engine was shut down";
            return TACH_EMISUSE;
        }
        std::unique_ptr<tach::TestRun> run;
        int status = runner->owner->engine->run_in_lane(*runner->lane, nodeid, &run);
        if (status != TACH_OK) {
            runner->error = runner->lane->error;
            return status;
        }
        auto handle = std::make_unique<tach_result>();
        handle->result = std::move(run->result);
        handle->restore = std::move(run->restore);
        *out = handle.release();
        return TACH_OK;
    });
}

TACH_API const char *tach_runner_errmsg(const tach_runner *runner) {
    if (!runner) return "no runner (NULL handle)";
    return runner->error.c_str();
}

TACH_API void tach_runner_close(tach_runner *runner) {
    if (!runner) return;
    try {
        std::unique_ptr<tach_runner> owned(runner);
        if (runner->owner) {
            {
                std::lock_guard<std::mutex> lock(runner->owner->runners_mutex);
                runner->owner->runners.erase(runner);
            }
            if (runner->owner->engine && runner->lane) runner->owner->engine->close_lane(*runner->lane);
        }
    } catch (...) {
        // Nothing may escape.
    }
}

}  // extern "C"
