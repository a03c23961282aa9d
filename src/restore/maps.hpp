// The process's memory mappings, read without allocating: as text from
// /proc/self/maps (any kernel) or with the PROCMAP_QUERY ioctl (6.11+,
// about 2.5x faster).  Both fill a caller-provided array.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tach::restore {

enum class MapKind : std::uint8_t {
    Anonymous,  // incl. [heap] and [stack]
    File,
    Special,    // [vdso], [vvar], [vvar_vclock], [vsyscall]: never tracked
};

struct MapEntry {
    std::uint64_t start;
    std::uint64_t end;
    std::uint64_t offset;
    std::uint64_t inode;
    std::uint32_t dev_major;
    std::uint32_t dev_minor;
    std::uint8_t prot;    // PROT_READ | PROT_WRITE | PROT_EXEC
    bool shared;
    MapKind kind;
};

// Parses /proc/self/maps text read through `maps_fd` (pread from 0) using
// `buf` as scratch.  Returns the number of entries, or -1 (errno set) if
// the buffer or the array is too small or reading failed.
long read_maps_text(int maps_fd, char *buf, std::size_t buf_len, MapEntry *out, std::size_t cap);

// The same through PROCMAP_QUERY on `maps_fd`.  Special mappings are not
// distinguishable this way; callers classify them by address.  Returns the
// number of entries or -1 (errno set; ENOTTY/EINVAL: kernel lacks it).
long query_maps(int maps_fd, MapEntry *out, std::size_t cap);

// Whether PROCMAP_QUERY works on this kernel.
bool procmap_query_available(int maps_fd);

}  // namespace tach::restore
