// Turning Python objects into the UTF-8 strings the protocol carries.
#pragma once

#include "worker/python_compat.hpp"

#include <string>

namespace tach::worker {

// str(obj) as UTF-8; lone surrogates (undecodable bytes) become '?'.
// Never fails: on error returns "<unprintable ...>" and clears the error.
std::string utf8_of(PyObject *obj);

// The pending exception as Python would print it (traceback included),
// as UTF-8; clears it.  An exception whose str() is empty (a bare
// `assert` failing) still says what it was and where.  "" if none.
std::string take_exception_text();

// "3.11.2"
std::string python_version_string();

}  // namespace tach::worker
