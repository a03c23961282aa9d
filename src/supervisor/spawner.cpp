#include "supervisor/spawner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

extern char **environ;

namespace tach {
namespace {

int spawn_now(const SpawnRequest &req, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    if (int rc = posix_spawn_file_actions_init(&actions)) return rc;
    if (int rc = posix_spawnattr_init(&attr)) {
        posix_spawn_file_actions_destroy(&actions);
        return rc;
    }
    int rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    auto out_or_null = [&](int fd, int target) {
        if (rc) return;
        rc = fd >= 0 ? posix_spawn_file_actions_adddup2(&actions, fd, target)
                     : posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0);
    };
    out_or_null(req.stdout_fd, 1);
    out_or_null(req.stderr_fd, 2);
    // dup2 clears FD_CLOEXEC on the child's copy; the host's fds stay
    // close-on-exec so no other child of the host inherits them.
    int first_unused = 3;
    for (const auto &[from, to] : req.fds) {
        if (!rc) rc = posix_spawn_file_actions_adddup2(&actions, from, to);
        first_unused = std::max(first_unused, to + 1);
    }
    // Whatever else is open in the host without FD_CLOEXEC (descriptors the
    // host process inherited, or opened by code outside tach) stays out of
    // the child: it gets exactly stdin/stdout/stderr and req.fds.
    if (!rc) rc = posix_spawn_file_actions_addclosefrom_np(&actions, first_unused);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (!rc) rc = posix_spawnattr_setsigmask(&attr, &none);
    if (!rc) rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (!rc && req.new_process_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        rc = posix_spawnattr_setpgroup(&attr, 0);
    }
    if (!rc) rc = posix_spawnattr_setflags(&attr, flags);
    if (!rc) {
        std::vector<char *> argv;
        for (const auto &a : req.argv) argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        std::vector<char *> envp;
        for (const auto &e : req.extra_env) envp.push_back(const_cast<char *>(e.c_str()));
        for (char **e = environ; e && *e; ++e) envp.push_back(*e);
        envp.push_back(nullptr);
        rc = posix_spawn(pid, req.path.c_str(), &actions, &attr, argv.data(), envp.data());
    }
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

class SpawnerThread {
public:
    SpawnerThread() : thread_([this] { loop(); }) { thread_.detach(); }

    int spawn(const SpawnRequest &req, pid_t *pid) {
        std::mutex done_mutex;
        std::condition_variable done_cv;
        bool done = false;
        int rc = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.push_back([&] {
                int r = spawn_now(req, pid);
                std::lock_guard<std::mutex> l(done_mutex);
                rc = r;
                done = true;
                done_cv.notify_one();
            });
        }
        cv_.notify_one();
        std::unique_lock<std::mutex> lock(done_mutex);
        done_cv.wait(lock, [&] { return done; });
        return rc;
    }

private:
    void loop() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return !queue_.empty(); });
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            job();
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    std::thread thread_;
};

}  // namespace

int spawn_process(const SpawnRequest &request, pid_t *pid) {
    // Immortal on purpose: its thread must outlive static destruction (the
    // library is linked -z nodelete, so it is never unloaded either).
    static SpawnerThread *const spawner = std::make_unique<SpawnerThread>().release();
    return spawner->spawn(request, pid);
}

}  // namespace tach
