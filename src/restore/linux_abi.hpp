// Kernel interfaces newer than the installed headers (Debian 12 ships 6.1
// headers; PAGEMAP_SCAN needs 6.7, PROCMAP_QUERY 6.11, WP_ASYNC 6.7).
// Values are the kernel's UAPI; each is defined only if the headers lack it.
#pragma once

#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

#include <cstdint>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

namespace tach::linux_abi {

// --- PAGEMAP_SCAN (include/uapi/linux/fs.h, 6.7) ---------------------------
inline constexpr std::uint64_t kPageIsWpAllowed = 1 << 0;
inline constexpr std::uint64_t kPageIsWritten = 1 << 1;
inline constexpr std::uint64_t kPageIsFile = 1 << 2;
inline constexpr std::uint64_t kPageIsPresent = 1 << 3;

inline constexpr std::uint64_t kScanWpMatching = 1 << 0;   // PM_SCAN_WP_MATCHING
inline constexpr std::uint64_t kScanCheckWpAsync = 1 << 1; // PM_SCAN_CHECK_WPASYNC

struct PageRegion {
    std::uint64_t start;
    std::uint64_t end;
    std::uint64_t categories;
};

struct PmScanArg {
    std::uint64_t size;
    std::uint64_t flags;
    std::uint64_t start;
    std::uint64_t end;
    std::uint64_t walk_end;
    std::uint64_t vec;
    std::uint64_t vec_len;
    std::uint64_t max_pages;
    std::uint64_t category_inverted;
    std::uint64_t category_mask;
    std::uint64_t category_anyof_mask;
    std::uint64_t return_mask;
};

inline constexpr unsigned long kPagemapScan = _IOWR('f', 16, PmScanArg);

// --- PROCMAP_QUERY (include/uapi/linux/fs.h, 6.11) -------------------------
inline constexpr std::uint64_t kQueryVmaReadable = 0x01;
inline constexpr std::uint64_t kQueryVmaWritable = 0x02;
inline constexpr std::uint64_t kQueryVmaExecutable = 0x04;
inline constexpr std::uint64_t kQueryVmaShared = 0x08;
inline constexpr std::uint64_t kQueryCoveringOrNextVma = 0x10;
inline constexpr std::uint64_t kQueryFileBackedVma = 0x20;

struct ProcmapQuery {
    std::uint64_t size;
    std::uint64_t query_flags;
    std::uint64_t query_addr;
    std::uint64_t vma_start;
    std::uint64_t vma_end;
    std::uint64_t vma_flags;
    std::uint64_t vma_page_size;
    std::uint64_t vma_offset;
    std::uint64_t inode;
    std::uint32_t dev_major;
    std::uint32_t dev_minor;
    std::uint32_t vma_name_size;
    std::uint32_t build_id_size;
    std::uint64_t vma_name_addr;
    std::uint64_t build_id_addr;
};

inline constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);

// --- kcmp (include/uapi/linux/kcmp.h) ----------------------------------------
inline constexpr int kKcmpFile = 0;

}  // namespace tach::linux_abi
