// A userfaultfd in asynchronous write-protect mode: the kernel resolves
// write faults itself and only records that the page was written, which
// PAGEMAP_SCAN then reports.  Created with UFFD_USER_MODE_ONLY so that it
// works without privilege.
#pragma once

#include <cstdint>

namespace tach::restore {

struct UffdFeatures {
    bool available = false;      // the syscall works for this user
    bool wp_async = false;
    bool wp_unpopulated = false;
    int error = 0;               // errno of the first failing step
};

// Opens a userfaultfd with WP_ASYNC (and WP_UNPOPULATED when offered).
// Returns the fd or -1; *features says what the kernel offered.
int open_wp_async_uffd(UffdFeatures *features);

// Probes without keeping anything open.
UffdFeatures probe_uffd();

// Registers [start, end) for write-protect tracking.  0 or errno.
int uffd_register_wp(int uffd, std::uint64_t start, std::uint64_t end);

}  // namespace tach::restore
