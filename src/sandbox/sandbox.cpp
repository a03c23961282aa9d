#include "sandbox/sandbox.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/unique_fd.hpp"

namespace tach::sandbox {
namespace {

// <linux/mount.h> of older systems lacks these (Linux 5.12).
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
constexpr std::uint64_t kMountAttrRdonly = 0x00000001;

struct MountAttr {
    std::uint64_t attr_set;
    std::uint64_t attr_clr;
    std::uint64_t propagation;
    std::uint64_t userns_fd;
};

std::string errno_text(const std::string &what) { return what + ": " + std::strerror(errno); }

bool write_file(const char *path, const std::string &text) {
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    if (!fd) return false;
    return ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

bool is_directory(const std::string &path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int set_readonly(const char *path, bool readonly) {
    MountAttr attr{};
    (readonly ? attr.attr_set : attr.attr_clr) = kMountAttrRdonly;
    return static_cast<int>(::syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr));
}

std::string bring_up_loopback() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) return errno_text("socket (to configure lo)");
    ifreq req{};
    std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0) return errno_text("SIOCGIFFLAGS lo");
    req.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &req) != 0) return errno_text("SIOCSIFFLAGS lo up");
    return "";
}

}  // namespace

std::vector<std::string> default_writable_dirs() {
    std::vector<std::string> dirs;
    const char *tmpdir = std::getenv("TMPDIR");
    dirs.push_back(tmpdir && *tmpdir == '/' ? tmpdir : "/tmp");
    if (const char *test_tmpdir = std::getenv("TEST_TMPDIR"); test_tmpdir && *test_tmpdir == '/')
        dirs.push_back(test_tmpdir);
    return dirs;
}

std::string enter(const std::vector<std::string> &writable) {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0)
        return errno_text("unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWNET)");
    // The same ids inside as outside: files keep their owners.
    if (!write_file("/proc/self/setgroups", "deny")) return errno_text("writing /proc/self/setgroups");
    if (!write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1\n"))
        return errno_text("writing /proc/self/uid_map");
    if (!write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1\n"))
        return errno_text("writing /proc/self/gid_map");

    if (std::string error = bring_up_loopback(); !error.empty()) return error;

    // Nothing done here propagates back to the host's mount namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return errno_text("making / private");
    // Each writable directory becomes a mount of its own (a bind onto
    // itself), so that it can be made writable again below.
    std::vector<std::string> kept;
    for (const std::string &dir : writable) {
        if (!is_directory(dir)) continue;
        if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            return errno_text("bind-mounting " + dir);
        kept.push_back(dir);
    }
    if (set_readonly("/", true) != 0) return errno_text("mount_setattr(/, read-only, recursive)");
    // Device nodes, /dev/shm (POSIX semaphores) and /proc stay as they were.
    for (const char *dir : {"/dev", "/proc"})
        if (is_directory(dir) && set_readonly(dir, false) != 0 && errno != EINVAL)
            return errno_text(std::string("mount_setattr(") + dir + ", writable)");
    for (const std::string &dir : kept)
        if (set_readonly(dir.c_str(), false) != 0) return errno_text("mount_setattr(" + dir + ", writable)");
    return "";
}

}  // namespace tach::sandbox
