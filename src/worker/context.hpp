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
    // The worker's stderr pipe as the host made it (fd 2 at start): a lane
    // re-points every fd naming it to a pipe of its own.
    std::uint64_t stderr_dev = 0;
    std::uint64_t stderr_ino = 0;
    // The debugger relay's socket ($TACH_DEBUG_FD), -1 if none.  A lane
    // points it at a socket of its own that the host relays for that lane.
    int debug_fd = -1;
    // Init.paths (collect these instead of pytest's own) and Init.keep_base
    // (park the pre-collection state: worker/collection_base.hpp).
    std::vector<std::string> collect_paths;
    bool keep_base = false;
    // In a zygote forked by the collection base: the memfd a Recollect
    // request is left in for the base; -1 otherwise.
    int recollect_fd = -1;
    bool coverage = false;                      // trace lines (Init.coverage)
    std::vector<std::string> coverage_sources;  // absolute directories
};

Context &context();

}  // namespace tach::worker
