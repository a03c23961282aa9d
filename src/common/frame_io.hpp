// Moving protocol frames over file descriptors: blocking reads and writes
// for the worker, an incremental splitter for the host's poll loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tach {

// Writes all of `data`, retrying on EINTR and short writes.  Uses
// MSG_NOSIGNAL on sockets so that a dead peer is an error, not SIGPIPE.
// Returns 0 or an errno value.
int write_all(int fd, std::string_view data);

enum class ReadStatus { Ok, Eof, Error, Malformed };

struct ReadFrame {
    ReadStatus status = ReadStatus::Error;
    std::string payload;  // without the length prefix
};

// Blocks until one whole frame has arrived (or EOF / an error).
ReadFrame read_frame_blocking(int fd);

// The same into a caller's buffer, allocating nothing (the snapshot runner
// reads requests this way).  Returns the payload's size, or 0 on EOF, an
// error or a payload larger than `cap`.
std::size_t read_frame_into(int fd, char *buf, std::size_t cap);

// Accumulates bytes as they arrive and cuts them into frame payloads.
class FrameSplitter {
public:
    void append(std::string_view bytes) { buf_.append(bytes); }
    // The next complete payload, if one is buffered.  After a length above
    // protocol::kMaxFrame, malformed() is set and nothing more is returned.
    std::optional<std::string> next();
    bool malformed() const { return malformed_; }
    std::size_t buffered() const { return buf_.size(); }
    // Lowers the largest acceptable payload (e.g. while only a tiny Hello
    // may come), so garbage is refused at once instead of waited for.
    void set_max_frame(std::uint32_t max) { max_ = max; }

private:
    std::string buf_;
    std::uint32_t max_ = UINT32_MAX;  // protocol::kMaxFrame applies too
    bool malformed_ = false;
};

}  // namespace tach
