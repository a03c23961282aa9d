// What the worker knows about itself: its channel to the host and the
// settings the host sent.  One instance, set up by main() before Python runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tach::worker {

struct Context {
    int socket_fd = -1;     // the host's socketpair end
    int traceback_fd = -1;  // memfd the host reads a timed-out test's traceback from
    bool collected_sent = false;
    bool coverage = false;                      // trace lines (Init.coverage)
    std::vector<std::string> coverage_sources;  // absolute directories
};

Context &context();

}  // namespace tach::worker
