// The built-in `_tach_worker` module: the calls the Python shim makes into
// the worker (report collection, hand over control for serving tests).
#pragma once

#include "worker/python_compat.hpp"

namespace tach::worker {

inline constexpr const char *kShimModuleName = "_tach_worker";

PyObject *init_shim_module();

}  // namespace tach::worker
