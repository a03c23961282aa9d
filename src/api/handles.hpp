// What the opaque handles of tach.h are.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/protocol.hpp"
#include "supervisor/engine.hpp"
#include "tach.h"

struct tach_engine {
    // Null when tach_init failed before the options were usable.
    std::unique_ptr<tach::Engine> engine;
    // Message of a failure that happened without an engine.
    std::string error;
    // Runners still open: tach_shutdown stops their processes and detaches
    // them, so that a later call on one is refused instead of touching a
    // freed engine.
    std::mutex runners_mutex;
    std::set<tach_runner *> runners;
    // Held by every call that may wait on the worker (snapshot, restore,
    // run_test, coverage_write), so that tach_shutdown from another thread
    // can stop that call and wait for it to return before freeing.
    std::mutex calls;
};

struct tach_runner {
    tach_engine *owner = nullptr;  // null once the engine was shut down
    std::unique_ptr<tach::Lane> lane;
    std::string error;
    std::string open_error;  // non-empty: tach_runner_open failed; only close it
};

struct tach_result {
    tach::protocol::Result result;
    tach::RestoreInfo restore;
};
