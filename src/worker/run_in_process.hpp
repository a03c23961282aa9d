// Running one test in the current process through the shim's runner and
// turning what it returns into a protocol Result.
#pragma once

#include "worker/python_compat.hpp"

#include <string>

#include "common/protocol.hpp"

namespace tach::worker {

// Calls runner.run(nodeid, forked) (the GIL must be held).  A shim that
// raises or returns garbage gives an `error` result carrying its traceback.
protocol::Result run_in_process(PyObject *runner, const std::string &nodeid, bool forked);

// After a forked test process died: what it wrote before dying, read from
// pytest's capture files (runner.crash_output()).  Never fails.
void read_crash_output(PyObject *runner, std::string *out, std::string *err);

}  // namespace tach::worker
