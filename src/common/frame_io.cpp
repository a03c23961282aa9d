#include "common/frame_io.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/protocol.hpp"

namespace tach {

int write_all(int fd, std::string_view data) {
    bool use_send = true;
    while (!data.empty()) {
        ssize_t n = use_send ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL)
                             : ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOTSOCK && use_send) {
                use_send = false;
                continue;
            }
            return errno;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

namespace {

// 1 = all read, 0 = EOF before the first byte, -1 = error or EOF midway.
int read_exact(int fd, char *out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = ::read(fd, out + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return got == 0 ? 0 : -1;
        got += static_cast<std::size_t>(r);
    }
    return 1;
}

std::uint32_t le32(const unsigned char *p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

ReadFrame read_frame_blocking(int fd) {
    ReadFrame out;
    unsigned char len_bytes[4];
    int r = read_exact(fd, reinterpret_cast<char *>(len_bytes), 4);
    if (r == 0) {
        out.status = ReadStatus::Eof;
        return out;
    }
    if (r < 0) return out;
    std::uint32_t len = le32(len_bytes);
    if (len == 0 || len > protocol::kMaxFrame) {
        out.status = ReadStatus::Malformed;
        return out;
    }
    out.payload.resize(len);
    if (read_exact(fd, out.payload.data(), len) != 1) return out;
    out.status = ReadStatus::Ok;
    return out;
}

std::size_t read_frame_into(int fd, char *buf, std::size_t cap) {
    unsigned char len_bytes[4];
    if (read_exact(fd, reinterpret_cast<char *>(len_bytes), 4) != 1) return 0;
    std::uint32_t len = le32(len_bytes);
    if (len == 0 || len > cap) return 0;
    return read_exact(fd, buf, len) == 1 ? len : 0;
}

std::optional<std::string> FrameSplitter::next() {
    if (malformed_ || buf_.size() < 4) return std::nullopt;
    std::uint32_t len = le32(reinterpret_cast<const unsigned char *>(buf_.data()));
    if (len == 0 || len > max_ || len > protocol::kMaxFrame) {
        malformed_ = true;
        return std::nullopt;
    }
    if (buf_.size() - 4 < len) return std::nullopt;
    std::string payload = buf_.substr(4, len);
    buf_.erase(0, 4 + static_cast<std::size_t>(len));
    return payload;
}

}  // namespace tach
