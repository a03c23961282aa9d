#include "file_watcher.hpp"

#include <fnmatch.h>

#include <dirent.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace tach_cli::watch {
namespace {

constexpr std::uint32_t kDirMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
                                   IN_ONLYDIR | IN_EXCL_UNLINK;

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string base_name(const std::string &path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_directory(const std::string &path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

// `path` is `dir` or inside it.
bool within(const std::string &path, const std::string &dir) {
    if (path == dir) return true;
    std::string prefix = dir;
    if (prefix.empty() || prefix.back() != '/') prefix += '/';
    return path.rfind(prefix, 0) == 0;
}

}  // namespace

InotifyFd &InotifyFd::operator=(InotifyFd &&other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

InotifyFd::~InotifyFd() {
    if (fd_ >= 0) ::close(fd_);
}

bool is_config_file(const std::string &path) {
    const std::string name = base_name(path);
    return name == "pytest.ini" || name == "pyproject.toml" || name == "setup.cfg" || name == "tox.ini";
}

bool relevant_file(const std::string &path) {
    const std::string name = base_name(path);
    if (name.empty() || name[0] == '.') return false;  // editor swap and lock files
    return ends_with(name, ".py") || is_config_file(path);
}

bool is_test_file(const std::string &path, const std::vector<std::string> &python_files) {
    static const std::vector<std::string> pytest_default = {"test_*.py", "*_test.py"};
    const std::string name = base_name(path);
    if (!ends_with(name, ".py")) return false;
    // As pytest matches them: a pattern without '/' against the name, one
    // with '/' against the path (a relative one anywhere in it).
    for (const std::string &pattern : python_files.empty() ? pytest_default : python_files) {
        if (pattern.find('/') == std::string::npos) {
            if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
        } else {
            const std::string anchored = pattern[0] == '/' ? pattern : "*/" + pattern;
            if (fnmatch(anchored.c_str(), path.c_str(), 0) == 0) return true;
        }
    }
    return false;
}

bool skipped_directory(const std::string &dir_path) {
    const std::string name = base_name(dir_path);
    if (name.empty()) return false;
    if (name[0] == '.' || name == "__pycache__" || ends_with(name, ".egg-info") || name == "node_modules")
        return true;
    return exists(dir_path + "/pyvenv.cfg");
}

std::optional<FileWatcher> FileWatcher::open(const std::vector<std::string> &roots, std::string *error) {
    InotifyFd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd) {
        *error = std::string("inotify_init1: ") + std::strerror(errno);
        return std::nullopt;
    }
    FileWatcher watcher(std::move(fd));
    for (const std::string &root : roots) {
        if (!is_directory(root)) {
            *error = root + " is not a directory";
            return std::nullopt;
        }
        const std::size_t before = watcher.dirs_.size();
        watcher.add_tree(root);
        if (watcher.dirs_.size() == before) {
            *error = "cannot watch " + root + ": " + std::strerror(errno) +
                     (errno == ENOSPC ? " (fs.inotify.max_user_watches)" : "");
            return std::nullopt;
        }
    }
    return watcher;
}

void FileWatcher::add_tree(const std::string &root) {
    std::vector<std::string> stack{root};
    while (!stack.empty()) {
        std::string dir = std::move(stack.back());
        stack.pop_back();
        const int wd = inotify_add_watch(fd_.get(), dir.c_str(), kDirMask);
        if (wd < 0) continue;  // vanished, unreadable or out of watches: skip that subtree
        auto known = std::find_if(dirs_.begin(), dirs_.end(), [wd](const auto &d) { return d.first == wd; });
        if (known != dirs_.end()) known->second = dir;
        else dirs_.emplace_back(wd, dir);
        DIR *d = opendir(dir.c_str());
        if (!d) continue;
        while (dirent *entry = readdir(d)) {
            const std::string name = entry->d_name;
            if (name == "." || name == "..") continue;
            const std::string child = dir + "/" + name;
            if ((entry->d_type == DT_DIR || (entry->d_type == DT_UNKNOWN && is_directory(child))) &&
                !skipped_directory(child))
                stack.push_back(child);
        }
        closedir(d);
    }
}

bool FileWatcher::read_events(std::set<std::string> *changed) {
    alignas(inotify_event) char buf[16384];
    bool any = false;
    for (;;) {
        const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return any;
        }
        for (char *p = buf; p < buf + n;) {
            const auto *ev = reinterpret_cast<const inotify_event *>(p);
            p += sizeof(inotify_event) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                // Events were lost: assume a configuration change (full re-run).
                changed->insert("(inotify queue overflow)/conftest.py");
                any = true;
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                dirs_.erase(std::remove_if(dirs_.begin(), dirs_.end(),
                                           [ev](const auto &d) { return d.first == ev->wd; }),
                            dirs_.end());
                continue;
            }
            if (ev->len == 0) continue;
            auto dir = std::find_if(dirs_.begin(), dirs_.end(), [ev](const auto &d) { return d.first == ev->wd; });
            if (dir == dirs_.end()) continue;
            const std::string path = dir->second + "/" + ev->name;
            if (ev->mask & IN_ISDIR) {
                // A new (or moved-in) directory: watch it and report the
                // Python files already in it (written before the watch).
                if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && !skipped_directory(path)) {
                    const std::size_t before = dirs_.size();
                    add_tree(path);
                    for (std::size_t i = before; i < dirs_.size(); ++i) {
                        if (DIR *d = opendir(dirs_[i].second.c_str())) {
                            while (dirent *entry = readdir(d)) {
                                const std::string file = dirs_[i].second + "/" + entry->d_name;
                                if (relevant_file(file) && !is_directory(file)) {
                                    changed->insert(file);
                                    any = true;
                                }
                            }
                            closedir(d);
                        }
                    }
                }
                continue;
            }
            // A file created empty is reported when it is closed.
            if (ev->mask == IN_CREATE) continue;
            if (relevant_file(path)) {
                changed->insert(path);
                any = true;
            }
        }
    }
}

void FileWatcher::discard_pending() {
    std::set<std::string> ignored;
    read_events(&ignored);
}

std::set<std::string> FileWatcher::wait(double quiet_seconds, double give_up_seconds,
                                        const std::function<bool()> &stop) {
    std::set<std::string> changed;
    const double give_up = give_up_seconds < 0 ? -1 : now_seconds() + give_up_seconds;
    double quiet_until = -1;  // set once something changed
    for (;;) {
        if (stop && stop()) return {};
        const double now = now_seconds();
        if (quiet_until >= 0 && now >= quiet_until) return changed;
        if (quiet_until < 0 && give_up >= 0 && now >= give_up) return {};
        double until = now + 0.1;
        if (quiet_until >= 0) until = std::min(until, quiet_until);
        if (quiet_until < 0 && give_up >= 0) until = std::min(until, give_up);
        pollfd pfd{fd_.get(), POLLIN, 0};
        const int timeout_ms = std::max(1, static_cast<int>((until - now) * 1000.0));
        const int r = ::poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno != EINTR) return {};
        if (r > 0 && read_events(&changed)) quiet_until = now_seconds() + quiet_seconds;
    }
}

RerunPlan plan_rerun(const std::set<std::string> &changed, const std::vector<std::string> &selected_paths,
                     const std::vector<std::string> &python_files) {
    RerunPlan plan;
    for (const std::string &path : changed) plan.configuration = plan.configuration || is_config_file(path);
    if (plan.configuration) return plan;
    for (const std::string &path : changed) {
        if (!is_test_file(path, python_files) || !exists(path)) return plan;  // everything
    }
    plan.everything = false;
    for (const std::string &path : changed) {
        bool selected = selected_paths.empty();
        for (const std::string &sel : selected_paths) selected = selected || within(path, sel);
        if (selected) plan.test_files.push_back(path);
    }
    return plan;
}

}  // namespace tach_cli::watch
