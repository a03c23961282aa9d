"""libtach through Python's ctypes, as a Python integrator would load it.

usage: test_ctypes.py LIBTACH_SO FIXTURES_DIR

Declares tach_init_options with ctypes (size = ctypes.sizeof, checked
against what tach_init_options_init writes), runs tests of
FIXTURES_DIR/basic through the library and checks outcomes and messages.
Exits 0 on success, 1 with a message on the first failure.
"""

import ctypes
import os
import signal
import sys

TACH_OK = 0
TACH_EINVAL = 2
TACH_ENOTFOUND = 3
TACH_EMISUSE = 4

TACH_ISOLATION_FORK = 1

OUTCOMES = ["passed", "failed", "skipped", "xfailed", "xpassed", "error", "crashed", "timeout"]


class InitOptions(ctypes.Structure):
    """tach_init_options, field for field."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("project_root", ctypes.c_char_p),
        ("args", ctypes.POINTER(ctypes.c_char_p)),
        ("nargs", ctypes.c_size_t),
        ("python", ctypes.c_char_p),
        ("isolation", ctypes.c_int),  # a C enum: int-sized on this ABI
        ("timeout_seconds", ctypes.c_double),
        ("worker_path", ctypes.c_char_p),
        ("shim_path", ctypes.c_char_p),
    ]


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


def declare(lib):
    """Argument and return types of every function used."""
    engine_p = ctypes.c_void_p
    result_p = ctypes.c_void_p
    sigs = {
        "tach_version": (ctypes.c_char_p, []),
        "tach_strerror": (ctypes.c_char_p, [ctypes.c_int]),
        "tach_init_options_init": (ctypes.c_int, [ctypes.c_void_p]),
        "tach_init": (ctypes.c_int, [ctypes.POINTER(engine_p), ctypes.POINTER(InitOptions)]),
        "tach_shutdown": (None, [engine_p]),
        "tach_errmsg": (ctypes.c_char_p, [engine_p]),
        "tach_test_count": (ctypes.c_size_t, [engine_p]),
        "tach_test_nodeid": (ctypes.c_char_p, [engine_p, ctypes.c_size_t]),
        "tach_snapshot": (ctypes.c_int, [engine_p]),
        "tach_restore": (ctypes.c_int, [engine_p]),
        "tach_run_test": (ctypes.c_int, [engine_p, ctypes.c_char_p, ctypes.POINTER(result_p)]),
        "tach_outcome_name": (ctypes.c_char_p, [ctypes.c_int]),
        "tach_result_nodeid": (ctypes.c_char_p, [result_p]),
        "tach_result_outcome": (ctypes.c_int, [result_p]),
        "tach_result_duration": (ctypes.c_double, [result_p]),
        "tach_result_phase": (ctypes.c_char_p, [result_p]),
        "tach_result_message": (ctypes.c_char_p, [result_p]),
        "tach_result_longrepr": (ctypes.c_char_p, [result_p]),
        "tach_result_stdout": (ctypes.c_char_p, [result_p]),
        "tach_result_signal": (ctypes.c_int, [result_p]),
        "tach_result_free": (None, [result_p]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def check_struct_size(lib):
    """The library's idea of the struct matches ours: it writes `size`
    (sizeof as compiled into the library) and nothing past it."""
    buf = (ctypes.c_ubyte * 512)(*([0xAB] * 512))
    check(lib.tach_init_options_init(buf) == TACH_OK, "tach_init_options_init failed")
    written = InitOptions.from_buffer(buf)
    check(written.size == ctypes.sizeof(InitOptions),
          f"library says sizeof(tach_init_options) = {written.size}, ctypes {ctypes.sizeof(InitOptions)}")
    check(all(b == 0xAB for b in buf[written.size:]), "tach_init_options_init wrote past the struct")
    check(written.isolation == 0 and written.timeout_seconds == 0.0, "defaults are not AUTO / 0.0")
    check(lib.tach_init_options_init(None) == TACH_EINVAL, "tach_init_options_init(NULL) is not EINVAL")


def make_options(root, args, size=None):
    opts = InitOptions()
    opts.size = ctypes.sizeof(InitOptions) if size is None else size
    opts.project_root = root.encode()
    argv = (ctypes.c_char_p * max(len(args), 1))(*[a.encode() for a in args])
    opts.args = argv
    opts.nargs = len(args)
    opts.isolation = TACH_ISOLATION_FORK
    return opts, argv  # argv must outlive the call


def init(lib, opts):
    engine = ctypes.c_void_p()
    status = lib.tach_init(ctypes.byref(engine), ctypes.byref(opts))
    return status, engine


def run(lib, engine, nodeid):
    result = ctypes.c_void_p()
    status = lib.tach_run_test(engine, nodeid.encode(), ctypes.byref(result))
    check(status == TACH_OK,
          f"tach_run_test({nodeid}) = {lib.tach_strerror(status).decode()}: {lib.tach_errmsg(engine).decode()}")
    try:
        return {
            "nodeid": lib.tach_result_nodeid(result).decode(),
            "outcome": OUTCOMES[lib.tach_result_outcome(result)],
            "duration": lib.tach_result_duration(result),
            "phase": lib.tach_result_phase(result).decode(),
            "message": lib.tach_result_message(result).decode(),
            "longrepr": lib.tach_result_longrepr(result).decode(),
            "stdout": lib.tach_result_stdout(result).decode(),
            "signal": lib.tach_result_signal(result),
        }
    finally:
        lib.tach_result_free(result)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    lib = ctypes.CDLL(argv[1])
    fixtures = argv[2]
    declare(lib)

    check(lib.tach_version().decode().count(".") == 2, "tach_version is not MAJOR.MINOR.PATCH")
    check_struct_size(lib)

    # A struct of a size the library does not know is refused.
    opts, argv_keep = make_options(os.path.join(fixtures, "basic"), [], size=ctypes.sizeof(InitOptions) + 8)
    status, engine = init(lib, opts)
    check(status == TACH_EINVAL, f"options.size + 8 gave {status}, expected TACH_EINVAL")
    check(b"size" in lib.tach_errmsg(engine), "the message does not mention the size")
    lib.tach_shutdown(engine)

    opts, argv_keep = make_options(os.path.join(fixtures, "basic"), ["-k", "passes or fails or prints or crashes"])
    status, engine = init(lib, opts)
    try:
        check(status == TACH_OK, f"tach_init = {status}: {lib.tach_errmsg(engine).decode()}")
        ids = [lib.tach_test_nodeid(engine, i).decode() for i in range(lib.tach_test_count(engine))]
        check(ids == ["test_basic.py::test_passes", "test_basic.py::test_fails",
                      "test_basic.py::test_prints", "test_basic.py::test_crashes"], f"collected {ids}")
        check(lib.tach_test_nodeid(engine, len(ids)) is None, "nodeid past the end is not NULL")

        result = ctypes.c_void_p()
        check(lib.tach_run_test(engine, ids[0].encode(), ctypes.byref(result)) == TACH_EMISUSE,
              "run before snapshot is not TACH_EMISUSE")
        check(lib.tach_snapshot(engine) == TACH_OK, "tach_snapshot failed")
        check(lib.tach_run_test(engine, b"test_basic.py::nope", ctypes.byref(result)) == TACH_ENOTFOUND,
              "an unknown node id is not TACH_ENOTFOUND")
        check(not result.value, "*out was written on failure")

        r = run(lib, engine, "test_basic.py::test_passes")
        check(r["outcome"] == "passed" and r["phase"] == "call" and r["duration"] > 0, f"test_passes: {r}")

        r = run(lib, engine, "test_basic.py::test_fails")
        check(r["outcome"] == "failed", f"test_fails: {r}")
        check("lists differ" in r["message"], f"test_fails message: {r['message']!r}")
        check("assert [1, 2, 3] == [1, 2, 4]" in r["longrepr"], f"test_fails longrepr: {r['longrepr']!r}")

        r = run(lib, engine, "test_basic.py::test_prints")
        check(r["outcome"] == "passed" and "hello from stdout" in r["stdout"], f"test_prints: {r}")

        sys.stdout.flush()
        r = run(lib, engine, "test_basic.py::test_crashes")
        check(r["outcome"] == "crashed" and r["signal"] == signal.SIGSEGV, f"test_crashes: {r}")

        r = run(lib, engine, "test_basic.py::test_passes")
        check(r["outcome"] == "passed", f"test_passes after the crash: {r}")
        check(lib.tach_restore(engine) == TACH_OK, "tach_restore failed")
    finally:
        lib.tach_shutdown(engine)
    print("ctypes: all checks passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Failure as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        sys.exit(1)
