#include "supervisor/install_paths.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include "tach_paths.h"

namespace tach {
namespace {

// True when this copy of the library was loaded from the build directory.
bool running_from_build_tree() {
    Dl_info info;
    if (!dladdr(reinterpret_cast<void *>(&running_from_build_tree), &info) || !info.dli_fname)
        return false;
    char resolved[4096];
    const char *path = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    std::size_t n = std::strlen(TACH_BUILD_DIR);
    return std::strncmp(path, TACH_BUILD_DIR, n) == 0 && path[n] == '/';
}

}  // namespace

InstallPaths default_install_paths() {
    InstallPaths p;
    if (running_from_build_tree()) {
        p.worker = TACH_BUILD_WORKER;
        p.shim_dir = TACH_SOURCE_SHIM_DIR;
    } else {
        p.worker = TACH_INSTALL_WORKER;
        p.shim_dir = TACH_INSTALL_SHIM_DIR;
    }
    p.worker_dir = p.worker.substr(0, p.worker.rfind('/'));
    if (const char *w = std::getenv("TACH_WORKER"); w && *w) {
        p.worker = w;
        p.worker_from_env = true;
    }
    if (const char *s = std::getenv("TACH_SHIM_DIR"); s && *s) p.shim_dir = s;
    return p;
}

}  // namespace tach
