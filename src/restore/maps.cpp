#include "restore/maps.hpp"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "restore/linux_abi.hpp"

namespace tach::restore {
namespace {

// Cursor over one line of maps text; every parser stops at the line's end.
struct Cursor {
    const char *p;
    const char *end;

    bool hex(std::uint64_t *v) {
        std::uint64_t x = 0;
        const char *start = p;
        while (p < end) {
            char c = *p;
            unsigned d;
            if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
            else break;
            x = x * 16 + d;
            ++p;
        }
        *v = x;
        return p > start;
    }
    bool dec(std::uint64_t *v) {
        std::uint64_t x = 0;
        const char *start = p;
        while (p < end && *p >= '0' && *p <= '9') x = x * 10 + static_cast<std::uint64_t>(*p++ - '0');
        *v = x;
        return p > start;
    }
    bool expect(char c) {
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }
    void skip_spaces() {
        while (p < end && *p == ' ') ++p;
    }
};

bool starts_with(const char *p, const char *end, const char *prefix) {
    std::size_t n = std::strlen(prefix);
    return static_cast<std::size_t>(end - p) >= n && std::memcmp(p, prefix, n) == 0;
}

bool parse_line(const char *line, const char *end, MapEntry *e) {
    Cursor c{line, end};
    std::uint64_t dev_major = 0, dev_minor = 0;
    if (!c.hex(&e->start) || !c.expect('-') || !c.hex(&e->end) || !c.expect(' ')) return false;
    if (end - c.p < 5) return false;
    e->prot = static_cast<std::uint8_t>((c.p[0] == 'r' ? PROT_READ : 0) | (c.p[1] == 'w' ? PROT_WRITE : 0) |
                                        (c.p[2] == 'x' ? PROT_EXEC : 0));
    e->shared = c.p[3] == 's';
    c.p += 4;
    if (!c.expect(' ') || !c.hex(&e->offset) || !c.expect(' ') || !c.hex(&dev_major) || !c.expect(':') ||
        !c.hex(&dev_minor) || !c.expect(' ') || !c.dec(&e->inode))
        return false;
    e->dev_major = static_cast<std::uint32_t>(dev_major);
    e->dev_minor = static_cast<std::uint32_t>(dev_minor);
    c.skip_spaces();
    if (starts_with(c.p, end, "[vdso]") || starts_with(c.p, end, "[vvar") ||
        starts_with(c.p, end, "[vsyscall]"))
        e->kind = MapKind::Special;
    else
        e->kind = e->inode != 0 ? MapKind::File : MapKind::Anonymous;
    return true;
}

}  // namespace

long read_maps_text(int maps_fd, char *buf, std::size_t buf_len, MapEntry *out, std::size_t cap) {
    std::size_t len = 0;
    for (;;) {
        if (len == buf_len) {
            errno = ENOBUFS;
            return -1;
        }
        ssize_t n = pread(maps_fd, buf + len, buf_len - len, static_cast<off_t>(len));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        len += static_cast<std::size_t>(n);
    }
    std::size_t count = 0;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        const char *line_end = nl ? nl : end;
        if (line_end > p) {
            if (count == cap) {
                errno = ENOBUFS;
                return -1;
            }
            MapEntry e{};
            if (!parse_line(p, line_end, &e)) {
                errno = EPROTO;
                return -1;
            }
            out[count++] = e;
        }
        p = line_end + 1;
    }
    return static_cast<long>(count);
}

long query_maps(int maps_fd, MapEntry *out, std::size_t cap) {
    std::size_t count = 0;
    std::uint64_t addr = 0;
    for (;;) {
        linux_abi::ProcmapQuery q{};
        q.size = sizeof q;
        q.query_flags = linux_abi::kQueryCoveringOrNextVma;
        q.query_addr = addr;
        if (ioctl(maps_fd, linux_abi::kProcmapQuery, &q) != 0) {
            if (errno == ENOENT) break;  // no mapping at or after addr
            if (errno == EINTR) continue;
            return -1;
        }
        if (count == cap) {
            errno = ENOBUFS;
            return -1;
        }
        MapEntry &e = out[count++];
        e.start = q.vma_start;
        e.end = q.vma_end;
        e.offset = q.vma_offset;
        e.inode = q.inode;
        e.dev_major = q.dev_major;
        e.dev_minor = q.dev_minor;
        e.prot = static_cast<std::uint8_t>(((q.vma_flags & linux_abi::kQueryVmaReadable) ? PROT_READ : 0) |
                                           ((q.vma_flags & linux_abi::kQueryVmaWritable) ? PROT_WRITE : 0) |
                                           ((q.vma_flags & linux_abi::kQueryVmaExecutable) ? PROT_EXEC : 0));
        e.shared = (q.vma_flags & linux_abi::kQueryVmaShared) != 0;
        e.kind = e.inode != 0 ? MapKind::File : MapKind::Anonymous;
        if (q.vma_end <= addr) break;  // defensive: never loop forever
        addr = q.vma_end;
    }
    return static_cast<long>(count);
}

bool procmap_query_available(int maps_fd) {
    linux_abi::ProcmapQuery q{};
    q.size = sizeof q;
    q.query_flags = linux_abi::kQueryCoveringOrNextVma;
    q.query_addr = 0;
    return ioctl(maps_fd, linux_abi::kProcmapQuery, &q) == 0 || errno == ENOENT;
}

}  // namespace tach::restore
