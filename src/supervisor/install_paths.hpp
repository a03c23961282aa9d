// Where the worker executable and the Python shim are: next to the build
// tree when the library runs from it, else where `meson install` put them.
#pragma once

#include <string>

namespace tach {

struct InstallPaths {
    std::string worker;      // the default worker, or $TACH_WORKER
    std::string worker_dir;  // where the build's workers and tach-workers.list are
    bool worker_from_env = false;  // $TACH_WORKER chose `worker`
    std::string shim_dir;
};

// $TACH_WORKER / $TACH_SHIM_DIR override each default.
InstallPaths default_install_paths();

}  // namespace tach
