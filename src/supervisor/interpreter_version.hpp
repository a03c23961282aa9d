// Which Python version an interpreter (or a virtualenv's python) is, read
// from the file system alone: the host never runs Python.
#pragma once

#include <string>

namespace tach {

// "3.12" from the virtualenv's pyvenv.cfg next to it, or from the name the
// executable resolves to (python3.12); "" when neither tells.
std::string interpreter_version(const std::string &python);

}  // namespace tach
