// The one place the worker includes Python.h.  Differences between CPython
// versions the worker has to care about are confined to this header.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX < 0x030A0000
#error "tach-worker needs CPython 3.10 or newer"
#endif
