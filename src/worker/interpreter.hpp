// Bringing up and down the embedded CPython the way `python -m pytest` would
// see it: the chosen interpreter's prefix, virtualenv and site-packages.
#pragma once

#include <string>

namespace tach::worker {

struct InterpreterSetup {
    std::string python;    // interpreter/venv executable; "" = built-in default
    std::string shim_dir;  // directory holding the tach_shim package
};

// Initialises Python.  Returns "" on success, else a message saying why not.
std::string start_interpreter(const InterpreterSetup &setup);

// Py_FinalizeEx; returns its status.
int stop_interpreter();

}  // namespace tach::worker
