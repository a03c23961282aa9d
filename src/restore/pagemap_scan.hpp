// PAGEMAP_SCAN (Linux 6.7+) on /proc/self/pagemap: which pages of a
// write-protect-tracked range were written, and re-arming the protection.
#pragma once

#include <cstddef>
#include <cstdint>

#include "restore/linux_abi.hpp"

namespace tach::restore {

// Scan result: the number of regions filled, or -1 with errno (EPERM with
// CHECK_WPASYNC: part of the range is not registered any more).
// *walk_end is where the walk stopped (== end when it finished).
long scan_written(int pagemap_fd, std::uint64_t start, std::uint64_t end, linux_abi::PageRegion *vec,
                  std::size_t vec_len, std::uint64_t *walk_end);

// Regions of [start, end) whose VMA is not registered for write-protect
// (a range unmapped and mapped again by the test looks identical otherwise).
long scan_unregistered(int pagemap_fd, std::uint64_t start, std::uint64_t end, linux_abi::PageRegion *vec,
                       std::size_t vec_len, std::uint64_t *walk_end);

// Write-protects every written page in [start, end).  0 or errno.
int rearm_write_protect(int pagemap_fd, std::uint64_t start, std::uint64_t end);

// Whether the ioctl exists here (probes an empty range of this process).
bool pagemap_scan_available(int pagemap_fd);

}  // namespace tach::restore
