#include "supervisor/channel.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace tach {

Channel::Channel(UniqueFd fd) : fd_(std::move(fd)) {
    fcntl(fd_.get(), F_SETFL, fcntl(fd_.get(), F_GETFL) | O_NONBLOCK);
}

int Channel::send(std::string_view frame) {
    while (!frame.empty()) {
        ssize_t n = ::send(fd_.get(), frame.data(), frame.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            frame.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return errno;
        pollfd p = {fd_.get(), POLLOUT, 0};
        ::poll(&p, 1, 100);
    }
    return 0;
}

void Channel::read_available() {
    char buf[65536];
    for (;;) {
        iovec iov{buf, sizeof buf};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t got = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) eof_ = true;
            return;
        }
        for (cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
            std::size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < n; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
                received_.emplace_back(fd);
            }
        }
        if (got == 0) {
            eof_ = true;
            return;
        }
        splitter_.append(std::string_view(buf, static_cast<std::size_t>(got)));
    }
}

UniqueFd Channel::take_received_fd() {
    if (received_.empty()) return UniqueFd();
    UniqueFd fd = std::move(received_.front());
    received_.pop_front();
    return fd;
}

}  // namespace tach
