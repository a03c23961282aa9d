// cmocka tests of src/cli/watch/file_watcher.cpp: inotify over a real
// temporary tree (recursion, new directories, ignored files, debouncing,
// deletion) and the re-run plan.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>


#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli/watch/file_watcher.hpp"

// Last: cmocka defines macros (fail) that clash with the standard headers.
extern "C" {
#include <cmocka.h>
}

namespace fs = std::filesystem;
using tach_cli::watch::FileWatcher;

namespace {

std::string make_tree() {
    char tmpl[] = "/tmp/tach-watch-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    fs::create_directories(std::string(dir) + "/pkg/sub");
    fs::create_directories(std::string(dir) + "/__pycache__");
    fs::create_directories(std::string(dir) + "/.git");
    return dir;
}

void write(const std::string &path, const std::string &text) {
    std::ofstream out(path);
    out << text;
}

int teardown_tree(const std::string &root) {
    std::error_code ec;
    fs::remove_all(root, ec);
    return 0;
}

void test_reports_a_change_deep_in_the_tree(void **) {
    const std::string root = make_tree();
    std::string error;
    auto watcher = FileWatcher::open({root}, &error);
    assert_true(watcher.has_value());
    assert_int_equal(watcher->watched_directories(), 3);  // root, pkg, pkg/sub
    write(root + "/pkg/sub/test_x.py", "def test(): pass\n");
    auto changed = watcher->wait(0.05, 5, nullptr);
    assert_int_equal(changed.size(), 1);
    assert_string_equal(changed.begin()->c_str(), (root + "/pkg/sub/test_x.py").c_str());
    teardown_tree(root);
}

void test_ignores_other_files_and_hidden_dirs(void **) {
    const std::string root = make_tree();
    std::string error;
    auto watcher = FileWatcher::open({root}, &error);
    assert_true(watcher.has_value());
    write(root + "/notes.txt", "x");
    write(root + "/__pycache__/mod.cpython-311.pyc", "x");
    write(root + "/.git/config.py", "x");
    write(root + "/.mod.py.swp", "x");
    auto changed = watcher->wait(0.05, 0.4, nullptr);
    assert_true(changed.empty());
    // ...but configuration files count.
    write(root + "/pytest.ini", "[pytest]\n");
    changed = watcher->wait(0.05, 5, nullptr);
    assert_int_equal(changed.size(), 1);
    teardown_tree(root);
}

void test_new_directory_is_watched(void **) {
    const std::string root = make_tree();
    std::string error;
    auto watcher = FileWatcher::open({root}, &error);
    assert_true(watcher.has_value());
    fs::create_directories(root + "/newpkg");
    write(root + "/newpkg/mod.py", "X = 1\n");  // may race the new watch: reported either way
    auto changed = watcher->wait(0.1, 5, nullptr);
    assert_int_equal(changed.count(root + "/newpkg/mod.py"), 1);
    write(root + "/newpkg/mod.py", "X = 2\n");
    changed = watcher->wait(0.05, 5, nullptr);
    assert_int_equal(changed.count(root + "/newpkg/mod.py"), 1);
    teardown_tree(root);
}

void test_debounce_collects_a_burst(void **) {
    const std::string root = make_tree();
    std::string error;
    auto watcher = FileWatcher::open({root}, &error);
    assert_true(watcher.has_value());
    std::thread writer([&] {
        for (int i = 0; i < 5; ++i) {
            write(root + "/pkg/m" + std::to_string(i) + ".py", "x = 1\n");
            usleep(30 * 1000);
        }
    });
    auto changed = watcher->wait(0.3, 5, nullptr);
    writer.join();
    assert_int_equal(changed.size(), 5);
    teardown_tree(root);
}

void test_rename_and_delete_count(void **) {
    const std::string root = make_tree();
    write(root + "/pkg/test_old.py", "x");
    std::string error;
    auto watcher = FileWatcher::open({root}, &error);
    assert_true(watcher.has_value());
    write(root + "/pkg/.tmp-save", "y");  // an editor's atomic save
    fs::rename(root + "/pkg/.tmp-save", root + "/pkg/mod.py");
    fs::remove(root + "/pkg/test_old.py");
    auto changed = watcher->wait(0.1, 5, nullptr);
    assert_int_equal(changed.size(), 2);
    assert_int_equal(changed.count(root + "/pkg/mod.py"), 1);
    assert_int_equal(changed.count(root + "/pkg/test_old.py"), 1);
    teardown_tree(root);
}

void test_stop_ends_the_wait(void **) {
    const std::string root = make_tree();
    std::string error;
    auto watcher = FileWatcher::open({root}, &error);
    assert_true(watcher.has_value());
    int calls = 0;
    auto changed = watcher->wait(0.1, -1, [&] { return ++calls >= 3; });
    assert_true(changed.empty());
    assert_int_equal(calls, 3);
    teardown_tree(root);
}

void test_missing_root_is_an_error(void **) {
    std::string error;
    auto watcher = FileWatcher::open({"/nonexistent/tach-watch"}, &error);
    assert_false(watcher.has_value());
    assert_non_null(std::strstr(error.c_str(), "not a directory"));
}

void test_classification(void **) {
    using namespace tach_cli::watch;
    assert_true(is_test_file("/a/test_x.py"));
    assert_true(is_test_file("x_test.py"));
    assert_false(is_test_file("/a/conftest.py"));
    assert_false(is_test_file("/a/testing.py"));
    // The project's own python_files, as pytest matches them.
    const std::vector<std::string> custom = {"check_*.py", "spec/*_spec.py"};
    assert_true(is_test_file("/a/check_x.py", custom));
    assert_false(is_test_file("/a/test_x.py", custom));
    assert_true(is_test_file("/p/spec/x_spec.py", custom));
    assert_false(is_test_file("/p/other/x_spec.py", custom));
    assert_false(is_test_file("/a/check_x.txt", {"check_*"}));  // .py files only
    assert_true(relevant_file("/a/conftest.py"));
    assert_true(relevant_file("/a/tox.ini"));
    assert_true(relevant_file("/a/pyproject.toml"));
    assert_false(relevant_file("/a/README.md"));
}

void test_plan(void **) {
    using namespace tach_cli::watch;
    const std::string root = make_tree();
    write(root + "/pkg/test_a.py", "");
    write(root + "/pkg/sub/test_b.py", "");
    write(root + "/pkg/mod.py", "");
    auto plan = plan_rerun({root + "/pkg/test_a.py", root + "/pkg/sub/test_b.py"}, {});
    assert_false(plan.everything);
    assert_int_equal(plan.test_files.size(), 2);
    // Narrowed to the original selection.
    plan = plan_rerun({root + "/pkg/test_a.py", root + "/pkg/sub/test_b.py"}, {root + "/pkg/sub"});
    assert_false(plan.everything);
    assert_int_equal(plan.test_files.size(), 1);
    assert_string_equal(plan.test_files[0].c_str(), (root + "/pkg/sub/test_b.py").c_str());
    // A non-test module, a conftest, or a deleted test file: everything.
    assert_true(plan_rerun({root + "/pkg/test_a.py", root + "/pkg/mod.py"}, {}).everything);
    assert_true(plan_rerun({root + "/conftest.py"}, {}).everything);
    assert_true(plan_rerun({root + "/pkg/test_gone.py"}, {}).everything);
    assert_false(plan_rerun({root + "/conftest.py"}, {}).configuration);
    // A configuration file: everything, in a new worker.
    write(root + "/pytest.ini", "[pytest]\n");
    plan = plan_rerun({root + "/pkg/test_a.py", root + "/pytest.ini"}, {});
    assert_true(plan.everything);
    assert_true(plan.configuration);
    assert_true(plan_rerun({root + "/pyproject.toml"}, {}).configuration);
    assert_false(plan_rerun({root + "/pkg/test_a.py"}, {}).configuration);
    // A test module by the project's python_files narrows the run too.
    write(root + "/pkg/check_c.py", "");
    assert_true(plan_rerun({root + "/pkg/check_c.py"}, {}).everything);
    plan = plan_rerun({root + "/pkg/check_c.py"}, {}, {"check_*.py"});
    assert_false(plan.everything);
    assert_int_equal(plan.test_files.size(), 1);
    teardown_tree(root);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reports_a_change_deep_in_the_tree),
        cmocka_unit_test(test_ignores_other_files_and_hidden_dirs),
        cmocka_unit_test(test_new_directory_is_watched),
        cmocka_unit_test(test_debounce_collects_a_burst),
        cmocka_unit_test(test_rename_and_delete_count),
        cmocka_unit_test(test_stop_ends_the_wait),
        cmocka_unit_test(test_missing_root_is_an_error),
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_plan),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
