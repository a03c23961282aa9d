// Watching a project tree for changes to the files a pytest run depends on,
// with inotify directly (no dependency).  Low-level and engine-free, so it
// is unit-tested on its own (tests/unit/test_file_watcher.cpp).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>


namespace tach_cli::watch {

// A file whose change can change a pytest run: Python source and pytest's
// configuration files.  `path` may be absolute or a bare name.
bool relevant_file(const std::string &path);
// pytest's configuration files (pytest.ini, pyproject.toml, setup.cfg,
// tox.ini).
bool is_config_file(const std::string &path);
// A test module by pytest's python_files patterns (empty: pytest's
// default, test_*.py *_test.py); `path` is absolute.
bool is_test_file(const std::string &path, const std::vector<std::string> &python_files = {});
// Directories never watched: hidden ones (.git, .pytest_cache, .venv),
// __pycache__, *.egg-info, and virtualenvs (their pyvenv.cfg).
bool skipped_directory(const std::string &dir_path);

// The inotify descriptor (the CLI uses libtach's public API only, so it
// has its own small owner).
class InotifyFd {
public:
    explicit InotifyFd(int fd = -1) noexcept : fd_(fd) {}
    InotifyFd(InotifyFd &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    InotifyFd &operator=(InotifyFd &&other) noexcept;
    InotifyFd(const InotifyFd &) = delete;
    InotifyFd &operator=(const InotifyFd &) = delete;
    ~InotifyFd();
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_;
};

class FileWatcher {
public:
    // Watches every directory under each root (recursively; directories
    // created later are added as they appear).  nullopt and *error set when
    // inotify is unavailable or a root cannot be watched.
    static std::optional<FileWatcher> open(const std::vector<std::string> &roots, std::string *error);

    FileWatcher(FileWatcher &&) noexcept = default;
    FileWatcher &operator=(FileWatcher &&) noexcept = default;

    // Waits for changes to relevant files, then until none came for
    // `quiet_seconds` (editors write a file in several steps).  Returns the
    // changed paths (absolute, sorted; a deleted file is listed too), or an
    // empty set when `give_up_seconds` (< 0: never) passed without a change
    // or `stop()` returned true (checked when a signal interrupts the wait,
    // and every 100 ms).
    std::set<std::string> wait(double quiet_seconds, double give_up_seconds,
                               const std::function<bool()> &stop);

    // Forgets what has happened so far (e.g. what a run itself wrote).
    void discard_pending();

    std::size_t watched_directories() const { return dirs_.size(); }

private:
    explicit FileWatcher(InotifyFd fd) : fd_(std::move(fd)) {}
    void add_tree(const std::string &root);
    // Reads what is available; true when a relevant change was seen.
    bool read_events(std::set<std::string> *changed);

    InotifyFd fd_;
    std::vector<std::pair<int, std::string>> dirs_;  // watch descriptor -> directory
};

// What to re-run after `changed`.  When every changed file is an existing
// test module, the run is narrowed to those files (only the ones inside
// the original selection `selected_paths`, absolute; empty = everything);
// otherwise (a conftest, an ini file, a non-test module, a deleted file)
// everything is run again.
struct RerunPlan {
    bool everything = true;
    // A configuration file changed: pytest must start anew (a new worker),
    // not only collect again.  Implies everything.
    bool configuration = false;
    std::vector<std::string> test_files;  // absolute; when !everything
};
RerunPlan plan_rerun(const std::set<std::string> &changed, const std::vector<std::string> &selected_paths,
                     const std::vector<std::string> &python_files = {});

}  // namespace tach_cli::watch
