#include "worker/interpreter.hpp"

#include "worker/python_compat.hpp"
#include <unistd.h>

#include "common/interpreter_version.hpp"
#include "worker/shim_module.hpp"

// The interpreter this worker was built for (meson: -DTACH_WORKER_PYTHON).
#ifndef TACH_WORKER_PYTHON
#error "TACH_WORKER_PYTHON must name the interpreter this worker embeds"
#endif

namespace tach::worker {
namespace {

std::string status_message(const PyStatus &status, const char *what) {
    std::string msg = what;
    if (status.func) {
        msg += ": ";
        msg += status.func;
    }
    if (status.err_msg) {
        msg += ": ";
        msg += status.err_msg;
    }
    return msg;
}

}  // namespace

std::string start_interpreter(const InterpreterSetup &setup) {
    std::string python = setup.python.empty() ? std::string(TACH_WORKER_PYTHON) : setup.python;
    if (access(python.c_str(), X_OK) != 0)
        return "interpreter not found or not executable: " + python;
    // Another version's standard library and extensions cannot run on this
    // libpython (the host picks a matching worker; this catches a worker
    // forced by $TACH_WORKER or options.worker_path).
    const std::string own = std::to_string(PY_MAJOR_VERSION) + "." + std::to_string(PY_MINOR_VERSION);
    if (std::string version = interpreter_version(python); !version.empty() && version != own)
        return python + " is Python " + version + ", but this worker (" + TACH_WORKER_PYTHON +
               ") embeds Python " + own + "; use the worker built for Python " + version;

    if (PyImport_AppendInittab(kShimModuleName, init_shim_module) != 0)
        return "cannot register the _tach_worker module";

    PyConfig config;
    // The "python" configuration reads PYTHON* environment variables, the
    // user site and pyvenv.cfg as the interpreter itself would.
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    config.install_signal_handlers = 1;
    std::string error;
    // program_name makes getpath resolve prefixes (and a virtualenv's
    // pyvenv.cfg) from the chosen interpreter, and sys.executable points
    // at it, so tests that spawn sys.executable get a real python.
    PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, python.c_str());
    if (!PyStatus_Exception(status)) {
        char *argv[] = {const_cast<char *>(python.c_str())};
        status = PyConfig_SetBytesArgv(&config, 1, argv);
    }
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status)) error = status_message(status, "cannot initialise Python");
    PyConfig_Clear(&config);
    if (!error.empty()) return error;

    // `python -m pytest` puts the invocation directory first on sys.path,
    // so project packages import without installation; do the same.  The
    // shim goes last so it never shadows the project's modules.
    PyObject *sys_path = PySys_GetObject("path");  // borrowed
    char cwd[4096];
    if (sys_path && getcwd(cwd, sizeof cwd)) {
        PyObject *dir = PyUnicode_DecodeFSDefault(cwd);
        PyObject *shim = PyUnicode_DecodeFSDefault(setup.shim_dir.c_str());
        if (dir && shim && PyList_Insert(sys_path, 0, dir) == 0 && PyList_Append(sys_path, shim) == 0) {
            Py_DECREF(dir);
            Py_DECREF(shim);
            return "";
        }
        Py_XDECREF(dir);
        Py_XDECREF(shim);
    }
    PyErr_Clear();
    return "cannot set up sys.path";
}

int stop_interpreter() { return Py_FinalizeEx(); }

}  // namespace tach::worker
