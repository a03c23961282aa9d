// The golden image of a process's private writable memory and putting it
// back in place.
//
// capture(): registers every private writable mapping (minus the engine's
// arena, the running stack and the kernel's special mappings) with a
// userfaultfd in async write-protect mode, write-protects it and copies it
// into the arena.  restore(): puts the program break and the mapping layout
// back (new mappings unmapped, vanished ones re-created, protections reset),
// asks PAGEMAP_SCAN which pages were written, copies the golden pages over
// them and re-arms the protection - in that order (trap 1 of
// RESTORE_NOTES).  Nothing on the restore path allocates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "restore/arena.hpp"
#include "restore/linux_abi.hpp"
#include "restore/maps.hpp"
#include "restore/restore_error.hpp"

namespace tach::restore {

struct MemoryStats {
    std::uint64_t pages_copied = 0;     // written pages put back
    std::uint64_t ranges_unmapped = 0;  // mappings the test created
    std::uint64_t ranges_recreated = 0; // mappings the test removed / replaced
    std::uint64_t ranges_reprotected = 0;
    std::uint64_t ranges_reregistered = 0;  // re-mapped in place (trap 2)
};

class MemoryImage {
public:
    // Opens the image's fds (userfaultfd, pagemap, maps), checks the
    // kernel's features and allocates its tables in `arena`, where
    // everything the image keeps lives.  Separate from capture() so the
    // fd table can be saved in between with these fds known.
    bool prepare(Arena &arena, RestoreError *err);
    // Takes the golden image.  `stack_addr` is an address on the running
    // stack (its mapping is never tracked).
    bool capture(std::uintptr_t stack_addr, RestoreError *err);
    bool restore(std::uintptr_t stack_addr, MemoryStats *stats, RestoreError *err);
    // Compares every tracked byte with the golden copy.  On a difference
    // returns false with *bad_addr set.
    bool verify(std::uint64_t *bad_addr, RestoreError *err) const;

    std::uint64_t tracked_bytes() const { return tracked_bytes_; }
    std::size_t tracked_ranges() const { return ntracked_; }
    // The fds the image owns (never closed by fd restore).
    int uffd() const { return uffd_; }
    int pagemap_fd() const { return pagemap_fd_; }
    int maps_fd() const { return maps_fd_; }

private:
    struct Expected {          // one mapping as it was at capture time
        MapEntry map;
        std::int32_t tracked;  // index into tracked_, or -1
    };
    struct Tracked {           // one private writable range and its copy
        std::uint64_t start;
        std::uint64_t end;
        unsigned char *golden;
        std::int32_t block;    // index into blocks_
    };
    struct Block {             // address-contiguous tracked ranges; their
        std::uint64_t start;   // golden copies are contiguous too, so one
        std::uint64_t end;     // scan covers them all
        unsigned char *golden;
    };

    long read_current_maps();
    bool is_excluded(const MapEntry &m, std::uintptr_t stack_addr) const;
    bool unmap_new_ranges(long ncur, std::uintptr_t stack_addr, MemoryStats *stats, RestoreError *err);
    bool repair_expected_ranges(long ncur, std::uintptr_t stack_addr, MemoryStats *stats, RestoreError *err);
    bool recreate(const Expected &e, std::uint64_t start, std::uint64_t end, RestoreError *err);
    bool copy_back_written(const Block &b, MemoryStats *stats, RestoreError *err);
    bool reregister_holes(const Block &b, MemoryStats *stats, RestoreError *err);
    const unsigned char *golden_at(std::uint64_t addr, const Block &b) const {
        return b.golden + (addr - b.start);
    }

    Arena *arena_ = nullptr;
    // Per-thread memory the kernel or the restore itself writes: the rseq
    // area (the kernel keeps the current CPU there, so it is never put
    // back nor compared) and errno (set to its golden value last).
    std::uint64_t rseq_start_ = 0, rseq_end_ = 0;
    int *errno_addr_ = nullptr;
    const int *golden_errno_ = nullptr;

    int uffd_ = -1;
    int pagemap_fd_ = -1;
    int maps_fd_ = -1;
    bool use_procmap_query_ = false;

    std::uint64_t arena_start_ = 0, arena_end_ = 0;
    std::uint64_t brk_ = 0;

    Expected *expected_ = nullptr;
    std::size_t nexpected_ = 0;
    MapEntry specials_[8] = {};
    std::size_t nspecials_ = 0;
    Tracked *tracked_ = nullptr;
    std::size_t ntracked_ = 0;
    Block *blocks_ = nullptr;
    std::size_t nblocks_ = 0;
    std::uint64_t tracked_bytes_ = 0;

    MapEntry *current_ = nullptr;  // scratch: the layout at restore time
    std::size_t current_cap_ = 0;
    linux_abi::PageRegion *regions_ = nullptr;
    std::size_t regions_cap_ = 0;
    char *text_ = nullptr;         // scratch for /proc/self/maps text
    std::size_t text_cap_ = 0;
};

}  // namespace tach::restore
