// tach-cli-selftest: checks the CLI's pure logic (argument splitting, node
// id mangling, XML escaping, summary wording, the pytest-shaped report)
// without a worker.  Expected strings are pytest 7.2's own output for the
// same situations.  Exit status 0 when every check passed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "arguments.hpp"
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
        rec(id("test_errtd").c_str(), O::Passed, "RuntimeError: td boom"),
        rec(id("test_skip").c_str(), O::Skipped, "nope <&>"),
        rec(id("test_xf").c_str(), O::XFailed, "known"),
        rec(id("test_xp").c_str(), O::XPassed, "maybe"),
        rec(id("test_seg").c_str(), O::Crashed, "killed by signal 11 (SIGSEGV)"),
    };
    s.records[1].longrepr = "    def test_fail():\n>       assert 1 == 2\nE       assert 1 == 2\n";
    s.records[1].stdout_text = "hello out\n";
    s.records[5].teardown_failed = true;
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
                        "______\n"));
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
    s.records[0].longrepr = "call text\n\nteardown text";
    s.collected = 1;
    const std::string out = run_report(s, 0);
    CHECK(contains(out, "t.py FE"));
    CHECK(contains(out, " ERROR at teardown of test_both "));
    CHECK(contains(out, "\nFAILED t.py::test_both - assert 1 == 2\nERROR t.py::test_both\n"));
    CHECK(contains(out, " 1 failed, 1 error in "));
    CHECK(session_exit_code(s) == kExitTestsFailed);
    CHECK(failure_count(s.records[0]) == 2);

    const std::string xml = render_junit_xml(s, "h");
    CHECK(contains(xml, "errors=\"1\" failures=\"1\" skipped=\"0\" tests=\"2\""));
    CHECK(contains(xml, "<failure message=\"assert 1 == 2\">call text\n\nteardown text</failure>"
                        "<error message=\"failed on teardown\">"));
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
    CHECK(contains(xml, "<failure message=\"assert 1 == 2\">    def test_fail():\n&gt;       assert 1 =="
                        " 2\nE       assert 1 == 2\n</failure>"));
    CHECK(contains(xml, "<error message=\"failed on setup with &quot;RuntimeError: boom&quot;\" />"));
    CHECK(contains(xml, "<error message=\"failed on teardown with &quot;RuntimeError: td boom&quot;\" />"));
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

} // namespace

int main() {
    test_arguments_forwarding();
    test_arguments_values_that_look_like_options();
    test_arguments_short_clusters();
    test_arguments_tach_options();
    test_arguments_bad_values();
    test_mangle_test_address();
    test_head_line();
    test_xml_escaping();
    test_utf8();
    test_sep_line();
    test_summary_text();
    test_format_trimmed();
    test_terminal_report_default();
    test_terminal_report_verbose_and_quiet();
    test_terminal_report_wraps_long_progress();
    test_terminal_report_stops();
    test_terminal_report_crash_without_text();
    test_failure_and_teardown_error();
    test_exit_codes();
    test_junit_document();
    test_iso_timestamp();
    std::printf("%d checks, %d failed\n", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
