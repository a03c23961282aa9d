// One non-blocking socket to a worker process (the zygote or a snapshot
// runner): framed reads with descriptors passed alongside (SCM_RIGHTS),
// and writes that never raise SIGPIPE.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "common/frame_io.hpp"
#include "common/unique_fd.hpp"

namespace tach {

class Channel {
public:
    explicit Channel(UniqueFd fd);

    int fd() const { return fd_.get(); }
    // Sends a whole frame, waiting for room as needed.  0 or an errno value.
    int send(std::string_view frame);
    // Reads whatever is available now; sets eof() when the peer is gone.
    void read_available();
    std::optional<std::string> next_payload() { return splitter_.next(); }
    bool malformed() const { return splitter_.malformed(); }
    void set_max_frame(std::uint32_t max) { splitter_.set_max_frame(max); }
    bool eof() const { return eof_; }
    // The oldest descriptor received and not yet taken (invalid if none).
    UniqueFd take_received_fd();

private:
    UniqueFd fd_;
    FrameSplitter splitter_;
    std::deque<UniqueFd> received_;
    bool eof_ = false;
};

}  // namespace tach
