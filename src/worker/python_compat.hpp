// The one place the worker includes Python.h.  Differences between CPython
// versions the worker has to care about are confined to this header.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX < 0x030A0000
#error "tach-worker needs CPython 3.10 or newer"
#endif

// PyFrame_Type and PyFrame_Check: in Python.h from 3.11 on, frameobject.h before.
#if PY_VERSION_HEX < 0x030B0000
#include <frameobject.h>
#endif

// Line coverage (src/coverage/line_tracer.cpp): a C trace function up to
// 3.11, sys.monitoring from 3.12 on (PEP 669; the trace-function path
// still works there but disables the specialising interpreter's fast
// paths for every frame).
#if PY_VERSION_HEX >= 0x030C0000
#define TACH_COVERAGE_SYS_MONITORING 1
#else
#define TACH_COVERAGE_SYS_MONITORING 0
#endif
