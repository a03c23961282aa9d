#include "help_text.hpp"

#include "tach.hpp"

namespace tach_cli {

const char *usage_line() {
    return "usage: tach [PATH|NODEID ...] [-k EXPR] [-m MARKEXPR] [-x] [-q|-v] [-n N]\n"
           "            [--timeout SECONDS] [--isolation auto|fork|none|snapshot]\n"
           "            [--stats] [--junit-xml FILE] [--collect-only] [--python PATH]\n"
           "            [--cov[=SOURCE]] [--cov-report TYPE] [--cov-context test]\n"
           "            [--watch] [--pdb] [--sandbox]\n"
           "            [--version] [--help] [PYTEST-OPTION ...]\n"
           "       tach --doctor [--python PATH] [PATH|NODEID ...] [PYTEST-OPTION ...]";
}

std::string help_text() {
    std::string text = usage_line();
    text += R"HELP(

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
  --maxfail N           stop after N such tests (0: never); with several
                        workers, tests already running finish and are
                        reported, no new one starts
  -n N, --numprocesses N
                        run N tests at a time, each in a worker forked from
                        the one collected interpreter (collection happens
                        once).  Default and "auto": the number of CPUs;
                        0 or 1: one worker, tests in pytest's order.  One
                        worker too, unless -n is given, with -x/--maxfail
                        (the run stops where pytest's would) and with
                        --isolation none (tests share an interpreter, as
                        under pytest); --pdb always runs one.  With several
                        workers the longest tests start first, by the
                        durations remembered in .tach/durations.json under
                        the project root (safe to delete; tach writes a
                        .gitignore there); results are printed in pytest's
                        order whichever worker finishes first.  On a
                        terminal a progress line shows tests done, failures
                        and time while they run
  -q, --quiet           less output (-qq: even less); also passed to pytest
  -v, --verbose         one line per test (-vv: untrimmed reasons); also
                        passed to pytest, whose assertion diffs depend on it
  --timeout SECONDS     per-test time limit (a number, 0 for none); a test
                        over it is killed and reported as TIMEOUT with the
                        traceback of where it was
  --max-worker-memory SIZE
                        address space each worker process may use
                        (RLIMIT_AS; e.g. 512M, 2G; 0 for none): a test over
                        it gets MemoryError or is reported as crashed,
                        instead of exhausting the machine
  --isolation MODE      how tests are isolated from each other:
                          auto      (default) snapshot where this kernel
                                    allows it, else fork; when it falls
                                    back, tach says why once on stderr
                          snapshot  one interpreter that puts its memory
                                    and process state back in place after
                                    every test (Linux 6.7+: userfaultfd
                                    WP_ASYNC and PAGEMAP_SCAN); a usage
                                    error where unavailable (see --doctor)
                          fork      each test in a child forked from the
                                    collected interpreter
                          none      tests one after another in one
                                    interpreter, as plain pytest runs them
                        The header's "isolation:" line says which mode is
                        in effect and why.  A test that leaves what cannot
                        be restored (a thread still running, a crash, a
                        timeout) gets a fresh worker; tach then prints
                        "tach: N workers replaced (see --stats)".
  --stats               add a "tach isolation statistics" section to the
                        end of the report (before the short test summary,
                        where pytest puts plugin sections): the mode, tests
                        run, each replaced worker's test and reason, and in
                        snapshot mode the restore time per test (median,
                        p90, p99, max in microseconds), pages restored per
                        test (median, p99, max) and total restore time
  --junit-xml FILE      write a JUnit XML report like pytest's (xunit2);
                        also --junitxml FILE, --junit-xml=FILE
  --collect-only, --co  list the collected node ids; run nothing
  --python PATH         the interpreter (or virtualenv python) whose
                        environment the tests run in, or its name on PATH;
                        tach uses the worker built for its Python version
                        (--doctor lists them); default: the one tach was
                        built for
  --color yes|no|auto   colour the output (auto: only on a terminal and when
                        NO_COLOR is unset); also passed to pytest
  --doctor, doctor      report what this machine and project give tach and
                        exit: kernel release, userfaultfd for this user,
                        UFFD WP_ASYNC / WP_UNPOPULATED, PAGEMAP_SCAN,
                        PROCMAP_QUERY; then it collects the project in the
                        current directory (with the other arguments, and
                        --python) to show the Python and pytest versions
                        and which mode auto picks and why.  Exit code 0
                        when all could be reported (snapshot isolation may
                        still be unavailable), 3 when the engine could not
                        start.  `tach doctor` only as the first argument
                        (a directory named doctor: ./doctor)
  --watch               after the run, wait for changes to .py files and
                        pytest's ini files (pytest.ini, pyproject.toml,
                        setup.cfg, tox.ini) under the current directory, then
                        run again: only the changed test files when only
                        test files (by pytest's python_files) changed, else
                        everything; collected again in the same worker,
                        from its state before collection, unless a file
                        that state loaded (a conftest, what it imports) or
                        an ini file changed.  Ctrl-C while waiting exits 0
                        (docs/watch.md)
  --pdb                 on a failure or error, pytest's post-mortem pdb at
                        this terminal (relayed from the worker); breakpoint()
                        in a test also reaches the terminal whenever stdin
                        and stdout are terminals (docs/debugging.md)
  --sandbox             run the worker in new user, mount and network
                        namespaces: only a loopback interface, and a
                        read-only file system except $TMPDIR (or /tmp),
                        $TEST_TMPDIR, /dev and /proc.  Where the kernel
                        refuses, tach exits 4 and runs nothing (never
                        unsandboxed); --doctor says whether it is available
                        (docs/sandbox.md)
  --version             print tach's and libtach's versions and exit
  -h, --help            print this help and exit

coverage options (pytest-cov's, measured by tach itself):
  --cov[=SOURCE]        measure line coverage of the .py files under SOURCE
                        (a directory, relative to the project root;
                        repeatable).  A bare --cov, or --cov=, measures the
                        whole project root and wins over any SOURCE.  As in
                        pytest-cov, `--cov DIR` also takes DIR as SOURCE.
                        Each test's lines are recorded in its own isolated
                        process; lines run while importing and collecting
                        count once, as context "collection".  Files never
                        imported show 0%.
  --cov-report TYPE     what to report (repeatable; default: term):
                          term          coverage.py's table after the
                                        test report
                          term-missing  the table with a Missing column
                                        (line ranges never run)
                          xml[:FILE]    Cobertura XML (default coverage.xml)
                          json[:FILE]   coverage.py's JSON (coverage.json)
                          lcov[:FILE]   LCOV tracefile, as bazel coverage
                                        and genhtml read it (coverage.lcov)
                        --cov-report= alone: no report.  Reports name
                        files relative to the project root.  A report that
                        cannot be written is a warning, not a failure.
  --cov-context test    list in the JSON report, for every executed line,
                        the tests (node ids) that ran it
  --no-cov              measure nothing, whatever --cov says

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
  TACH_VERIFY_RESTORE=1 snapshot isolation checks itself: after every
                        restore the worker compares each restored page with
                        the golden image and, on any difference, says so
                        loudly and replaces itself (slow; for debugging
                        tach or a suspicious suite)
  COLUMNS               terminal width for the report (default: the
                        terminal's, or 80)
  NO_COLOR              never colour the output; FORCE_COLOR: always
  CI, BUILD_NUMBER      when set, short-summary messages are not trimmed

Bazel (`bazel test` sets these; each counts only when set and non-empty):
  XML_OUTPUT_FILE       write the JUnit XML report there (as --junit-xml;
                        an explicit --junit-xml wins)
  TESTBRIDGE_TEST_ONLY  --test_filter: a value that contains `::` or ends
                        in .py is node ids / paths (comma-separated), added
                        as positional arguments; any other value is
                        passed to pytest as -k VALUE
  TEST_TOTAL_SHARDS, TEST_SHARD_INDEX
                        run only the collected tests whose index i (in
                        collection order) has i % TOTAL == INDEX; the
                        others count as deselected, and an empty shard
                        exits 0.  Invalid values: usage error (exit 4)
  TEST_SHARD_STATUS_FILE
                        touched when sharding is in effect
  TEST_PREMATURE_EXIT_FILE
                        created at start, removed when tach exits on its
                        own (whatever the exit code)
  TEST_INFRASTRUCTURE_FAILURE_FILE
                        the error message is written there when the engine
                        cannot start (worker, interpreter or shim missing
                        or failing) or fails during the run (exit code 3)
  TEST_TMPDIR           the worker's TMPDIR, and pytest gets
                        --basetemp=$TEST_TMPDIR/pytest (unless --basetemp
                        is given)
  TEST_UNDECLARED_OUTPUTS_DIR
                        tach-report.json (every test's outcome) goes there,
                        and with coverage on tach-coverage-contexts.json
                        (coverage.py JSON, the tests that ran each line)
  COVERAGE_DIR, COVERAGE_OUTPUT_FILE, COVERAGE_MANIFEST
                        `bazel coverage`: coverage on (unless --no-cov),
                        no table; LCOV of the manifest's files (named as
                        there) in $COVERAGE_DIR/tach_lcov.dat and
                        $COVERAGE_OUTPUT_FILE
)HELP";
    return text;
}

std::string version_text() {
    return "tach " TACH_VERSION_STRING " (libtach " + tach::version() + ")";
}

} // namespace tach_cli
