// What the opaque handles of tach.h are.
#pragma once

#include <memory>
#include <mutex>

#include "common/protocol.hpp"
#include "supervisor/engine.hpp"
#include "tach.h"

struct tach_engine {
    // Null when tach_init failed before the options were usable.
    std::unique_ptr<tach::Engine> engine;
    // Message of a failure that happened without an engine.
    std::string error;
    // Held by every call that may wait on the worker (snapshot, restore,
    // run_test, coverage_write), so that tach_shutdown from another thread
    // can stop that call and wait for it to return before freeing.
    std::mutex calls;
};

struct tach_result {
    tach::protocol::Result result;
    tach::RestoreInfo restore;
};
