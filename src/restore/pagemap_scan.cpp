#include "restore/pagemap_scan.hpp"

#include <sys/ioctl.h>

#include <cerrno>

namespace tach::restore {
namespace {

long scan(int fd, linux_abi::PmScanArg *arg) {
    for (;;) {
        long n = ioctl(fd, linux_abi::kPagemapScan, arg);
        if (n >= 0 || errno != EINTR) return n;
    }
}

}  // namespace

long scan_written(int pagemap_fd, std::uint64_t start, std::uint64_t end, linux_abi::PageRegion *vec,
                  std::size_t vec_len, std::uint64_t *walk_end) {
    linux_abi::PmScanArg arg{};
    arg.size = sizeof arg;
    arg.flags = linux_abi::kScanCheckWpAsync;
    arg.start = start;
    arg.end = end;
    arg.vec = reinterpret_cast<std::uint64_t>(vec);
    arg.vec_len = vec_len;
    arg.category_mask = linux_abi::kPageIsWritten;
    arg.return_mask = linux_abi::kPageIsWritten;
    long n = scan(pagemap_fd, &arg);
    *walk_end = arg.walk_end;
    return n;
}

long scan_unregistered(int pagemap_fd, std::uint64_t start, std::uint64_t end, linux_abi::PageRegion *vec,
                       std::size_t vec_len, std::uint64_t *walk_end) {
    linux_abi::PmScanArg arg{};
    arg.size = sizeof arg;
    arg.start = start;
    arg.end = end;
    arg.vec = reinterpret_cast<std::uint64_t>(vec);
    arg.vec_len = vec_len;
    arg.category_inverted = linux_abi::kPageIsWpAllowed;
    arg.category_mask = linux_abi::kPageIsWpAllowed;
    arg.return_mask = linux_abi::kPageIsWpAllowed;
    long n = scan(pagemap_fd, &arg);
    *walk_end = arg.walk_end;
    return n;
}

int rearm_write_protect(int pagemap_fd, std::uint64_t start, std::uint64_t end) {
    linux_abi::PmScanArg arg{};
    arg.size = sizeof arg;
    arg.flags = linux_abi::kScanWpMatching | linux_abi::kScanCheckWpAsync;
    arg.start = start;
    arg.end = end;
    arg.category_mask = linux_abi::kPageIsWritten;
    arg.return_mask = linux_abi::kPageIsWritten;
    return scan(pagemap_fd, &arg) < 0 ? errno : 0;
}

bool pagemap_scan_available(int pagemap_fd) {
    linux_abi::PageRegion region{};
    linux_abi::PmScanArg arg{};
    arg.size = sizeof arg;
    arg.start = 0;
    arg.end = 0;  // empty range: the kernel validates the call, walks nothing
    arg.vec = reinterpret_cast<std::uint64_t>(&region);
    arg.vec_len = 1;
    arg.category_mask = linux_abi::kPageIsWritten;
    arg.return_mask = linux_abi::kPageIsWritten;
    return scan(pagemap_fd, &arg) >= 0;
}

}  // namespace tach::restore
