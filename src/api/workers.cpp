// tach_worker_count / tach_worker_info_get: the workers of this build or
// installation (tach-workers.list), read once.
#include <cstddef>
#include <vector>

#include "supervisor/install_paths.hpp"
#include "supervisor/worker_set.hpp"
#include "tach.h"

namespace {

const std::vector<tach::WorkerEntry> &workers() {
    static const std::vector<tach::WorkerEntry> set = [] {
        // Not $TACH_WORKER's directory: the workers tach_init chooses from.
        return tach::read_worker_set(tach::default_install_paths().worker_dir);
    }();
    return set;
}

}  // namespace

extern "C" TACH_API size_t tach_worker_count(void) { return workers().size(); }

extern "C" TACH_API int tach_worker_info_get(size_t index, tach_worker_info *out) {
    if (!out || out->size != sizeof(tach_worker_info)) return TACH_EINVAL;
    const auto &set = workers();
    if (index >= set.size()) return TACH_ENOTFOUND;
    out->path = set[index].path.c_str();
    out->python_version = set[index].full_version.c_str();
    out->python = set[index].python.c_str();
    return TACH_OK;
}
