#include "restore/uffd.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "restore/linux_abi.hpp"

namespace tach::restore {

int open_wp_async_uffd(UffdFeatures *features) {
    *features = UffdFeatures{};
    int fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY));
    if (fd < 0) {
        features->error = errno;
        return -1;
    }
    features->available = true;
    // First ask what the kernel offers (features = 0), then a fresh fd
    // enables what we use: UFFDIO_API may be called once per fd.
    uffdio_api api{};
    api.api = UFFD_API;
    if (ioctl(fd, UFFDIO_API, &api) != 0) {
        features->error = errno;
        close(fd);
        return -1;
    }
    close(fd);
    features->wp_async = (api.features & UFFD_FEATURE_WP_ASYNC) != 0;
    features->wp_unpopulated = (api.features & UFFD_FEATURE_WP_UNPOPULATED) != 0;
    if (!features->wp_async) {
        features->error = ENOTSUP;
        return -1;
    }
    fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY));
    if (fd < 0) {
        features->error = errno;
        return -1;
    }
    api = uffdio_api{};
    api.api = UFFD_API;
    api.features = UFFD_FEATURE_WP_ASYNC | (features->wp_unpopulated ? UFFD_FEATURE_WP_UNPOPULATED : 0);
    if (ioctl(fd, UFFDIO_API, &api) != 0) {
        features->error = errno;
        close(fd);
        return -1;
    }
    return fd;
}

UffdFeatures probe_uffd() {
    UffdFeatures f;
    int fd = open_wp_async_uffd(&f);
    if (fd >= 0) close(fd);
    return f;
}

int uffd_register_wp(int uffd, std::uint64_t start, std::uint64_t end) {
    uffdio_register reg{};
    reg.range.start = start;
    reg.range.len = end - start;
    reg.mode = UFFDIO_REGISTER_MODE_WP;
    if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) return errno;
    return 0;
}

}  // namespace tach::restore
