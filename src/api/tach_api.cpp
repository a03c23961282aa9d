// The extern "C" entry points for engines.  Each one catches everything:
// no C++ exception ever crosses the ABI.
#include <cstddef>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "api/handles.hpp"

namespace {

const char *const kNullEngineMessage = "no engine (NULL handle: tach_init could not allocate one)";

// Runs `body` (which returns a status) with the engine's message cleared
// first, mapping any escaping exception to a status and message.
template <typename Body>
int guarded(tach_engine *handle, const char *what, Body &&body) {
    try {
        if (handle) handle->error.clear();
        if (handle && handle->engine) handle->engine->clear_error();
        int status = body();
        if (status != TACH_OK && handle && handle->engine && handle->engine->aborted()) {
            handle->engine->fail(TACH_ESHUTDOWN, std::string(what) +
                                                     ": tach_shutdown was called from another thread; stopped");
            return TACH_ESHUTDOWN;
        }
        return status;
    } catch (const std::bad_alloc &) {
        if (handle) handle->error = std::string(what) + ": out of memory";
        return TACH_ENOMEM;
    } catch (const std::exception &e) {
        if (handle) handle->error = std::string(what) + ": internal error: " + e.what();
        return TACH_ERROR;
    } catch (...) {
        if (handle) handle->error = std::string(what) + ": internal error";
        return TACH_ERROR;
    }
}

// The engine of a handle that is usable for `what`, or null with a status.
tach::Engine *usable(tach_engine *handle, const char *what, int *status) {
    if (!handle) {
        *status = TACH_EINVAL;
        return nullptr;
    }
    if (!handle->engine || handle->engine->failed()) {
        handle->error = std::string(what) + ": the engine failed to initialise";
        *status = TACH_EMISUSE;
        return nullptr;
    }
    return handle->engine.get();
}

const tach::Engine *readable(const tach_engine *handle) {
    return handle && handle->engine && !handle->engine->failed() ? handle->engine.get() : nullptr;
}

}  // namespace

extern "C" {

TACH_API const char *tach_version(void) { return TACH_VERSION_STRING; }

TACH_API int tach_version_number(void) { return TACH_VERSION_NUMBER; }

TACH_API const char *tach_strerror(int status) {
    switch (status) {
    case TACH_OK: return "TACH_OK: success";
    case TACH_ERROR: return "TACH_ERROR: internal error";
    case TACH_EINVAL: return "TACH_EINVAL: invalid argument";
    case TACH_ENOTFOUND: return "TACH_ENOTFOUND: not found";
    case TACH_EMISUSE: return "TACH_EMISUSE: call out of order or on a failed engine";
    case TACH_EINTERP: return "TACH_EINTERP: Python interpreter missing or unusable";
    case TACH_ECOLLECT: return "TACH_ECOLLECT: pytest could not start or collect";
    case TACH_EWORKER: return "TACH_EWORKER: worker process failed";
    case TACH_ENOMEM: return "TACH_ENOMEM: out of memory";
    case TACH_EUNSUPPORTED: return "TACH_EUNSUPPORTED: not supported here";
    case TACH_ESHUTDOWN: return "TACH_ESHUTDOWN: tach_shutdown was called during the call";
    default: return "unknown tach status";
    }
}

TACH_API const char *tach_isolation_name(tach_isolation isolation) {
    // A C caller may pass any int: read it as one (see resolve_options).
    int value = 0;
    std::memcpy(&value, &isolation, sizeof value);
    switch (value) {
    case TACH_ISOLATION_AUTO: return "auto";
    case TACH_ISOLATION_FORK: return "fork";
    case TACH_ISOLATION_NONE: return "none";
    case TACH_ISOLATION_SNAPSHOT: return "snapshot";
    default: return "unknown";
    }
}

TACH_API int tach_init_options_init_v4(tach_init_options *opts) {
    if (!opts) return TACH_EINVAL;
    *opts = tach_init_options TACH_INIT_OPTIONS_INIT;
    return TACH_OK;
}

// The symbol programs built with the third layout call: their struct ends
// at debugger.
TACH_API int tach_init_options_init_v3(tach_init_options *opts) {
    if (!opts) return TACH_EINVAL;
    constexpr std::size_t kThirdLayout = offsetof(tach_init_options, debugger) + sizeof(int);
    tach_init_options defaults = TACH_INIT_OPTIONS_INIT;
    defaults.size = kThirdLayout;
    std::memcpy(static_cast<void *>(opts), &defaults, kThirdLayout);
    return TACH_OK;
}

// The symbol programs built with the coverage fields (second layout)
// call: their struct ends at ncoverage_sources.
TACH_API int tach_init_options_init_v2(tach_init_options *opts) {
    if (!opts) return TACH_EINVAL;
    constexpr std::size_t kSecondLayout = offsetof(tach_init_options, ncoverage_sources) + sizeof(std::size_t);
    tach_init_options defaults = TACH_INIT_OPTIONS_INIT;
    defaults.size = kSecondLayout;
    std::memcpy(static_cast<void *>(opts), &defaults, kSecondLayout);
    return TACH_OK;
}

// The symbol programs built before the coverage fields call: their struct
// ends at shim_path, so only that much is written.
#undef tach_init_options_init
TACH_API int tach_init_options_init(tach_init_options *opts) {
    if (!opts) return TACH_EINVAL;
    constexpr std::size_t kFirstLayout = offsetof(tach_init_options, shim_path) + sizeof(const char *);
    const tach_init_options defaults = TACH_INIT_OPTIONS_INIT;
    std::memcpy(static_cast<void *>(opts), &defaults, kFirstLayout);
    opts->size = kFirstLayout;
    return TACH_OK;
}

TACH_API int tach_init(tach_engine **out, const tach_init_options *opts) {
    if (!out) return TACH_EINVAL;
    *out = nullptr;
    std::unique_ptr<tach_engine> handle;
    try {
        handle = std::make_unique<tach_engine>();
    } catch (...) {
        return TACH_ENOMEM;
    }
    tach_engine *h = handle.get();
    int status = guarded(h, "tach_init", [&]() -> int {
        tach::EngineOptions options;
        std::string message;
        int st = tach::resolve_options(opts, &options, &message);
        if (st != TACH_OK) {
            h->error = message;
            return st;
        }
        h->engine = std::make_unique<tach::Engine>(std::move(options));
        st = h->engine->init();
        return st;
    });
    *out = handle.release();
    return status;
}

TACH_API void tach_shutdown(tach_engine *engine) {
    try {
        if (!engine) return;
        std::unique_lock<std::mutex> in_flight(engine->calls, std::try_to_lock);
        if (!in_flight.owns_lock()) {
            // Another thread is inside a call on this engine: kill its
            // worker so that call returns (TACH_ESHUTDOWN), then wait for it.
            if (engine->engine) engine->engine->abort();
            in_flight.lock();
        }
        in_flight.unlock();
        std::unique_ptr<tach_engine> owned(engine);
        if (engine) {
            std::lock_guard<std::mutex> lock(engine->runners_mutex);
            for (tach_runner *runner : engine->runners) {
                if (engine->engine && runner->lane) engine->engine->close_lane(*runner->lane);
                runner->owner = nullptr;
            }
            engine->runners.clear();
        }
    } catch (...) {
        // Destructors here do not throw; nothing may escape regardless.
    }
}

TACH_API const char *tach_errmsg(const tach_engine *engine) {
    if (!engine) return kNullEngineMessage;
    if (!engine->error.empty()) return engine->error.c_str();
    if (engine->engine) return engine->engine->error().c_str();
    return "";
}

TACH_API tach_isolation tach_engine_isolation(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    if (!e) return TACH_ISOLATION_AUTO;
    return e->isolation_decided() ? e->isolation() : e->requested_isolation();
}

TACH_API const char *tach_engine_isolation_reason(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->isolation_reason().c_str() : "";
}

TACH_API const char *tach_python_version(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->python_version().c_str() : "";
}

TACH_API const char *tach_pytest_version(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->pytest_version().c_str() : "";
}

TACH_API size_t tach_test_count(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->nodeids().size() : 0;
}

TACH_API const char *tach_test_nodeid(const tach_engine *engine, size_t index) {
    const tach::Engine *e = readable(engine);
    return e && index < e->nodeids().size() ? e->nodeids()[index].c_str() : nullptr;
}

TACH_API size_t tach_collect_error_count(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->collect_errors().size() : 0;
}

TACH_API const char *tach_collect_error_nodeid(const tach_engine *engine, size_t index) {
    const tach::Engine *e = readable(engine);
    return e && index < e->collect_errors().size() ? e->collect_errors()[index].nodeid.c_str() : nullptr;
}

TACH_API const char *tach_collect_error_text(const tach_engine *engine, size_t index) {
    const tach::Engine *e = readable(engine);
    return e && index < e->collect_errors().size() ? e->collect_errors()[index].text.c_str() : nullptr;
}

TACH_API size_t tach_deselected_count(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->deselected() : 0;
}

TACH_API int tach_collection_interrupts(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e && e->collection_interrupts() ? 1 : 0;
}

TACH_API int tach_snapshot(tach_engine *engine) {
    if (!engine) return TACH_EINVAL;
    std::lock_guard<std::mutex> call(engine->calls);
    return guarded(engine, "tach_snapshot", [&]() -> int {
        int status = TACH_OK;
        tach::Engine *e = usable(engine, "tach_snapshot", &status);
        return e ? e->snapshot() : status;
    });
}

TACH_API int tach_recollect(tach_engine *engine, const char *const *paths, size_t npaths, int *reused) {
    if (reused) *reused = 0;
    if (!engine) return TACH_EINVAL;
    std::lock_guard<std::mutex> call(engine->calls);
    return guarded(engine, "tach_recollect", [&]() -> int {
        int status = TACH_OK;
        tach::Engine *e = usable(engine, "tach_recollect", &status);
        if (!e) return status;
        if (npaths > 0 && !paths) {
            engine->error = "tach_recollect: paths is NULL but npaths is " + std::to_string(npaths);
            return TACH_EINVAL;
        }
        std::vector<std::string> list;
        for (size_t i = 0; i < npaths; ++i) {
            if (!paths[i] || !*paths[i]) {
                engine->error = "tach_recollect: paths[" + std::to_string(i) + "] is " + (paths[i] ? "empty" : "NULL");
                return TACH_EINVAL;
            }
            list.emplace_back(paths[i]);
        }
        {
            // A runner's process belongs to the zygote being replaced.
            std::lock_guard<std::mutex> runners(engine->runners_mutex);
            if (!engine->runners.empty()) {
                engine->error = "tach_recollect: " + std::to_string(engine->runners.size()) +
                                " tach_runner(s) of this engine are still open; close them first";
                return TACH_EMISUSE;
            }
        }
        bool was_reused = false;
        status = e->recollect(std::move(list), &was_reused);
        if (reused) *reused = was_reused ? 1 : 0;
        return status;
    });
}

TACH_API size_t tach_python_files_count(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->python_files().size() : 0;
}

TACH_API const char *tach_python_files_pattern(const tach_engine *engine, size_t index) {
    const tach::Engine *e = readable(engine);
    return e && index < e->python_files().size() ? e->python_files()[index].c_str() : nullptr;
}

TACH_API const char *tach_recollect_reason(const tach_engine *engine) {
    const tach::Engine *e = readable(engine);
    return e ? e->recollect_reason().c_str() : "";
}

TACH_API int tach_restore(tach_engine *engine) {
    if (!engine) return TACH_EINVAL;
    std::lock_guard<std::mutex> call(engine->calls);
    return guarded(engine, "tach_restore", [&]() -> int {
        int status = TACH_OK;
        tach::Engine *e = usable(engine, "tach_restore", &status);
        return e ? e->restore() : status;
    });
}

TACH_API int tach_run_test(tach_engine *engine, const char *nodeid, tach_result **out) {
    if (!engine) return TACH_EINVAL;
    std::lock_guard<std::mutex> call(engine->calls);
    return guarded(engine, "tach_run_test", [&]() -> int {
        int status = TACH_OK;
        tach::Engine *e = usable(engine, "tach_run_test", &status);
        if (!e) return status;
        if (!nodeid || !out) {
            engine->error = "tach_run_test: nodeid and out must not be NULL";
            return TACH_EINVAL;
        }
        std::unique_ptr<tach::TestRun> run;
        status = e->run_test(nodeid, &run);
        if (status != TACH_OK) return status;
        auto handle = std::make_unique<tach_result>();
        handle->result = std::move(run->result);
        handle->restore = std::move(run->restore);
        *out = handle.release();
        return TACH_OK;
    });
}

TACH_API int tach_coverage_write(tach_engine *engine, tach_coverage_format fmt, const char *path,
                                int with_contexts) {
    if (!engine) return TACH_EINVAL;
    std::lock_guard<std::mutex> call(engine->calls);
    return guarded(engine, "tach_coverage_write", [&]() -> int {
        int status = TACH_OK;
        tach::Engine *e = usable(engine, "tach_coverage_write", &status);
        if (!e) return status;
        if (!path || !*path) {
            engine->error = "tach_coverage_write: path must not be NULL or empty";
            return TACH_EINVAL;
        }
        return e->write_coverage(static_cast<int>(fmt), path, with_contexts != 0);
    });
}

}  // extern "C"
