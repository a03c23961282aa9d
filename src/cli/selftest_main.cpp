// tach-cli-selftest: checks the CLI's pure logic (argument splitting, node
// id mangling, XML escaping, summary wording, the pytest-shaped report)
// without a worker.  Expected strings are pytest 7.2's own output for the
// same situations.  Exit status 0 when every check passed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "durations_cache.hpp"
#include "progress_line.hpp"
#include "bazel_outputs.hpp"
#include "coverage_options.hpp"
#include "doctor_report.hpp"
#include "isolation_stats.hpp"
#include "junit_xml.hpp"
#include "report_format.hpp"
#include "session.hpp"
#include "summary.hpp"
#include "terminal_report.hpp"
#include "terminal_writer.hpp"
#include "utf8.hpp"

using namespace tach_cli;

namespace {

int g_failures = 0;
int g_checks = 0;

void check(bool ok, const char *what, int line) {
    g_checks++;
    if (!ok) {
        g_failures++;
        std::fprintf(stderr, "selftest.cpp:%d: FAILED: %s\n", line, what);
    }
}

void check_eq(const std::string &got, const std::string &want, const char *what, int line) {
    g_checks++;
    if (got != want) {
        g_failures++;
        std::fprintf(stderr, "selftest.cpp:%d: FAILED: %s\n  got:  [%s]\n  want: [%s]\n", line,
                     what, got.c_str(), want.c_str());
    }
}

#define CHECK(cond) check((cond), #cond, __LINE__)
#define CHECK_EQ(got, want) check_eq((got), (want), #got, __LINE__)

template <typename F>
bool throws_usage(F f) {
    try {
        f();
    } catch (const UsageError &) {
        return true;
    }
    return false;
}

std::string joined(const std::vector<std::string> &v) {
    std::string s;
    for (const std::string &x : v)
        s += (s.empty() ? "" : "|") + x;
    return s;
}

Arguments parse(std::vector<std::string> argv) { return parse_arguments(argv); }

// --------------------------------------------------------------- arguments

void test_arguments_forwarding() {
    Arguments a = parse({"tests/", "-k", "foo and not bar", "-x", "--timeout", "2.5",
                         "-m", "slow", "--junit-xml=out.xml", "-p", "no:cacheprovider",
                         "--bogus-option", "tests/test_x.py::test_a"});
    CHECK_EQ(joined(a.pytest_args), "tests/|-k|foo and not bar|-m|slow|-p|no:cacheprovider|"
                                    "--bogus-option|tests/test_x.py::test_a");
    CHECK(a.maxfail == 1);
    CHECK(a.timeout == 2.5);
    CHECK_EQ(a.junit_xml, "out.xml");
    CHECK(!a.collect_only);
    CHECK(a.isolation == tach::Isolation::Auto);
}

void test_arguments_values_that_look_like_options() {
    // A -k value starting with '-' stays pytest's, never tach's -x.
    Arguments a = parse({"-k", "-x", "--rootdir", "--timeout", "-W", "-q"});
    CHECK_EQ(joined(a.pytest_args), "-k|-x|--rootdir|--timeout|-W|-q");
    CHECK(a.maxfail == 0);
    CHECK(a.timeout == 0.0);
    CHECK(a.verbosity == 0);
}

void test_arguments_short_clusters() {
    Arguments a = parse({"-xq"});
    CHECK(a.maxfail == 1);
    CHECK(a.verbosity == -1);
    CHECK_EQ(joined(a.pytest_args), "-q");

    a = parse({"-vvx", "-s"});
    CHECK(a.verbosity == 2);
    CHECK(a.maxfail == 1);
    CHECK_EQ(joined(a.pytest_args), "-vv|-s");

    a = parse({"-xk", "expr", "path"});
    CHECK(a.maxfail == 1);
    CHECK_EQ(joined(a.pytest_args), "-k|expr|path");

    a = parse({"-kx"});  // the value of -k is "x"
    CHECK(a.maxfail == 0);
    CHECK_EQ(joined(a.pytest_args), "-kx");

    a = parse({"-qq", "--verbose", "--quiet"});
    CHECK(a.verbosity == -2);
    CHECK_EQ(joined(a.pytest_args), "-qq|--verbose|--quiet");

    a = parse({"-h"});
    CHECK(a.help);
    CHECK(a.pytest_args.empty());
}

void test_arguments_tach_options() {
    Arguments a = parse({"--co", "--isolation", "none", "--python=/usr/bin/python3",
                         "--junitxml", "r.xml", "--exitfirst", "--maxfail=3", "--version"});
    CHECK(a.collect_only);
    CHECK(a.isolation == tach::Isolation::None);
    CHECK_EQ(a.python, "/usr/bin/python3");
    CHECK_EQ(a.junit_xml, "r.xml");
    CHECK(a.maxfail == 3);  // the last of -x / --maxfail wins
    CHECK(a.version);
    CHECK(a.pytest_args.empty());

    a = parse({"--collect-only", "--isolation=fork", "--timeout=0", "--color=no"});
    CHECK(a.collect_only);
    CHECK(a.isolation == tach::Isolation::Fork);
    CHECK(a.color == ColorChoice::No);
    CHECK_EQ(joined(a.pytest_args), "--color=no");  // pytest gets it too

    // After "--" nothing is tach's.
    a = parse({"--", "-x", "--timeout"});
    CHECK(a.maxfail == 0);
    CHECK_EQ(joined(a.pytest_args), "--|-x|--timeout");
}

void test_arguments_bad_values() {
    CHECK(throws_usage([] { parse({"--timeout", "abc"}); }));
    CHECK(throws_usage([] { parse({"--timeout=-1"}); }));
    CHECK(throws_usage([] { parse({"--timeout", "inf"}); }));
    CHECK(throws_usage([] { parse({"--timeout"}); }));
    CHECK(throws_usage([] { parse({"--isolation", "bogus"}); }));
    CHECK(throws_usage([] { parse({"--junit-xml"}); }));
    CHECK(throws_usage([] { parse({"--junit-xml="}); }));
    CHECK(throws_usage([] { parse({"--maxfail", "two"}); }));
    CHECK(throws_usage([] { parse({"--exitfirst=yes"}); }));
    CHECK(throws_usage([] { parse({"--color", "purple"}); }));
    CHECK(!throws_usage([] { parse({"--timeout", "1e1"}); }));
    CHECK(parse({"--isolation", "snapshot"}).isolation == tach::Isolation::Snapshot);
    CHECK(throws_usage([] { parse({"--stats=yes"}); }));
    CHECK(throws_usage([] { parse({"--doctor=1"}); }));
}

void test_arguments_max_worker_memory() {
    CHECK(parse({}).max_worker_memory == 0);
    CHECK(parse({"--max-worker-memory", "2G"}).max_worker_memory == (std::uint64_t{2} << 30));
    CHECK(parse({"--max-worker-memory=512m"}).max_worker_memory == (std::uint64_t{512} << 20));
    CHECK(parse({"--max-worker-memory", "64KiB"}).max_worker_memory == (std::uint64_t{64} << 10));
    CHECK(parse({"--max-worker-memory", "1tb"}).max_worker_memory == (std::uint64_t{1} << 40));
    CHECK(parse({"--max-worker-memory", "1000"}).max_worker_memory == 1000);
    CHECK(parse({"--max-worker-memory", "0"}).max_worker_memory == 0);
    for (const char *bad : {"", "G", "2X", "-1", "1.5G", "2 G", "2GG", "99999999999999999999",
                            "17179869184T"})
        CHECK(throws_usage([bad] { parse({"--max-worker-memory", bad}); }));
    CHECK(throws_usage([] { parse({"--max-worker-memory"}); }));
    try {
        parse({"--max-worker-memory", "lots"});
    } catch (const UsageError &e) {
        CHECK(std::string(e.what()).find("invalid size 'lots'") != std::string::npos);
    }
}

void test_arguments_watch_pdb_sandbox() {
    Arguments a = parse({"tests/"});
    CHECK(!a.watch && !a.pdb && !a.sandbox);
    // --watch and --sandbox are tach's; --pdb is used and forwarded.
    a = parse({"--watch", "-k", "x", "a.py", "--sandbox", "--tb", "short", "--pdb", "b.py::t"});
    CHECK(a.watch && a.sandbox && a.pdb);
    CHECK_EQ(joined(a.pytest_args), "-k|x|a.py|--tb|short|--pdb|b.py::t");
    // Where the paths and node ids are (watch mode replaces them).
    CHECK(a.positional.size() == 2 && a.positional[0] == 2 && a.positional[1] == 6);
    a = parse({"-x", "--", "-odd.py"});
    CHECK(a.positional.size() == 1 && a.pytest_args[a.positional[0]] == "-odd.py");
    CHECK(throws_usage([] { parse({"--watch=yes"}); }));
    CHECK(throws_usage([] { parse({"--sandbox=1"}); }));
    CHECK(throws_usage([] { parse({"--pdb=1"}); }));
}

void test_arguments_isolation_stats_doctor() {
    Arguments a = parse({"tests/"});
    CHECK(a.isolation == tach::Isolation::Auto);  // the default is auto ...
    CHECK(!a.isolation_given);                    // ... and not the user's choice
    CHECK(!a.stats && !a.doctor);
    a = parse({"--isolation=auto"});
    CHECK(a.isolation == tach::Isolation::Auto && a.isolation_given);

    a = parse({"--stats", "-k", "x"});
    CHECK(a.stats);
    CHECK_EQ(joined(a.pytest_args), "-k|x");

    a = parse({"--doctor", "--python", "/p", "tests/"});
    CHECK(a.doctor);
    CHECK_EQ(a.python, "/p");
    CHECK_EQ(joined(a.pytest_args), "tests/");

    // `tach doctor ARGS` is `tach --doctor ARGS`; only in first place.
    a = parse({"doctor", "-k", "widget"});
    CHECK(a.doctor);
    CHECK_EQ(joined(a.pytest_args), "-k|widget");
    a = parse({"tests/", "doctor"});
    CHECK(!a.doctor);
    CHECK_EQ(joined(a.pytest_args), "tests/|doctor");
    a = parse({"./doctor"});
    CHECK(!a.doctor);
}

// ------------------------------------------------------- names and escaping

void test_mangle_test_address() {
    TestAddress t = mangle_test_address("tests/sub/test_x.py::TestA::test_b[1-2]");
    CHECK_EQ(t.classname, "tests.sub.test_x.TestA");
    CHECK_EQ(t.name, "test_b[1-2]");

    t = mangle_test_address("test_y.py::test_c");
    CHECK_EQ(t.classname, "test_y");
    CHECK_EQ(t.name, "test_c");

    // "::" and "/" inside parameters are not structure.
    t = mangle_test_address("a/test_z.py::test_d[x::y/z.py]");
    CHECK_EQ(t.classname, "a.test_z");
    CHECK_EQ(t.name, "test_d[x::y/z.py]");

    // pytest < 7 instance nodes.
    t = mangle_test_address("t/test_w.py::TestA::()::test_e");
    CHECK_EQ(t.classname, "t.test_w.TestA");
    CHECK_EQ(t.name, "test_e");

    // A collection error's node id: pytest 7.2 writes classname="" and the
    // dotted module as name.
    t = mangle_test_address("tests/test_broken.py");
    CHECK_EQ(t.classname, "");
    CHECK_EQ(t.name, "tests.test_broken");
}

void test_head_line() {
    CHECK_EQ(head_line("tests/sub/test_x.py::TestA::test_b[1-2]"), "TestA.test_b[1-2]");
    CHECK_EQ(head_line("tests/sub/test_x.py::test_fail"), "test_fail");
    CHECK_EQ(head_line("t.py::A::B::test_c[a::b]"), "A.B.test_c[a::b]");
    CHECK_EQ(head_line("t.py::A::()::test_c"), "A.test_c");
    CHECK_EQ(std::string(file_part("tests/sub/test_x.py::TestA::test_b[1-2]")),
             "tests/sub/test_x.py");
}

void test_xml_escaping() {
    CHECK_EQ(bin_xml_escape("a\x07" "b\x08"), "a#x07b#x08");
    CHECK_EQ(bin_xml_escape("del\x7f"), "del#x7F");
    CHECK_EQ(bin_xml_escape("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
    CHECK_EQ(bin_xml_escape("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK_EQ(bin_xml_escape("\xef\xbf\xbe"), "#xFFFE");           // U+FFFE
    CHECK_EQ(bin_xml_escape("\xc2\x85"), "\xc2\x85");             // U+0085 is allowed
    CHECK_EQ(bin_xml_escape("bad\xff" "byte"), "bad#xFFbyte");    // not UTF-8
    CHECK_EQ(bin_xml_escape(std::string("nul\0!", 5)), "nul#x00!");
    CHECK_EQ(xml_escape_text("<a & \"b\">"), "&lt;a &amp; \"b\"&gt;");
    CHECK_EQ(xml_escape_attr("<a & \"b\">\n\t"), "&lt;a &amp; &quot;b&quot;&gt;&#10;&#09;");
}

void test_python_strip() {
    CHECK_EQ(std::string(python_strip("\n    def f():\n        x\n\n")), "def f():\n        x");
    CHECK_EQ(std::string(python_strip(" \t\r\x0b\x0c\x1c\x1f x \x1d")), "x");
    CHECK_EQ(std::string(python_strip("\xc2\xa0\xe3\x80\x80y\xc2\x85")), "y");  // NBSP, U+3000, NEL
    CHECK_EQ(std::string(python_strip("\xe2\x82\xac ")), "\xe2\x82\xac");  // not a space
    CHECK_EQ(std::string(python_strip("\xff ")), "\xff");                   // invalid byte stays
    CHECK_EQ(std::string(python_strip("  \n ")), "");
    CHECK_EQ(std::string(python_strip("")), "");
}

void test_utf8() {
    std::size_t pos = 0;
    CHECK(next_code_point("\xe2\x82\xac", pos) == 0x20AC && pos == 3);
    pos = 0;
    CHECK(next_code_point("\xc0\xaf", pos) == 0xFFFD && pos == 1);  // overlong
    pos = 0;
    CHECK(next_code_point("\xed\xa0\x80", pos) == 0xFFFD);          // surrogate
    CHECK(display_width("caf\xc3\xa9") == 4);
    CHECK_EQ(std::string(prefix_fitting("caf\xc3\xa9s", 4)), "caf\xc3\xa9");
}

// ------------------------------------------------------------------ summary

void test_sep_line() {
    // pytest 7.2 at 80 columns.
    CHECK_EQ(sep_line('=', "test session starts", 80),
             "============================= test session starts ==============================");
    CHECK_EQ(sep_line('_', "ERROR collecting tests/test_broken.py", 80),
             "____________________ ERROR collecting tests/test_broken.py _____________________");
    CHECK_EQ(sep_line('!', "stopping after 1 failures", 80),
             "!!!!!!!!!!!!!!!!!!!!!!!!!! stopping after 1 failures !!!!!!!!!!!!!!!!!!!!!!!!!!!");
    CHECK(sep_line('=', std::string(100, 'a'), 80).size() == 104);  // at least one each side
}

void test_summary_text() {
    Tally t;
    t.failed = 3, t.passed = 3, t.skipped = 1, t.xfailed = 1, t.xpassed = 1, t.errors = 3;
    CHECK_EQ(summary_text(t, 0.04),
             "3 failed, 3 passed, 1 skipped, 1 xfailed, 1 xpassed, 3 errors in 0.04s");
    CHECK_EQ(sep_line('=', summary_text(t, 0.04), 80),
             "==== 3 failed, 3 passed, 1 skipped, 1 xfailed, 1 xpassed, 3 errors in 0.04s ====");
    CHECK(main_color(t, true) == Color::Red);

    Tally e;
    CHECK_EQ(summary_text(e, 0.01), "no tests ran in 0.01s");
    CHECK(main_color(e, true) == Color::Yellow);
    e.errors = 1;
    CHECK_EQ(summary_text(e, 0.06), "1 error in 0.06s");

    Tally c;
    c.passed = 2, c.crashed = 1, c.timeout = 2;
    CHECK_EQ(summary_text(c, 1.5), "2 passed, 1 crashed, 2 timeouts in 1.50s");

    Tally s;
    s.skipped = 2;
    CHECK(main_color(s, true) == Color::Yellow);
    CHECK(main_color(s, false) == Color::Green);
    s.passed = 1;
    CHECK(main_color(s, true) == Color::Green);

    CHECK_EQ(format_session_duration(75.2), "75.20s (0:01:15)");
    CHECK_EQ(format_session_duration(3725.0), "3725.00s (1:02:05)");
    CHECK_EQ(progress_text(4, 10), " [ 40%]");
    CHECK_EQ(progress_text(10, 10), " [100%]");
    CHECK_EQ(progress_text(1, 3), " [ 33%]");
}

void test_format_trimmed() {
    CHECK_EQ(format_trimmed(" - ", "assert 1 == 2\nmore", "", 40), " - assert 1 == 2");
    CHECK_EQ(format_trimmed(" - ", "abcdefghij", "", 10), " - abcd...");
    CHECK_EQ(format_trimmed(" - ", "abcdefghij", "", 5), "");
    CHECK_EQ(format_trimmed(" - ", "abcdefghij", "", 5, true), " - abcdefghij");
    CHECK_EQ(format_trimmed(" (", "why", ")", 20), " (why)");
    CHECK_EQ(format_trimmed(" - ", "", "", 20), "");
    CHECK_EQ(std::string(bare_reason("Skipped: nope")), "nope");
    CHECK_EQ(std::string(bare_reason("reason: known")), "known");
}

// --------------------------------------------------------- sessions, output

TestRecord rec(const char *id, tach::Outcome outcome, const char *message = "",
               const char *phase = "call") {
    TestRecord r;
    r.nodeid = id;
    r.outcome = outcome;
    r.message = message;
    r.phase = phase;
    return r;
}

Session sample_session() {
    using O = tach::Outcome;
    Session s;
    s.python_version = "3.11.2";
    s.pytest_version = "7.2.1";
    s.isolation = "fork";
    const char *f = "tests/sub/test_x.py::";
    const auto id = [&](const char *name) { return std::string(f) + name; };
    s.records = {
        rec(id("test_pass").c_str(), O::Passed),
        rec(id("test_fail").c_str(), O::Failed, "assert 1 == 2"),
        rec(id("TestA::test_b[1-2]").c_str(), O::Failed, "assert 1 == 2"),
        rec(id("TestA::test_b[3-3]").c_str(), O::Passed),
        rec(id("test_err").c_str(), O::Error, "RuntimeError: boom", "setup"),
        rec(id("test_errtd").c_str(), O::Passed),
        rec(id("test_skip").c_str(), O::Skipped, "nope <&>"),
        rec(id("test_xf").c_str(), O::XFailed, "known"),
        rec(id("test_xp").c_str(), O::XPassed, "maybe"),
        rec(id("test_seg").c_str(), O::Crashed, "killed by signal 11 (SIGSEGV)"),
    };
    s.records[1].longrepr = "    def test_fail():\n>       assert 1 == 2\nE       assert 1 == 2\n";
    s.records[1].stdout_text = "hello out\n";
    s.records[5].teardown_failed = true;
    s.records[5].teardown_message = "RuntimeError: td boom";
    s.records[5].teardown_longrepr =
        "\n    def td():\n>       raise RuntimeError('td boom')\nE       RuntimeError: td boom\n\n"
        "t.py:3: RuntimeError";
    s.records[9].signal = 11;
    s.collected = s.records.size();
    s.duration = 0.05;
    return s;
}

std::string render(const std::function<void(TerminalReport &)> &body, int verbosity) {
    char *buffer = nullptr;
    std::size_t size = 0;
    std::FILE *out = open_memstream(&buffer, &size);
    {
        TerminalWriter tw(out, 80, false);
        TerminalReport report(tw, verbosity, false);
        body(report);
    }
    std::fclose(out);
    std::string text(buffer, size);
    std::free(buffer);
    return text;
}

std::string run_report(const Session &s, int verbosity) {
    return render(
        [&](TerminalReport &report) {
            report.header(s);
            for (const TestRecord &r : s.records) {
                report.test_started(r.nodeid);
                report.test_finished(r);
            }
            report.finish(s, "");
        },
        verbosity);
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

void test_terminal_report_default() {
    const std::string out = run_report(sample_session(), 0);
    CHECK(contains(out, "collected 10 items\n\n"
                        "tests/sub/test_x.py .FF.E.EsxXC" + std::string(41, ' ') + " [100%]\n\n"
                        "==================================== ERRORS ===================================="
                        "\n__________________________ ERROR at setup of test_err ________________"
                        "__________\n"));
    CHECK(contains(out, "_______________________ ERROR at teardown of test_errtd __________________"
                        "______\n\n    def td():\n>       raise RuntimeError('td boom')\n"));
    CHECK(contains(out, "=================================== FAILURES ==================================="
                        "\n__________________________________ test_fail ___________________________"
                        "________\n    def test_fail():\n>       assert 1 == 2\nE       assert 1 =="
                        " 2\n----------------------------- Captured stdout call -------------------"
                        "----------\nhello out\n______________________________ TestA.test_b[1-2] "
                        "_______________________________\n"));
    // A crash without longrepr still says how the process ended.
    CHECK(contains(out, " test_seg " + std::string(35, '_') + "\nkilled by signal 11 (SIGSEGV)\n"));
    CHECK(contains(out, "=========================== short test summary info ============================\n"
                        "FAILED tests/sub/test_x.py::test_fail - assert 1 == 2\n"
                        "FAILED tests/sub/test_x.py::TestA::test_b[1-2] - assert 1 == 2\n"
                        "CRASHED tests/sub/test_x.py::test_seg - killed by signal 11 (SIGSEGV)\n"
                        "ERROR tests/sub/test_x.py::test_err - RuntimeError: boom\n"
                        "ERROR tests/sub/test_x.py::test_errtd - RuntimeError: td boom\n"));
    CHECK(contains(out, "= 2 failed, 3 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors, 1 crashed"
                        " in 0.05s =\n"));
    CHECK(out.rfind("==", 0) == 0);  // starts with the header separator
}

void test_terminal_report_verbose_and_quiet() {
    const std::string v = run_report(sample_session(), 1);
    CHECK(contains(v, "collected 10 items\n\n"
                      "tests/sub/test_x.py::test_pass PASSED                                    "
                      "[ 10%]\n"
                      "tests/sub/test_x.py::test_fail FAILED                                    "
                      "[ 20%]\n"));
    // A failed teardown gets a line of its own, as in pytest -v.
    CHECK(contains(v, "tests/sub/test_x.py::test_errtd PASSED                                   "
                      "[ 60%]\n"
                      "tests/sub/test_x.py::test_errtd ERROR                                    "
                      "[ 60%]\n"));
    CHECK(contains(v, "tests/sub/test_x.py::test_skip SKIPPED (nope <&>)                        "
                      "[ 70%]\n"));
    CHECK(contains(v, "tests/sub/test_x.py::test_xf XFAIL (known)                               "
                      "[ 80%]\n"));

    const std::string q = run_report(sample_session(), -1);
    CHECK(q.rfind(".FF.E.EsxXC" + std::string(61, ' ') + " [100%]\n===", 0) == 0);
    CHECK(contains(q, "\n2 failed, 3 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors, 1 crashed"
                      " in 0.05s\n"));
    const std::string qq = run_report(sample_session(), -2);
    CHECK(!contains(qq, " in 0.05s"));
}

void test_header_and_deselected() {
    Session s = sample_session();
    s.isolation = "snapshot";
    s.isolation_reason = "in-place restore after each test (golden image: 36 ranges, 21.6 MiB)";
    s.deselected = 95;
    const std::string out = run_report(s, 0);
    CHECK(contains(out, "============================= test session starts ==============================\n"
                        "tach " TACH_VERSION_STRING ", python 3.11.2, pytest 7.2.1, isolation: snapshot "
                        "(in-place restore after each test (golden image: 36 ranges, 21.6 MiB))\n"
                        "collected 105 items / 95 deselected / 10 selected\n\n"));
    // pytest's order puts deselected after skipped; it does not colour the line.
    CHECK(contains(out, "= 2 failed, 3 passed, 1 skipped, 95 deselected, 1 xfailed, 1 xpassed, 2 errors, "
                        "1 crashed in 0.05s =\n"));

    // -v on something that is not a terminal: pytest's "collecting ... ".
    CHECK(contains(run_report(s, 1), "\ncollecting ... collected 105 items / 95 deselected / 10 selected\n"));

    // Everything deselected: as `pytest -k nothing` (exit code 5).
    Session none;
    none.isolation = "auto";
    none.deselected = 105;
    none.duration = 0.11;
    const std::string all = run_report(none, 0);
    CHECK(contains(all, ", isolation: auto\ncollected 105 items / 105 deselected / 0 selected\n\n"
                        "=========================== 105 deselected in 0.11s ============================\n"));
    CHECK(session_exit_code(none) == kExitNoTestsCollected);

    Session e;
    e.collected = 3;
    e.collect_errors = {{"t/test_b.py", "boom"}};
    CHECK_EQ(collected_line(e), "collected 3 items / 1 error");
    e.deselected = 2;
    CHECK_EQ(collected_line(e), "collected 5 items / 1 error / 2 deselected / 3 selected");

    // --collect-only's closing words (pytest's collect-only summary).
    Session c;
    CHECK_EQ(collect_only_text(c), "no tests collected");
    c.collected = 5;
    CHECK_EQ(collect_only_text(c), "5 tests collected");
    c.deselected = 100;
    CHECK_EQ(collect_only_text(c), "5/105 tests collected (100 deselected)");
    c.collected = 0;
    CHECK_EQ(collect_only_text(c), "no tests collected (100 deselected)");
    c.collect_errors = {{"t.py", "x"}};
    CHECK_EQ(collect_only_text(c), "no tests collected (100 deselected), 1 error");
    c.collected = 1;
    c.deselected = 0;
    CHECK_EQ(collect_only_text(c), "1 test collected, 1 error");
}

void test_terminal_report_wraps_long_progress() {
    Session s;
    for (int i = 0; i < 150; i++)
        s.records.push_back(rec(("t/test_many.py::test_" + std::to_string(i)).c_str(),
                                tach::Outcome::Passed));
    s.collected = s.records.size();
    s.duration = 0.5;
    const std::string out = run_report(s, 0);
    // As pytest at 80 columns: a line is full at 72 columns + " [ 38%]";
    // the next one goes on without the path.
    CHECK(contains(out, "\n\nt/test_many.py " + std::string(57, '.') + " [ 38%]\n" +
                            std::string(72, '.') + " [ 86%]\n" + std::string(21, '.') +
                            std::string(51, ' ') + " [100%]\n\n"));
}

void test_terminal_report_stops() {
    Session s = sample_session();
    s.records.resize(2);
    s.stop = StopReason::MaxFail;
    s.maxfail = 1;
    const std::string out = run_report(s, 0);
    CHECK(contains(out, "tests/sub/test_x.py .F\n\n===="));
    CHECK(contains(out, "!!!!!!!!!!!!!!!!!!!!!!!!!! stopping after 1 failures !!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                        "========================= 1 failed, 1 passed in 0.05s =========================="
                        "\n"));

    Session c;
    c.collected = 10;
    c.collect_errors = {{"tests/test_broken.py", "E   ModuleNotFoundError: No module named 'x'\n"}};
    c.stop = StopReason::CollectionErrors;
    c.duration = 0.06;
    const std::string ce = run_report(c, 0);
    CHECK(contains(ce, "collected 10 items / 1 error\n\n"
                       "==================================== ERRORS ===================================="
                       "\n____________________ ERROR collecting tests/test_broken.py _________________"
                       "____\nE   ModuleNotFoundError: No module named 'x'\n"
                       "=========================== short test summary info ============================"
                       "\nERROR tests/test_broken.py\n"
                       "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!"
                       "\n=============================== 1 error in 0.06s ==============================="
                       "\n"));
    CHECK(session_exit_code(c) == kExitInterrupted);

    Session none;
    none.duration = 0.01;
    const std::string empty = run_report(none, 0);
    CHECK(contains(empty, "collected 0 items\n\n"
                          "============================ no tests ran in 0.01s ============================="
                          "\n"));
    CHECK(session_exit_code(none) == kExitNoTestsCollected);
}

void test_failure_and_teardown_error() {
    Session s;
    s.records = {rec("t.py::test_both", tach::Outcome::Failed, "assert 1 == 2")};
    s.records[0].teardown_failed = true;
    s.records[0].longrepr = "\n    def test_both():\n>       assert 1 == 2\nE       assert 1 == 2\n\n"
                            "t.py:5: AssertionError";
    s.records[0].teardown_longrepr = "\n    def fx():\n>       raise RuntimeError('td')\n"
                                     "E       RuntimeError: td\n\nt.py:2: RuntimeError";
    s.records[0].teardown_message = "RuntimeError: td";
    s.records[0].duration = 0.25;
    s.collected = 1;
    const std::string out = run_report(s, 0);
    CHECK(contains(out, "t.py FE"));
    // Each section has its own text, a blank line after the headline.
    CHECK(contains(out, sep_line('_', "ERROR at teardown of test_both", 80) +
                            "\n\n    def fx():\n>       raise RuntimeError('td')\n"));
    CHECK(contains(out, sep_line('_', "test_both", 80) +
                            "\n\n    def test_both():\n>       assert 1 == 2\n"));
    CHECK(!contains(out, "traceback follows"));
    CHECK(contains(out, "\nFAILED t.py::test_both - assert 1 == 2\n"
                        "ERROR t.py::test_both - RuntimeError: td\n"));
    CHECK(contains(out, " 1 failed, 1 error in "));
    CHECK(session_exit_code(s) == kExitTestsFailed);
    CHECK(failure_count(s.records[0]) == 2);

    // pytest 7.2.1's LogXML: the failure's testcase is closed when the
    // teardown fails and a second one carries the error; the pair counts as
    // one test.  Texts are str(longrepr), stripped at both ends.
    const std::string xml = render_junit_xml(s, "h");
    CHECK(contains(xml, "errors=\"1\" failures=\"1\" skipped=\"0\" tests=\"1\""));
    CHECK(contains(xml, "<testcase classname=\"t\" name=\"test_both\" time=\"0.250\">"
                        "<failure message=\"assert 1 == 2\">def test_both():\n&gt;       assert 1 == 2"
                        "\nE       assert 1 == 2\n\nt.py:5: AssertionError</failure></testcase>"
                        "<testcase classname=\"t\" name=\"test_both\" time=\"0.000\">"
                        "<error message=\"failed on teardown with &quot;RuntimeError: td&quot;\">"
                        "def fx():\n&gt;       raise RuntimeError('td')\nE       RuntimeError: td\n\n"
                        "t.py:2: RuntimeError</error></testcase>"));
}

void test_setup_and_teardown_errors() {
    // A setup error and a teardown error of the same test: two errors, as
    // pytest reports them (EE, two sections, two summary lines, one
    // testcase with two <error>s).
    Session s;
    s.records = {rec("t.py::test_e", tach::Outcome::Error, "RuntimeError: su", "setup")};
    s.records[0].longrepr = "\n    setup text";
    s.records[0].teardown_failed = true;
    s.records[0].teardown_longrepr = "\n    teardown text";
    s.records[0].teardown_message = "RuntimeError: td";
    s.collected = 1;
    const std::string out = run_report(s, 0);
    CHECK(contains(out, "t.py EE"));
    CHECK(contains(out, sep_line('_', "ERROR at setup of test_e", 80) + "\n\n    setup text\n"));
    CHECK(contains(out, sep_line('_', "ERROR at teardown of test_e", 80) +
                            "\n\n    teardown text\n"));
    CHECK(contains(out, "\nERROR t.py::test_e - RuntimeError: su\nERROR t.py::test_e - RuntimeError: td\n"));
    CHECK(contains(out, " 2 errors in "));
    const std::string xml = render_junit_xml(s, "h");
    CHECK(contains(xml, "errors=\"2\" failures=\"0\" skipped=\"0\" tests=\"2\""));
    CHECK(contains(xml, "<error message=\"failed on setup with &quot;RuntimeError: su&quot;\">setup text"
                        "</error><error message=\"failed on teardown with &quot;RuntimeError: td&quot;\">"
                        "teardown text</error></testcase>"));

    // A teardown error without a message falls back to the text (pytest's
    // str(longrepr) when there is no reprcrash).
    s.records[0].teardown_message = "";
    CHECK(contains(render_junit_xml(s, "h"),
                   "<error message=\"failed on teardown with &quot;teardown text&quot;\">"));
}

void test_summary_message() {
    // A strict XPASS has a bare-string longrepr: pytest shows no message.
    CHECK_EQ(std::string(summary_message("[XPASS(strict)] why", "[XPASS(strict)] why")), "");
    CHECK_EQ(std::string(summary_message("assert 1 == 2", "\n    def t():\n>  assert 1 == 2\n")),
             "assert 1 == 2");
    CHECK_EQ(std::string(summary_message("", "")), "");
    Session s;
    s.records = {rec("t.py::test_strict", tach::Outcome::Failed, "[XPASS(strict)] strict")};
    s.records[0].longrepr = "[XPASS(strict)] strict";
    s.collected = 1;
    CHECK(contains(run_report(s, 0), "\nFAILED t.py::test_strict\n"));
}

void test_terminal_report_crash_without_text() {
    Session s;
    s.records = {rec("t.py::test_exit", tach::Outcome::Crashed),
                 rec("t.py::test_abort", tach::Outcome::Crashed),
                 rec("t.py::test_hang", tach::Outcome::Timeout)};
    s.records[0].exit_status = 3;
    s.records[1].signal = 6;
    s.collected = 3;
    const std::string out = run_report(s, 0);
    CHECK(contains(out, "t.py CCT"));
    CHECK(contains(out, "_\ntest process exited with status 3\n"));
    CHECK(contains(out, "_\ntest process killed by signal 6 ("));
    CHECK(contains(out, "_\ntest exceeded the time limit\n"));
    CHECK(contains(out, "\nCRASHED t.py::test_exit\nCRASHED t.py::test_abort\nTIMEOUT t.py::test_hang\n"));
    CHECK(contains(out, " 2 crashed, 1 timeout in "));
}

void test_exit_codes() {
    Session s = sample_session();
    CHECK(session_exit_code(s) == kExitTestsFailed);
    Session ok;
    ok.collected = 1;
    ok.records = {rec("t.py::a", tach::Outcome::Skipped), rec("t.py::b", tach::Outcome::XFailed)};
    CHECK(session_exit_code(ok) == kExitOk);
    ok.records.push_back(rec("t.py::c", tach::Outcome::Timeout));
    CHECK(session_exit_code(ok) == kExitTestsFailed);
    ok.stop = StopReason::KeyboardInterrupt;
    CHECK(session_exit_code(ok) == kExitInterrupted);
    ok.stop = StopReason::InternalError;
    CHECK(session_exit_code(ok) == kExitInternalError);
    Session cont;  // collection errors with --continue-on-collection-errors
    cont.collected = 1;
    cont.collect_errors = {{"t/test_b.py", "boom"}};
    cont.records = {rec("t/test_a.py::a", tach::Outcome::Passed)};
    CHECK(session_exit_code(cont) == kExitTestsFailed);
    CHECK(init_failure_exit_code(TACH_ECOLLECT) == kExitUsageError);
    CHECK(init_failure_exit_code(TACH_ENOTFOUND) == kExitUsageError);
    CHECK(init_failure_exit_code(TACH_EWORKER) == kExitInternalError);
    CHECK(init_failure_exit_code(TACH_EINTERP) == kExitInternalError);
}

// ------------------------------------------------------ isolation, doctor

TestRecord restored(const char *id, double seconds, std::uint64_t pages) {
    TestRecord r = rec(id, tach::Outcome::Passed);
    r.restore_seconds = seconds;
    r.pages_restored = pages;
    return r;
}

void test_isolation_texts() {
    CHECK_EQ(isolation_description("fork", ""), "fork");
    CHECK_EQ(isolation_description("fork", "fork per test (requested)"),
             "fork (fork per test (requested))");
    const std::string fallback =
        "fork per test: snapshot isolation is unavailable here: the kernel lacks PAGEMAP_SCAN";
    CHECK_EQ(snapshot_unavailable_reason(fallback), "the kernel lacks PAGEMAP_SCAN");
    CHECK_EQ(snapshot_unavailable_reason("something else"), "something else");
    CHECK_EQ(snapshot_unavailable_reason(""), "reason unknown");
    CHECK_EQ(fork_fallback_note(fallback),
             "tach: snapshot isolation unavailable (the kernel lacks PAGEMAP_SCAN); using fork");
    CHECK_EQ(replaced_note(1), "tach: 1 worker replaced (see --stats)");
    CHECK_EQ(replaced_note(3), "tach: 3 workers replaced (see --stats)");
    CHECK_EQ(format_micros(0.000850), "850 \xc2\xb5s");
    CHECK_EQ(format_micros(0.01234), "12.3 ms");
    CHECK_EQ(format_micros(2.414), "2.41 s");
}

void test_distribution() {
    std::vector<double> sorted;
    for (int i = 1; i <= 100; i++)
        sorted.push_back(i);
    CHECK(nearest_rank(sorted, 0.5) == 50);
    CHECK(nearest_rank(sorted, 0.9) == 90);
    CHECK(nearest_rank(sorted, 0.99) == 99);
    CHECK(nearest_rank({7}, 0.99) == 7);
    CHECK(nearest_rank({}, 0.5) == 0);
    const Distribution d = distribution_of({5, 1, 4, 2, 3});
    CHECK(d.count == 5 && d.median == 3 && d.p90 == 5 && d.p99 == 5 && d.max == 5 && d.total == 15);
    const Distribution two = distribution_of({10, 20});
    CHECK(two.median == 10 && two.max == 20);  // nearest rank: a measured value
    CHECK(distribution_of({}).count == 0);
}

void test_isolation_stats() {
    Session s;
    s.isolation = "snapshot";
    s.isolation_reason = "in-place restore after each test (golden image: 3 ranges, 1.0 MiB)";
    s.records = {restored("t.py::a", 0.000100, 10), restored("t.py::b", 0.000300, 30),
                 restored("t.py::c", 0.000200, 20), rec("t.py::d", tach::Outcome::Crashed)};
    s.records[3].worker_replaced = true;
    s.records[3].replace_reason = "the test crashed the runner";
    s.collected = 4;
    s.duration = 0.5;
    CHECK(replaced_count(s) == 1);
    const std::vector<std::string> lines = isolation_stats_lines(s);
    CHECK_EQ(joined(lines),
             "isolation: snapshot (in-place restore after each test (golden image: 3 ranges, 1.0 MiB))|"
             "tests run: 4|workers: 1|workers replaced: 1|  t.py::d - the test crashed the runner|"
             "restore time per test (\xc2\xb5s): median 200, p90 300, p99 300, max 300 (3 restores)|"
             "pages restored per test: median 20, p99 30, max 30|total restore time: 600 \xc2\xb5s");

    // The section comes where pytest puts plugin sections (before the short
    // summary); the replaced note just before the closing line, which stays
    // pytest's.
    const std::string out = render(
        [&](TerminalReport &report) {
            report.set_show_stats(true);
            report.header(s);
            for (const TestRecord &r : s.records) {
                report.test_started(r.nodeid);
                report.test_finished(r);
            }
            report.finish(s, "");
        },
        0);
    const std::size_t stats = out.find(sep_line('=', "tach isolation statistics", 80) + "\n");
    const std::size_t summary = out.find(" short test summary info ");
    CHECK(stats != std::string::npos && summary != std::string::npos && stats < summary);
    CHECK(contains(out, "\nCRASHED t.py::d\ntach: 1 worker replaced (see --stats)\n" +
                            sep_line('=', "3 passed, 1 crashed in 0.50s", 80) + "\n"));

    // Without --stats: only the note.
    const std::string plain = run_report(s, 0);
    CHECK(!contains(plain, "tach isolation statistics"));
    CHECK(contains(plain, "tach: 1 worker replaced (see --stats)\n="));

    // Other modes: no restore figures; nothing replaced, no note.
    Session f = s;
    f.isolation = "fork";
    f.isolation_reason = "";
    f.records.pop_back();
    CHECK_EQ(joined(isolation_stats_lines(f)), "isolation: fork|tests run: 3|workers: 1|workers replaced: 0");
    CHECK(!contains(run_report(f, 0), "replaced"));

    // Snapshot mode where every worker was replaced.
    Session r;
    r.isolation = "snapshot";
    r.records = {rec("t.py::x", tach::Outcome::Timeout)};
    r.records[0].worker_replaced = true;
    CHECK_EQ(joined(isolation_stats_lines(r)),
             "isolation: snapshot|tests run: 1|workers: 1|workers replaced: 1|  t.py::x - reason unknown|"
             "in-place restores: none");
}

void test_doctor_report() {
    tach::Capabilities caps;
    caps.kernel_release = "6.8.0";
    caps.userfaultfd = true;
    caps.uffd_wp_async = true;
    caps.uffd_wp_unpopulated = false;
    caps.pagemap_scan = true;
    caps.procmap_query = false;
    caps.reason = "the kernel lacks UFFD_FEATURE_WP_UNPOPULATED";
    CHECK_EQ(joined(doctor_capability_lines(caps)),
             "kernel release:           6.8.0|"
             "userfaultfd (this user):  yes|"
             "UFFD WP_ASYNC:            yes|"
             "UFFD WP_UNPOPULATED:      no|"
             "PAGEMAP_SCAN:             yes|"
             "PROCMAP_QUERY:            no (optional)|"
             "snapshot isolation:       unsupported: the kernel lacks UFFD_FEATURE_WP_UNPOPULATED");
    caps.snapshot_supported = true;
    CHECK_EQ(doctor_capability_lines(caps).back(),
             "snapshot isolation:       supported by this kernel");

    // --doctor's workers: the default one first, one per line.
    CHECK_EQ(joined(doctor_worker_lines({{"/b/src/tach-worker", "3.11.2", "/usr/bin/python3.11"},
                                         {"/b/src/tach-worker-3.12", "3.12.1", "/py/3.12.1/bin/python3.12"}})),
             "workers:                  Python 3.11.2  tach-worker  (/usr/bin/python3.11)  default|"
             "                          Python 3.12.1  tach-worker-3.12  (/py/3.12.1/bin/python3.12)");
    CHECK_EQ(joined(doctor_worker_lines({})),
             "workers:                  none listed (tach-workers.list is missing next to the worker)");

    DoctorEngineInfo info;
    info.project = "/p";
    info.python_version = "3.11.2";
    info.pytest_version = "7.2.1";
    info.tests = 5;
    info.deselected = 100;
    info.collect_errors = 1;
    info.isolation = "fork";
    info.isolation_reason = "fork per test: snapshot isolation is unavailable here: no uffd";
    CHECK_EQ(joined(doctor_engine_lines(info)),
             "project:                  /p|python:                   3.11.2|"
             "pytest:                   7.2.1|"
             "collected:                5 tests / 100 deselected / 1 collection error|"
             "isolation auto uses:      fork (fork per test: snapshot isolation is unavailable "
             "here: no uffd)");
    info.python_option = "/usr/bin/python3";
    CHECK_EQ(doctor_engine_lines(info).back(), "--python:                 /usr/bin/python3");

    CHECK_EQ(doctor_engine_failure("could not start", "ERROR: file not found: x\nmore\n",
                                   "TACH_ECOLLECT: pytest could not start or collect"),
             "engine:                   could not start (TACH_ECOLLECT: pytest could not start or "
             "collect)\n  ERROR: file not found: x\n  more");
}

// -------------------------------------------------------------------- junit

void test_junit_document() {
    Session s = sample_session();
    s.collect_errors = {{"tests/test_broken.py", "import <x>"}};
    s.records[8].duration = 0.0123;
    s.records[6].longrepr = "";
    s.records[9].longrepr = "Fatal Python error: Segmentation fault\x01";
    const std::string xml = render_junit_xml(s, "vm");
    CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"pytest\" "
                    "errors=\"3\" failures=\"3\" skipped=\"2\" tests=\"12\" time=\"0.050\" timestamp=\"",
                    0) == 0);
    CHECK(contains(xml, "\" hostname=\"vm\"><testcase classname=\"\" name=\"tests.test_broken\" "
                        "time=\"0.000\"><error message=\"collection failure\">import &lt;x&gt;</error>"
                        "</testcase>"));
    CHECK(contains(xml, "<testcase classname=\"tests.sub.test_x\" name=\"test_pass\" time=\"0.000\" />"));
    CHECK(contains(xml, "<testcase classname=\"tests.sub.test_x.TestA\" name=\"test_b[1-2]\" "
                        "time=\"0.000\"><failure message=\"assert 1 == 2\" /></testcase>"));
    // str(longrepr) is stripped at both ends.
    CHECK(contains(xml, "<failure message=\"assert 1 == 2\">def test_fail():\n&gt;       assert 1 =="
                        " 2\nE       assert 1 == 2</failure>"));
    CHECK(contains(xml, "<error message=\"failed on setup with &quot;RuntimeError: boom&quot;\" />"));
    CHECK(contains(xml, "name=\"test_errtd\" time=\"0.000\"><error message=\"failed on teardown with "
                        "&quot;RuntimeError: td boom&quot;\">def td():\n&gt;       raise "
                        "RuntimeError('td boom')\nE       RuntimeError: td boom\n\nt.py:3: "
                        "RuntimeError</error></testcase>"));
    CHECK(contains(xml, "<skipped type=\"pytest.skip\" message=\"nope &lt;&amp;&gt;\">nope &lt;&amp;&gt;"
                        "</skipped>"));
    CHECK(contains(xml, "<skipped type=\"pytest.xfail\" message=\"known\" />"));
    CHECK(contains(xml, "name=\"test_xp\" time=\"0.012\" />"));
    CHECK(contains(xml, "<failure message=\"crashed: killed by signal 11 (SIGSEGV)\">Fatal Python error: "
                        "Segmentation fault#x01</failure>"));
    CHECK(contains(xml, "</testsuite></testsuites>"));
    CHECK(!contains(xml, "\x01"));
}

void test_iso_timestamp() {
    using namespace std::chrono;
    const system_clock::time_point t{seconds(1700000000) + microseconds(42)};
    const std::string stamp = iso_timestamp(t);
    CHECK(stamp.size() == 26 && stamp[10] == 'T' && stamp.substr(19) == ".000042");
    CHECK(iso_timestamp(system_clock::time_point{seconds(1700000000)}).size() == 19);
}

// ---------------------------------------------------------------- coverage

std::string plan_files(const CoveragePlan &plan) {
    std::string s;
    for (const CoverageOutput &o : plan.files)
        s += (s.empty() ? "" : "|") + coverage_written_line(o);
    return s;
}

void test_arguments_coverage() {
    // Nothing about coverage: nothing measured.
    Arguments a = parse({"tests/"});
    CHECK(!a.coverage.cov);
    CHECK(!coverage_plan(a.coverage).enabled);

    // A bare --cov: the project root, and the term table.
    a = parse({"--cov", "-x", "tests/"});
    CHECK(a.coverage.cov && a.coverage.all_sources);
    CHECK_EQ(joined(a.pytest_args), "tests/");
    CoveragePlan p = coverage_plan(a.coverage);
    CHECK(p.enabled && p.sources.empty() && p.table && !p.missing && p.files.empty());
    CHECK(!p.contexts);

    // --cov=SRC, repeatable; and --cov SRC takes the next argument, as
    // argparse's nargs='?' does (unless it looks like an option).
    a = parse({"--cov=src/pkg", "--cov", "lib", "tests/"});
    CHECK(!a.coverage.all_sources);
    CHECK_EQ(joined(a.coverage.sources), "src/pkg|lib");
    CHECK_EQ(joined(a.pytest_args), "tests/");
    CHECK_EQ(joined(coverage_plan(a.coverage).sources), "src/pkg|lib");
    a = parse({"--cov", "--", "lib"});
    CHECK(a.coverage.all_sources && a.coverage.sources.empty());
    CHECK_EQ(joined(a.pytest_args), "--|lib");
    // A bare --cov (or --cov=) anywhere measures everything: no filter.
    a = parse({"--cov=src", "--cov="});
    CHECK(a.coverage.all_sources);
    CHECK(coverage_plan(a.coverage).sources.empty());
    a = parse({"--cov=src", "--cov"});
    CHECK(coverage_plan(a.coverage).sources.empty());

    // Reports: files in pytest-cov's order, default names, the last of a
    // kind wins; term + term-missing is one table with Missing.
    a = parse({"--cov", "--cov-report=lcov:out/cov.info", "--cov-report", "term-missing",
               "--cov-report=xml", "--cov-report=json:a.json", "--cov-report=json:b.json",
               "--cov-report=term"});
    p = coverage_plan(a.coverage);
    CHECK(p.table && p.missing);
    CHECK_EQ(plan_files(p), "Coverage XML written to file coverage.xml|"
                            "Coverage JSON written to file b.json|"
                            "Coverage LCOV written to file out/cov.info");
    a = parse({"--cov", "--cov-report=lcov", "--cov-report=json"});
    p = coverage_plan(a.coverage);
    CHECK(!p.table);  // files only: no table unless asked for
    CHECK_EQ(plan_files(p), "Coverage JSON written to file coverage.json|"
                            "Coverage LCOV written to file coverage.lcov");
    // --cov-report= alone: no report at all; beside others it is ignored.
    a = parse({"--cov", "--cov-report="});
    p = coverage_plan(a.coverage);
    CHECK(p.enabled && !p.table && p.files.empty());
    a = parse({"--cov", "--cov-report=", "--cov-report=xml:c.xml"});
    p = coverage_plan(a.coverage);
    CHECK(!p.table);
    CHECK_EQ(plan_files(p), "Coverage XML written to file c.xml");

    // --cov-context=test: contexts in the JSON.
    a = parse({"--cov", "--cov-context", "test", "--cov-report=json"});
    CHECK(coverage_plan(a.coverage).contexts);
    CHECK(a.pytest_args.empty());

    // Report options without --cov measure nothing (pytest-cov's rule),
    // and --no-cov wins over --cov.
    a = parse({"--cov-report=xml", "--cov-context=test"});
    CHECK(!coverage_plan(a.coverage).enabled);
    a = parse({"--cov=src", "--no-cov"});
    CHECK(!coverage_plan(a.coverage).enabled);
    CHECK(a.pytest_args.empty());
}

void test_arguments_coverage_bad_values() {
    CHECK(throws_usage([] { parse({"--cov-report=html"}); }));
    CHECK(throws_usage([] { parse({"--cov-report=annotate:dir"}); }));
    CHECK(throws_usage([] { parse({"--cov-report=bogus"}); }));
    CHECK(throws_usage([] { parse({"--cov-report=term:out.txt"}); }));
    CHECK(throws_usage([] { parse({"--cov-report=term-missing:skip-covered"}); }));
    CHECK(throws_usage([] { parse({"--cov-report=xml:"}); }));
    CHECK(throws_usage([] { parse({"--cov-report"}); }));
    CHECK(throws_usage([] { parse({"--cov-context=function"}); }));
    CHECK(throws_usage([] { parse({"--cov-context"}); }));
    CHECK(throws_usage([] { parse({"--no-cov=1"}); }));
    try {
        parse({"--cov-report=html:h"});
    } catch (const UsageError &e) {
        CHECK_EQ(std::string(e.what()),
                 "argument --cov-report: invalid choice 'html:h' (choose from 'term', "
                 "'term-missing', 'xml', 'json', 'lcov'; tach writes no html report)");
    }
    // A file name may hold colons: only the first one separates.
    Arguments a = parse({"--cov", "--cov-report=xml:C:/x.xml"});
    CHECK_EQ(plan_files(coverage_plan(a.coverage)), "Coverage XML written to file C:/x.xml");
}

void test_coverage_texts() {
    CHECK_EQ(python_version_info("3.11.2"), "3.11.2-final-0");
    CHECK_EQ(python_version_info("3.13.0rc1"), "3.13.0-candidate-1");
    CHECK_EQ(python_version_info("3.14.0a3"), "3.14.0-alpha-3");
    CHECK_EQ(python_version_info("3.12.0b4"), "3.12.0-beta-4");
    CHECK_EQ(python_version_info("3.14.0a1+"), "3.14.0-alpha-1");
    CHECK_EQ(python_version_info("3.12"), "3.12.0-final-0");
    // pytest-cov's own fixed 70-column centring, whatever the terminal.
    CHECK_EQ(coverage_title_line("3.11.2"),
             "---------- coverage: platform linux, python 3.11.2-final-0 -----------");
    CHECK_EQ(coverage_title_line("3.13.0rc1"),
             "-------- coverage: platform linux, python 3.13.0-candidate-1 ---------");
}

std::vector<TerminalReport::CoverageLine> coverage_lines() {
    return {{"---------- coverage: platform linux, python 3.11.2-final-0 -----------", false},
            {"Name    Stmts   Miss  Cover", false},
            {"TOTAL       4      1    75%", false},
            {"WARNING: Failed to generate report: disk full", true}};
}

void test_terminal_report_coverage_section() {
    const std::string section =
        "---------- coverage: platform linux, python 3.11.2-final-0 -----------\n"
        "Name    Stmts   Miss  Cover\n"
        "TOTAL       4      1    75%\n"
        "WARNING: Failed to generate report: disk full\n";
    Session s = sample_session();
    s.records.resize(1);  // one pass
    s.collected = 1;
    const auto run = [&](const Session &session, int verbosity, const std::string &junit) {
        return render(
            [&](TerminalReport &report) {
                report.set_coverage_section(coverage_lines());
                report.header(session);
                for (const TestRecord &r : session.records) {
                    report.test_started(r.nodeid);
                    report.test_finished(r);
                }
                report.finish(session, junit);
            },
            verbosity);
    };
    // As pytest + pytest-cov 4.0 print it: one blank line before the
    // section, two after it when nothing came between.
    std::string out = run(s, 0, "");
    CHECK(contains(out, "[100%]\n\n" + section + "\n\n=====" ));
    // -q: no file line was open, so no blank line is pending.
    out = run(s, -1, "");
    CHECK(contains(out, "[100%]\n\n" + section + "\n1 passed"));
    // After a section (here the JUnit line): one blank line on each side.
    out = run(s, 0, "/tmp/j.xml");
    CHECK(contains(out, "-- generated xml file: /tmp/j.xml --"));
    CHECK(contains(out, "j.xml " + std::string(24, '-') + "\n\n" + section + "\n=====" ));
    // After FAILURES, before the short test summary.
    Session failed = sample_session();
    failed.records = {rec("t.py::test_fail", tach::Outcome::Failed, "assert 1 == 2")};
    failed.records[0].longrepr = "E   assert 1 == 2";
    failed.collected = 1;
    out = run(failed, 0, "");
    CHECK(contains(out, "E   assert 1 == 2\n\n" + section +
                            "\n=========================== short test summary info"));
    // No tests ran: pytest's empty line, then the section's own.
    Session none = sample_session();
    none.records.clear();
    none.collected = 0;
    out = run(none, 0, "");
    CHECK(contains(out, "collected 0 items\n\n\n" + section + "\n=====" ));
    // Without coverage lines: nothing changes.
    CHECK(!contains(run_report(sample_session(), 0), "coverage:"));
}

} // namespace

void test_bazel_outputs() {
    CHECK_EQ(json_quote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    CHECK_EQ(json_quote("caf\xc3\xa9 \xff"), "\"caf\xc3\xa9 \xef\xbf\xbd\"");

    Session session;
    session.python_version = "3.11.2";
    session.collected = 2;
    TestRecord passed;
    passed.nodeid = "t.py::test_a";
    TestRecord failed;
    failed.nodeid = "t.py::test_b";
    failed.outcome = tach::Outcome::Failed;
    failed.phase = "call";
    failed.message = "assert 1 == 2";
    session.records = {passed, failed};
    const std::string json = render_json_report(session, 1);
    CHECK(json.find("\"exitcode\": 1") != std::string::npos);
    CHECK(json.find("\"summary\": {\"failed\": 1, \"passed\": 1}") != std::string::npos);
    CHECK(json.find("{\"nodeid\": \"t.py::test_b\", \"outcome\": \"failed\"") !=
          std::string::npos);
    CHECK(json.find("\"message\": \"assert 1 == 2\"") != std::string::npos);

    CHECK(manifest_entries("pkg/a.py\n\npkg/b.py  \r\n") ==
          (std::vector<std::string>{"pkg/a.py", "pkg/b.py"}));

    const std::string lcov = "TN:\nSF:/real/ws/pkg/a.py\nDA:1,1\nLF:1\nLH:1\nend_of_record\n"
                             "TN:\nSF:/real/ws/pkg/test_a.py\nDA:3,1\nend_of_record\n"
                             "TN:\nSF:/elsewhere/c.py\nDA:2,0\nend_of_record\n";
    const auto resolve = [](const std::string &entry) {
        return entry == "pkg/a.py" ? std::string("/real/ws/pkg/a.py") : std::string();
    };
    // Only the manifest's files, named as the manifest names them.
    CHECK_EQ(lcov_for_bazel(lcov, {"pkg/a.py", "pkg/missing.py"}, resolve, "/run/ws"),
             "TN:\nSF:pkg/a.py\nDA:1,1\nLF:1\nLH:1\nend_of_record\n");
    // No manifest: everything, relative to the root where under it.
    CHECK_EQ(lcov_for_bazel(lcov, {}, resolve, "/real/ws"),
             "TN:\nSF:pkg/a.py\nDA:1,1\nLF:1\nLH:1\nend_of_record\n"
             "TN:\nSF:pkg/test_a.py\nDA:3,1\nend_of_record\n"
             "TN:\nSF:/elsewhere/c.py\nDA:2,0\nend_of_record\n");
}

// ----------------------------------------------------------- parallel runs

void test_arguments_workers() {
    Arguments a = parse({"tests/"});
    CHECK(!a.workers_given);
    a = parse({"-n", "3", "tests/"});
    CHECK(a.workers_given && a.workers == 3);
    CHECK_EQ(joined(a.pytest_args), "tests/");
    a = parse({"-n4"});
    CHECK(a.workers == 4);
    a = parse({"-xn2", "-v"});  // a cluster: -x, then -n's value
    CHECK(a.workers == 2 && a.maxfail == 1 && a.verbosity == 1);
    CHECK(parse({"-n", "auto"}).workers == 0);
    CHECK(parse({"--numprocesses=auto"}).workers == 0);
    CHECK(parse({"--numprocesses", "5"}).workers == 5);
    CHECK(parse({"-n", "0"}).workers == 1);
    CHECK(parse({"-n", "1"}).workers == 1);
    CHECK(throws_usage([] { parse({"-n"}); }));
    CHECK(throws_usage([] { parse({"-n", "-3"}); }));
    CHECK(throws_usage([] { parse({"-n", "many"}); }));
    CHECK(throws_usage([] { parse({"--numprocesses"}); }));
}

void test_durations_cache() {
    Durations d = {{"t.py::a", 1.5}, {"t.py::b \"q\"\n", 0.25}};
    const std::string text = render_durations(d);
    CHECK(parse_durations(text) == d);
    CHECK(parse_durations("").empty());
    CHECK(parse_durations("{").empty());
    CHECK(parse_durations("not json at all").empty());
    CHECK(parse_durations("{\"version\": 2, \"durations\": {\"t.py::a\": 1}}").empty());
    CHECK(parse_durations("{\"version\": 1, \"durations\": {\"t.py::a\": \"slow\"}}").empty());
    CHECK(parse_durations("{\"version\": 1, \"durations\": {\"t.py::a\": 1}} trailing").empty());
    CHECK(parse_durations(text.substr(0, text.size() / 2)).empty());
    CHECK(parse_durations("{\"version\": 1, \"durations\": {}}").empty());
    CHECK(parse_durations("{\"version\": 1, \"durations\": {\"x\": 2.5}}").at("x") == 2.5);

    const std::vector<std::string> ids = {"a", "b", "c", "d", "e"};
    // Nothing known: collection order.
    std::vector<std::size_t> order = dispatch_order(ids, {});
    CHECK((order == std::vector<std::size_t>{0, 1, 2, 3, 4}));
    // Unknown first in collection order, then longest first (ties stable).
    order = dispatch_order(ids, {{"a", 0.1}, {"c", 3.0}, {"d", 0.1}, {"e", 9.0}, {"gone", 50.0}});
    CHECK((order == std::vector<std::size_t>{1, 4, 2, 0, 3}));
}

void test_progress_text() {
    CHECK_EQ(progress_text(7, 600, 2, 3.44, 2, 80), "[  7/600] 2 failed, 3.4s, 2 workers");
    CHECK_EQ(progress_text(600, 600, 0, 12.0, 3, 80), "[600/600] 0 failed, 12.0s, 3 workers");
    CHECK_EQ(progress_text(1, 9, 0, 0.0, 2, 10), "[1/9] 0 fa");
    CHECK_EQ(progress_redraw("x"), "\rx\x1b[K");
}

int main() {
    test_arguments_workers();
    test_durations_cache();
    test_progress_text();
    test_arguments_forwarding();
    test_arguments_values_that_look_like_options();
    test_arguments_short_clusters();
    test_arguments_tach_options();
    test_arguments_bad_values();
    test_arguments_max_worker_memory();
    test_arguments_isolation_stats_doctor();
    test_arguments_watch_pdb_sandbox();
    test_arguments_coverage();
    test_arguments_coverage_bad_values();
    test_coverage_texts();
    test_python_strip();
    test_mangle_test_address();
    test_head_line();
    test_xml_escaping();
    test_utf8();
    test_sep_line();
    test_summary_text();
    test_format_trimmed();
    test_terminal_report_default();
    test_terminal_report_verbose_and_quiet();
    test_header_and_deselected();
    test_terminal_report_wraps_long_progress();
    test_terminal_report_stops();
    test_terminal_report_crash_without_text();
    test_failure_and_teardown_error();
    test_setup_and_teardown_errors();
    test_summary_message();
    test_isolation_texts();
    test_distribution();
    test_isolation_stats();
    test_doctor_report();
    test_exit_codes();
    test_junit_document();
    test_iso_timestamp();
    test_terminal_report_coverage_section();
    test_bazel_outputs();
    std::printf("%d checks, %d failed\n", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
