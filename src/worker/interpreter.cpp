#include "worker/interpreter.hpp"

#include "worker/python_compat.hpp"
#include <unistd.h>

#include "tach_paths.h"
#include "worker/shim_module.hpp"

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
    std::string python = setup.python.empty() ? std::string(TACH_DEFAULT_PYTHON) : setup.python;
    if (access(python.c_str(), X_OK) != 0)
        return "interpreter not found or not executable: " + python;

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
