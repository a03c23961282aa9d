#include "help_text.hpp"

#include "tach.hpp"

namespace tach_cli {

const char *usage_line() {
    return "usage: tach [PATH|NODEID ...] [-k EXPR] [-m MARKEXPR] [-x] [-q|-v]\n"
           "            [--timeout SECONDS] [--isolation auto|fork|none|snapshot]\n"
           "            [--junit-xml FILE] [--collect-only] [--python PATH]\n"
           "            [--version] [--help] [PYTEST-OPTION ...]";
}

std::string help_text() {
    std::string text = usage_line();
    text += R"(

Run a pytest test suite with every test isolated: each test starts from the
same pristine interpreter state (the project imported and the tests collected
once), and a test that crashes, hangs or exits becomes a result instead of
ending the run.  Output, options and exit codes follow pytest's.

Run it from the project's root, as you would run pytest; that directory is
pytest's invocation directory (rootdir and ini-file discovery start there).

positional arguments:
  PATH|NODEID           files, directories or node ids to collect, e.g.
                        tests/  tests/test_x.py  tests/test_x.py::TestA::test_b

tach options:
  -x, --exitfirst       stop after the first failed, error, crashed or
                        timed-out test
  --maxfail N           stop after N such tests (0: never)
  -q, --quiet           less output (-qq: even less); also passed to pytest
  -v, --verbose         one line per test (-vv: untrimmed reasons); also
                        passed to pytest, whose assertion diffs depend on it
  --timeout SECONDS     per-test time limit (a number, 0 for none); a test
                        over it is killed and reported as TIMEOUT with the
                        traceback of where it was
  --isolation MODE      how tests are isolated from each other:
                          auto      the best mode available (default)
                          fork      each test in a child forked from the
                                    collected interpreter
                          none      tests one after another in one
                                    interpreter, as plain pytest runs them
                          snapshot  in-place memory restore after each test
                                    (where the library supports it)
  --junit-xml FILE      write a JUnit XML report like pytest's (xunit2);
                        also --junitxml FILE, --junit-xml=FILE
  --collect-only, --co  list the collected node ids; run nothing
  --python PATH         the interpreter (or virtualenv python) whose
                        environment the tests run in; default: the one tach
                        was built for
  --color yes|no|auto   colour the output (auto: only on a terminal and when
                        NO_COLOR is unset); also passed to pytest
  --version             print tach's and libtach's versions and exit
  -h, --help            print this help and exit

pytest options:
  Every other argument goes to pytest unchanged and in order, and pytest
  checks it: -k EXPR, -m MARKEXPR, -p PLUGIN, -o INI=VALUE, -c FILE,
  -W WARNING, -r CHARS, --rootdir DIR, --import-mode MODE, --tb STYLE,
  --continue-on-collection-errors, plugin options, ...  An option neither
  tach nor pytest knows is a usage error (exit code 4).  Arguments after
  `--` are all paths or node ids.

exit codes:
  0  all tests passed (skips and expected failures are fine)
  1  some tests failed, errored, crashed or timed out
  2  the run was interrupted: collection errors (unless
     --continue-on-collection-errors) or Ctrl-C
  3  internal error: the worker or the interpreter failed
  4  usage error: a bad option, a path that does not exist, a conftest.py
     that fails to import
  5  no tests were collected

environment:
  TACH_WORKER           the tach-worker executable to use (default: the one
                        installed or built next to libtach)
  TACH_SHIM_DIR         the directory holding the tach_shim Python package
  COLUMNS               terminal width for the report (default: the
                        terminal's, or 80)
  NO_COLOR              never colour the output; FORCE_COLOR: always
  CI, BUILD_NUMBER      when set, short-summary messages are not trimmed
)";
    return text;
}

std::string version_text() {
    return "tach " TACH_VERSION_STRING " (libtach " + tach::version() + ")";
}

} // namespace tach_cli
