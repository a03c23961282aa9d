// Which Python an interpreter (or a virtualenv's python) is, read from the
// file system alone: the host picks a worker with it, the worker checks it
// embeds that version, and neither has to run Python for it.
#pragma once

#include <string>

namespace tach {

struct InterpreterIdentity {
    std::string version;      // "3.12" ("3.13t": free-threaded); "" when the
                              // file system does not tell
    std::string base_prefix;  // the installation it belongs to (realpath), e.g.
                              // /usr or ~/.pyenv/versions/3.12.1; "" if unknown
};

// A virtualenv's pyvenv.cfg (next to the executable or one level up) gives
// the version and, through `home`, the base installation; otherwise the
// name the executable resolves to (python3.12) and the directory above its bin/.
InterpreterIdentity identify_interpreter(const std::string &python);

// identify_interpreter(python).version.
std::string interpreter_version(const std::string &python);

}  // namespace tach
