#include "restore/memory_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/rseq.h>

#include "restore/pagemap_scan.hpp"
#include "restore/uffd.hpp"

namespace tach::restore {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::size_t kMaxMappings = 1 << 16;
constexpr std::size_t kMaxRegions = 1 << 14;
constexpr std::size_t kMapsTextBytes = 16u << 20;

std::uint64_t current_brk() { return static_cast<std::uint64_t>(syscall(SYS_brk, 0)); }

bool contains(const MapEntry &m, std::uint64_t addr) { return m.start <= addr && addr < m.end; }

}  // namespace

long MemoryImage::read_current_maps() {
    if (use_procmap_query_) return query_maps(maps_fd_, current_, current_cap_);
    return read_maps_text(maps_fd_, text_, text_cap_, current_, current_cap_);
}

bool MemoryImage::is_excluded(const MapEntry &m, std::uintptr_t stack_addr) const {
    if (m.kind == MapKind::Special || contains(m, stack_addr)) return true;
    if (m.start >= arena_start_ && m.end <= arena_end_) return true;
    for (std::size_t i = 0; i < nspecials_; ++i)
        if (m.start < specials_[i].end && specials_[i].start < m.end) return true;
    return false;
}

bool MemoryImage::prepare(Arena &arena, RestoreError *err) {
    arena_ = &arena;
    arena_start_ = arena.begin();
    arena_end_ = arena.end();
    maps_fd_ = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    pagemap_fd_ = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (maps_fd_ < 0 || pagemap_fd_ < 0) return fail(err, "cannot open /proc/self/maps or pagemap", errno);
    UffdFeatures features;
    uffd_ = open_wp_async_uffd(&features);
    if (uffd_ < 0) {
        if (!features.available) return fail(err, "userfaultfd is not available to this user", features.error);
        if (!features.wp_async) return fail(err, "the kernel lacks UFFD_FEATURE_WP_ASYNC (Linux 6.7+)");
        return fail(err, "cannot set up userfaultfd", features.error);
    }
    if (!features.wp_unpopulated)
        return fail(err, "the kernel lacks UFFD_FEATURE_WP_UNPOPULATED (Linux 6.7+)");
    if (!pagemap_scan_available(pagemap_fd_)) return fail(err, "the kernel lacks PAGEMAP_SCAN (Linux 6.7+)", errno);
    use_procmap_query_ = procmap_query_available(maps_fd_);

    // All scratch space first: arena pages never change the mapping layout.
    current_cap_ = kMaxMappings;
    current_ = arena.allocate_array<MapEntry>(current_cap_);
    expected_ = arena.allocate_array<Expected>(kMaxMappings);
    tracked_ = arena.allocate_array<Tracked>(kMaxMappings);
    blocks_ = arena.allocate_array<Block>(kMaxMappings);
    regions_cap_ = kMaxRegions;
    regions_ = arena.allocate_array<linux_abi::PageRegion>(regions_cap_);
    text_cap_ = kMapsTextBytes;
    text_ = static_cast<char *>(arena.allocate(text_cap_, kPage));
    if (!current_ || !expected_ || !tracked_ || !blocks_ || !regions_ || !text_)
        return fail(err, "the engine arena is too small for the mapping tables");
    return true;
}

bool MemoryImage::capture(std::uintptr_t stack_addr, RestoreError *err) {
    if (!arena_) return fail(err, "capture() before prepare()");
    Arena &arena = *arena_;

    // The text form names the special mappings; read it once here.
    long n = read_maps_text(maps_fd_, text_, text_cap_, current_, current_cap_);
    if (n < 0) return fail(err, "cannot read /proc/self/maps", errno);

    for (long i = 0; i < n; ++i) {
        MapEntry m = current_[i];
        if (m.kind == MapKind::Special) {
            if (nspecials_ < sizeof specials_ / sizeof specials_[0]) specials_[nspecials_++] = m;
            continue;
        }
        if (contains(m, stack_addr)) continue;
        // The arena may have merged with a neighbouring anonymous mapping:
        // take it out by address, not by entry (trap 5).
        MapEntry pieces[2];
        int npieces = 0;
        if (m.end <= arena_start_ || m.start >= arena_end_) {
            pieces[npieces++] = m;
        } else {
            if (m.start < arena_start_) {
                pieces[npieces] = m;
                pieces[npieces++].end = arena_start_;
            }
            if (m.end > arena_end_) {
                pieces[npieces] = m;
                if (m.kind == MapKind::File) pieces[npieces].offset += arena_end_ - m.start;
                pieces[npieces++].start = arena_end_;
            }
        }
        for (int k = 0; k < npieces; ++k) {
            const MapEntry &p = pieces[k];
            bool writable_private = (p.prot & PROT_WRITE) && !p.shared;
            if (writable_private && !(p.prot & PROT_READ))
                return fail(err, "a private mapping is writable but not readable; it cannot be tracked");
            Expected &e = expected_[nexpected_++];
            e.map = p;
            e.tracked = -1;
            if (!writable_private) continue;
            std::uint64_t len = p.end - p.start;
            auto *golden = static_cast<unsigned char *>(arena.allocate(len, kPage));
            if (!golden) return fail(err, "the engine arena is too small for the golden copy");
            Tracked &t = tracked_[ntracked_];
            t.start = p.start;
            t.end = p.end;
            t.golden = golden;
            // Address-adjacent ranges whose copies are adjacent too form one
            // block: one scan instead of one per range.
            Block *last = nblocks_ ? &blocks_[nblocks_ - 1] : nullptr;
            if (last && last->end == p.start && last->golden + (last->end - last->start) == golden) {
                last->end = p.end;
            } else {
                blocks_[nblocks_++] = Block{p.start, p.end, golden};
            }
            t.block = static_cast<std::int32_t>(nblocks_ - 1);
            e.tracked = static_cast<std::int32_t>(ntracked_++);
            tracked_bytes_ += len;
        }
    }

    for (std::size_t i = 0; i < ntracked_; ++i) {
        if (int rc = uffd_register_wp(uffd_, tracked_[i].start, tracked_[i].end))
            return fail(err, "cannot register a private writable mapping with userfaultfd", rc);
    }
    for (std::size_t i = 0; i < ntracked_; ++i)
        std::memcpy(tracked_[i].golden, reinterpret_cast<const void *>(tracked_[i].start),
                    tracked_[i].end - tracked_[i].start);
    for (std::size_t i = 0; i < nblocks_; ++i) {
        if (int rc = rearm_write_protect(pagemap_fd_, blocks_[i].start, blocks_[i].end))
            return fail(err, "cannot write-protect tracked memory (PAGEMAP_SCAN)", rc);
    }
    brk_ = current_brk();

    if (__rseq_size > 0) {
        rseq_start_ = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(__builtin_thread_pointer()) +
                                                 static_cast<std::uintptr_t>(__rseq_offset));
        rseq_end_ = rseq_start_ + __rseq_size;
    }
    errno_addr_ = &errno;
    for (std::size_t i = 0; i < ntracked_; ++i) {
        auto a = reinterpret_cast<std::uint64_t>(errno_addr_);
        if (tracked_[i].start <= a && a + sizeof(int) <= tracked_[i].end)
            golden_errno_ = reinterpret_cast<const int *>(tracked_[i].golden + (a - tracked_[i].start));
    }
    return true;
}

bool MemoryImage::unmap_new_ranges(long ncur, std::uintptr_t stack_addr, MemoryStats *stats, RestoreError *err) {
    std::size_t j = 0;
    for (long i = 0; i < ncur; ++i) {
        const MapEntry &c = current_[i];
        if (is_excluded(c, stack_addr)) continue;
        std::uint64_t piece_start[2], piece_end[2];
        int npieces = 0;
        if (c.end <= arena_start_ || c.start >= arena_end_) {
            piece_start[npieces] = c.start;
            piece_end[npieces++] = c.end;
        } else {
            if (c.start < arena_start_) {
                piece_start[npieces] = c.start;
                piece_end[npieces++] = arena_start_;
            }
            if (c.end > arena_end_) {
                piece_start[npieces] = arena_end_;
                piece_end[npieces++] = c.end;
            }
        }
        for (int k = 0; k < npieces; ++k) {
            std::uint64_t pos = piece_start[k];
            const std::uint64_t end = piece_end[k];
            while (pos < end) {
                while (j < nexpected_ && expected_[j].map.end <= pos) ++j;
                if (j < nexpected_ && expected_[j].map.start <= pos) {
                    pos = std::min(end, expected_[j].map.end);
                    continue;
                }
                std::uint64_t next = j < nexpected_ ? std::min(end, expected_[j].map.start) : end;
                if (munmap(reinterpret_cast<void *>(pos), next - pos) != 0)
                    return fail(err, "cannot unmap memory the test mapped", errno);
                ++stats->ranges_unmapped;
                pos = next;
            }
        }
    }
    return true;
}

bool MemoryImage::recreate(const Expected &e, std::uint64_t start, std::uint64_t end, RestoreError *err) {
    void *addr = reinterpret_cast<void *>(start);
    std::size_t len = end - start;
    if (e.tracked >= 0 && e.map.kind == MapKind::Anonymous) {
        if (mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
            return fail(err, "cannot re-create memory the test unmapped", errno);
        if (int rc = uffd_register_wp(uffd_, start, end))
            return fail(err, "cannot register re-created memory with userfaultfd", rc);
        const Tracked &t = tracked_[e.tracked];
        std::memcpy(addr, t.golden + (start - t.start), len);
        if (e.map.prot != (PROT_READ | PROT_WRITE) && mprotect(addr, len, e.map.prot) != 0)
            return fail(err, "cannot protect re-created memory", errno);
        return true;
    }
    if (e.tracked < 0 && e.map.kind == MapKind::Anonymous && e.map.prot == PROT_NONE) {
        // A guard region: no content, only the reservation.
        if (mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) ==
            MAP_FAILED)
            return fail(err, "cannot re-create a guard region the test unmapped", errno);
        return true;
    }
    return fail(err, "the test removed or replaced a file-backed or read-only mapping");
}

bool MemoryImage::repair_expected_ranges(long ncur, std::uintptr_t stack_addr, MemoryStats *stats,
                                         RestoreError *err) {
    long i = 0;
    for (std::size_t k = 0; k < nexpected_; ++k) {
        const Expected &e = expected_[k];
        std::uint64_t pos = e.map.start;
        while (pos < e.map.end) {
            while (i < ncur && (current_[i].end <= pos || is_excluded(current_[i], stack_addr))) {
                if (current_[i].end > pos && is_excluded(current_[i], stack_addr) && current_[i].start <= pos)
                    return fail(err, "the running stack grew over a mapping of the snapshot");
                ++i;
            }
            if (i < ncur && current_[i].start <= pos) {
                const MapEntry &c = current_[i];
                std::uint64_t next = std::min(e.map.end, c.end);
                bool same_backing = c.shared == e.map.shared && c.inode == e.map.inode &&
                                    (e.map.inode == 0 || (c.dev_major == e.map.dev_major &&
                                                          c.dev_minor == e.map.dev_minor &&
                                                          c.offset + (pos - c.start) ==
                                                              e.map.offset + (pos - e.map.start)));
                if (!same_backing) {
                    if (munmap(reinterpret_cast<void *>(pos), next - pos) != 0)
                        return fail(err, "cannot unmap memory the test replaced", errno);
                    if (!recreate(e, pos, next, err)) return false;
                    ++stats->ranges_recreated;
                } else if (c.prot != e.map.prot) {
                    if (mprotect(reinterpret_cast<void *>(pos), next - pos, e.map.prot) != 0)
                        return fail(err, "cannot put back a mapping's protection", errno);
                    ++stats->ranges_reprotected;
                }
                pos = next;
            } else {
                std::uint64_t next = i < ncur ? std::min(e.map.end, current_[i].start) : e.map.end;
                if (!recreate(e, pos, next, err)) return false;
                ++stats->ranges_recreated;
                pos = next;
            }
        }
    }
    return true;
}

bool MemoryImage::reregister_holes(const Block &b, MemoryStats *stats, RestoreError *err) {
    std::uint64_t pos = b.start;
    while (pos < b.end) {
        std::uint64_t walk_end = b.end;
        long n = scan_unregistered(pagemap_fd_, pos, b.end, regions_, regions_cap_, &walk_end);
        if (n < 0) return fail(err, "PAGEMAP_SCAN for unregistered ranges failed", errno);
        for (long k = 0; k < n; ++k) {
            const auto &r = regions_[k];
            if (int rc = uffd_register_wp(uffd_, r.start, r.end))
                return fail(err, "cannot re-register memory the test mapped again in place", rc);
            std::memcpy(reinterpret_cast<void *>(r.start), golden_at(r.start, b), r.end - r.start);
            ++stats->ranges_reregistered;
        }
        if (walk_end <= pos) break;
        pos = walk_end;
    }
    return true;
}

bool MemoryImage::copy_back_written(const Block &b, MemoryStats *stats, RestoreError *err) {
    std::uint64_t pos = b.start;
    bool reregistered = false;
    while (pos < b.end) {
        std::uint64_t walk_end = b.end;
        long n = scan_written(pagemap_fd_, pos, b.end, regions_, regions_cap_, &walk_end);
        if (n < 0) {
            // EPERM: part of the block is mapped but no longer registered -
            // the test unmapped and mapped it again in place (trap 2).
            if (errno == EPERM && !reregistered) {
                if (!reregister_holes(b, stats, err)) return false;
                reregistered = true;
                continue;
            }
            return fail(err, "PAGEMAP_SCAN for written pages failed", errno);
        }
        for (long k = 0; k < n; ++k) {
            const auto &r = regions_[k];
            std::memcpy(reinterpret_cast<void *>(r.start), golden_at(r.start, b), r.end - r.start);
            stats->pages_copied += (r.end - r.start) / kPage;
        }
        if (walk_end <= pos) break;
        pos = walk_end;
    }
    return true;
}

bool MemoryImage::restore(std::uintptr_t stack_addr, MemoryStats *stats, RestoreError *err) {
    // The live rseq fields describe where this thread runs now; keep them.
    unsigned char rseq_live[64];
    std::size_t rseq_len = std::min<std::size_t>(rseq_end_ - rseq_start_, sizeof rseq_live);
    if (rseq_len) std::memcpy(rseq_live, reinterpret_cast<const void *>(rseq_start_), rseq_len);
    if (current_brk() != brk_ && static_cast<std::uint64_t>(syscall(SYS_brk, brk_)) != brk_)
        return fail(err, "cannot put the program break back", errno);
    long ncur = read_current_maps();
    if (ncur < 0) return fail(err, "cannot read the mapping layout", errno);
    if (!unmap_new_ranges(ncur, stack_addr, stats, err)) return false;
    if (!repair_expected_ranges(ncur, stack_addr, stats, err)) return false;
    // Scan and copy every block before re-arming any: the copy itself marks
    // pages written (trap 1).
    for (std::size_t i = 0; i < nblocks_; ++i)
        if (!copy_back_written(blocks_[i], stats, err)) return false;
    for (std::size_t i = 0; i < nblocks_; ++i) {
        if (int rc = rearm_write_protect(pagemap_fd_, blocks_[i].start, blocks_[i].end))
            return fail(err, "cannot re-arm write protection", rc);
    }
    // Writes after the copy-back are tracked for the next restore; these
    // two leave memory as the golden image has it (rseq aside).
    if (rseq_len) std::memcpy(reinterpret_cast<void *>(rseq_start_), rseq_live, rseq_len);
    if (golden_errno_) *errno_addr_ = *golden_errno_;
    return true;
}

bool MemoryImage::verify(std::uint64_t *bad_addr, RestoreError *err) const {
    for (std::size_t i = 0; i < ntracked_; ++i) {
        const Tracked &t = tracked_[i];
        for (std::uint64_t a = t.start; a < t.end; a += kPage) {
            const auto *live = reinterpret_cast<const unsigned char *>(a);
            const unsigned char *gold = t.golden + (a - t.start);
            if (std::memcmp(live, gold, kPage) == 0) continue;
            for (std::uint64_t off = 0; off < kPage; ++off) {
                if (live[off] == gold[off]) continue;
                if (a + off >= rseq_start_ && a + off < rseq_end_) continue;  // the kernel's
                *bad_addr = a + off;
                return fail(err, "restored memory differs from the golden image");
            }
        }
    }
    return true;
}

}  // namespace tach::restore
