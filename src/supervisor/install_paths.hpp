// Where the worker executable and the Python shim are: next to the build
// tree when the library runs from it, else where `meson install` put them.
#pragma once

#include <string>

namespace tach {

struct InstallPaths {
    std::string worker;
    std::string shim_dir;
};

// $TACH_WORKER / $TACH_SHIM_DIR override each default.
InstallPaths default_install_paths();

}  // namespace tach
