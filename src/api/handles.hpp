// What the opaque handles of tach.h are.
#pragma once

#include <memory>

#include "common/protocol.hpp"
#include "supervisor/engine.hpp"
#include "tach.h"

struct tach_engine {
    // Null when tach_init failed before the options were usable.
    std::unique_ptr<tach::Engine> engine;
    // Message of a failure that happened without an engine.
    std::string error;
};

struct tach_result {
    tach::protocol::Result result;
    tach::RestoreInfo restore;
};
