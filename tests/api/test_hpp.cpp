// test_hpp.cpp — the C++ wrapper include/tach.hpp, used only through its
// own interface: RAII ownership, move-only handles, tach::Error, a real run
// on tests/fixtures/basic.  TACH_TEST_FIXTURES is a -D define.
#include <tach.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
}
// cmocka's deprecated run_test(f) macro would rewrite Engine::run_test.
#undef run_test

#ifndef TACH_TEST_FIXTURES
#error "TACH_TEST_FIXTURES must be defined (the absolute path of tests/fixtures)"
#endif

namespace {

const std::string kBasic = TACH_TEST_FIXTURES "/basic";
const std::string kNode = "test_basic.py::";

// ------------------------------------------------------------ compile time

static_assert(!std::is_copy_constructible_v<tach::Engine>);
static_assert(!std::is_copy_assignable_v<tach::Engine>);
static_assert(std::is_nothrow_move_constructible_v<tach::Engine>);
static_assert(std::is_nothrow_move_assignable_v<tach::Engine>);
static_assert(!std::is_copy_constructible_v<tach::Result>);
static_assert(!std::is_copy_assignable_v<tach::Result>);
static_assert(std::is_nothrow_move_constructible_v<tach::Result>);
static_assert(std::is_nothrow_move_assignable_v<tach::Result>);
// Adopting a raw handle is explicit, never an implicit conversion.
static_assert(!std::is_convertible_v<tach_engine *, tach::Engine>);
static_assert(!std::is_convertible_v<tach_result *, tach::Result>);
// Options are a plain value.
static_assert(std::is_copy_constructible_v<tach::InitOptions>);
static_assert(!std::is_copy_constructible_v<tach::Runner>);
static_assert(!std::is_copy_assignable_v<tach::Runner>);
static_assert(std::is_nothrow_move_constructible_v<tach::Runner>);
static_assert(std::is_nothrow_move_assignable_v<tach::Runner>);
static_assert(!std::is_convertible_v<tach_runner *, tach::Runner>);
static_assert(std::is_base_of_v<std::runtime_error, tach::Error>);
static_assert(static_cast<int>(tach::Outcome::Timeout) == TACH_OUTCOME_TIMEOUT);
static_assert(static_cast<int>(tach::Isolation::Snapshot) == TACH_ISOLATION_SNAPSHOT);

#define assert_contains(haystack, needle)                                                    \
    do {                                                                                     \
        const std::string h_ = (haystack);                                                   \
        const std::string n_ = (needle);                                                     \
        if (h_.find(n_) == std::string::npos)                                                \
            fail_msg("expected \"%s\" in:\n---\n%s\n---", n_.c_str(), h_.c_str());           \
    } while (0)

tach::InitOptions basic_options() {
    tach::InitOptions opts;
    opts.project_root(kBasic).isolation(tach::Isolation::Fork);
    return opts;
}

// ------------------------------------------------------------------- tests

void test_hpp_free_functions(void **) {
    assert_string_equal(tach::version().c_str(), TACH_VERSION_STRING);
    assert_int_equal(tach::version_number(), TACH_VERSION_NUMBER);
    assert_true(tach::outcome_name(tach::Outcome::XPassed) == "xpassed");
    assert_true(tach::isolation_name(tach::Isolation::None) == "none");
    assert_true(tach::status_name(TACH_EINVAL).substr(0, 11) == "TACH_EINVAL");

    tach::Capabilities caps = tach::probe_capabilities();
    assert_false(caps.kernel_release.empty());
    if (!caps.snapshot_supported) assert_false(caps.reason.empty());
}

void test_hpp_init_options_capi(void **) {
    tach::InitOptions opts;
    opts.project_root("/some/where").args({"-k", "x"}).arg("-q").timeout(2.5).isolation(tach::Isolation::None);
    tach::InitOptions copy = opts;  // owns its strings: no dangling pointers
    opts.arg("changed-after-the-copy");
    const tach_init_options &c = copy.capi();
    assert_int_equal(c.size, sizeof(tach_init_options));
    assert_string_equal(c.project_root, "/some/where");
    assert_int_equal(c.nargs, 3);
    assert_string_equal(c.args[0], "-k");
    assert_string_equal(c.args[1], "x");
    assert_string_equal(c.args[2], "-q");
    assert_null(c.python);
    assert_null(c.worker_path);
    assert_null(c.shim_path);
    assert_int_equal(c.isolation, TACH_ISOLATION_NONE);
    assert_true(c.timeout_seconds == 2.5);
    assert_int_equal(opts.capi().nargs, 4);

    const tach_init_options &empty = tach::InitOptions().capi();
    assert_null(empty.project_root);
    assert_null(empty.args);
    assert_int_equal(empty.nargs, 0);
}

void test_hpp_init_error(void **) {
    tach::InitOptions opts;
    opts.project_root(TACH_TEST_FIXTURES "/no-such-project");
    try {
        tach::Engine engine = tach::Engine::init(opts);
        fail_msg("tach::Engine::init did not throw");
    } catch (const tach::Error &e) {
        assert_int_equal(e.code(), TACH_ENOTFOUND);
        assert_string_equal(e.code_name(), tach_strerror(TACH_ENOTFOUND));
        assert_contains(e.what(), "no-such-project");
    }

    // A pytest usage error carries pytest's message.
    tach::InitOptions bad = basic_options();
    bad.arg("--no-such-option");
    try {
        (void)tach::Engine::init(bad);
        fail_msg("tach::Engine::init did not throw");
    } catch (const tach::Error &e) {
        assert_int_equal(e.code(), TACH_ECOLLECT);
        assert_contains(e.what(), "--no-such-option");
    }

    // Caught as the standard base class too.
    try {
        (void)tach::Engine::init(tach::InitOptions().isolation(static_cast<tach::Isolation>(99)));
        fail_msg("tach::Engine::init did not throw");
    } catch (const std::exception &e) {
        assert_contains(e.what(), "isolation");
    }
}

void test_hpp_run(void **) {
    tach::Engine engine = tach::Engine::init(basic_options());
    assert_non_null(engine.capi());
    assert_string_equal(engine.errmsg().c_str(), "");
    assert_false(engine.python_version().empty());
    assert_false(engine.pytest_version().empty());
    std::vector<std::string> ids = engine.tests();
    assert_int_equal(ids.size(), engine.test_count());
    assert_true(ids.size() >= 10);
    assert_int_equal(engine.deselected_count(), 0);
    assert_string_equal(engine.isolation_reason().c_str(), "");
    assert_string_equal(ids.front().c_str(), (kNode + "test_passes").c_str());
    assert_true(engine.collect_errors().empty());
    assert_false(engine.collection_interrupts());

    // Before snapshot(): the C status comes back as tach::Error.
    try {
        (void)engine.run_test(kNode + "test_passes");
        fail_msg("run_test before snapshot did not throw");
    } catch (const tach::Error &e) {
        assert_int_equal(e.code(), TACH_EMISUSE);
    }
    engine.snapshot();
    assert_true(engine.isolation() == tach::Isolation::Fork);
    assert_false(engine.isolation_reason().empty());

    tach::Result passed = engine.run_test(kNode + "test_passes");
    assert_true(passed.outcome() == tach::Outcome::Passed);
    assert_true(passed.outcome_name() == "passed");
    assert_string_equal(passed.nodeid().c_str(), (kNode + "test_passes").c_str());
    assert_string_equal(passed.phase().c_str(), "call");
    assert_true(passed.duration() > 0.0);
    assert_int_equal(passed.exit_status(), -1);
    assert_false(passed.teardown_failed());
    assert_string_equal(passed.teardown_longrepr().c_str(), "");
    assert_string_equal(passed.teardown_message().c_str(), "");
    engine.restore();

    tach::Result failed = engine.run_test(kNode + "test_fails");
    assert_true(failed.outcome() == tach::Outcome::Failed);
    assert_contains(failed.message(), "lists differ");
    assert_contains(failed.longrepr(), "[1, 2, 4]");

    tach::Result printed = engine.run_test(kNode + "test_prints");
    assert_contains(printed.stdout_text(), "hello from stdout");
    assert_contains(printed.stderr_text(), "hello from stderr");

    std::fflush(stdout);
    tach::Result crashed = engine.run_test(kNode + "test_crashes");
    assert_true(crashed.outcome() == tach::Outcome::Crashed);
    assert_int_equal(crashed.signal(), SIGSEGV);

    try {
        (void)engine.run_test(kNode + "test_nope");
        fail_msg("run_test of an unknown node id did not throw");
    } catch (const tach::Error &e) {
        assert_int_equal(e.code(), TACH_ENOTFOUND);
        assert_contains(e.what(), "test_nope");
    }

    // Results outlive the engine (tach_shutdown runs here).
    { tach::Engine gone = std::move(engine); }
    assert_null(engine.capi());  // NOLINT: moved-from is empty by contract
    assert_true(failed.outcome() == tach::Outcome::Failed);
    assert_contains(failed.longrepr(), "[1, 2, 4]");
    assert_string_equal(printed.nodeid().c_str(), (kNode + "test_prints").c_str());
}

void test_hpp_move_and_release(void **) {
    tach::Engine a = tach::Engine::init(basic_options().args({kNode + "test_passes"}));
    tach_engine *raw = a.capi();
    assert_non_null(raw);

    tach::Engine b = std::move(a);
    assert_null(a.capi());  // NOLINT
    assert_ptr_equal(b.capi(), raw);
    // Methods on a moved-from wrapper see a NULL handle: defaults, no crash.
    assert_int_equal(a.test_count(), 0);  // NOLINT
    assert_true(a.tests().empty());       // NOLINT

    b.snapshot();
    tach::Result r = b.run_test(kNode + "test_passes");
    tach_result *raw_result = r.release();
    assert_null(r.capi());
    assert_int_equal(tach_result_outcome(raw_result), TACH_OUTCOME_PASSED);
    tach::Result adopted(raw_result);  // ownership back; freed once
    assert_ptr_equal(adopted.capi(), raw_result);

    // Move assignment shuts the engine it replaces down.
    tach::Engine c = tach::Engine::init(basic_options().args({kNode + "test_prints"}));
    c = std::move(b);
    assert_ptr_equal(c.capi(), raw);
    assert_int_equal(c.test_count(), 1);
    assert_true(c.deselected_count() == 0);  // a node id selects, it does not deselect

    // release(): the caller owns the C handle.
    tach_engine *released = c.release();
    assert_null(c.capi());
    assert_ptr_equal(released, raw);
    tach_shutdown(released);

    // An empty Result behaves like a NULL tach_result.
    tach::Result empty(nullptr);
    assert_true(empty.outcome() == tach::Outcome::Error);
    assert_string_equal(empty.nodeid().c_str(), "");
}

}  // namespace

// Two runners on two threads; a failed call throws with the runner's
// message; a runner moved from is empty and harmless.
void test_hpp_runners(void **) {
    tach::Engine engine = tach::Engine::init(basic_options());
    bool threw = false;
    try {
        tach::Runner::open(engine);  // before snapshot()
    } catch (const tach::Error &e) {
        threw = e.code() == TACH_EMISUSE;
    }
    assert_true(threw);
    engine.snapshot();
    std::vector<tach::Runner> runners;
    runners.push_back(tach::Runner::open(engine));
    runners.push_back(tach::Runner::open(engine));
    tach::Outcome got[2] = {tach::Outcome::Error, tach::Outcome::Error};
    const std::string ids[2] = {kNode + "test_passes", kNode + "test_fails"};
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; i++)
        threads.emplace_back([&, i] { got[i] = runners[i].run_test(ids[i]).outcome(); });
    for (auto &t : threads) t.join();
    assert_true(got[0] == tach::Outcome::Passed);
    assert_true(got[1] == tach::Outcome::Failed);
    threw = false;
    try {
        runners[0].run_test("no_such.py::test");
    } catch (const tach::Error &e) {
        threw = e.code() == TACH_ENOTFOUND;
        assert_contains(e.what(), "not a collected test");
    }
    assert_true(threw);
    tach::Runner moved = std::move(runners[1]);
    assert_null(runners[1].capi());
    assert_true(moved.run_test(ids[0]).outcome() == tach::Outcome::Passed);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hpp_free_functions),
        cmocka_unit_test(test_hpp_init_options_capi),
        cmocka_unit_test(test_hpp_init_error),
        cmocka_unit_test(test_hpp_run),
        cmocka_unit_test(test_hpp_move_and_release),
        cmocka_unit_test(test_hpp_runners),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
