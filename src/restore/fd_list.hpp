// fd_list: names every descriptor open in this process, once each, read
// from a /proc/self/fd handle with getdents64 into a stack buffer.  It
// allocates nothing and uses only raw syscalls, so the restore path
// (fd_table) can use it as well as code that may allocate (worker lanes).
#pragma once

#include <type_traits>

namespace tach::restore {

// A fresh O_DIRECTORY handle on /proc/self/fd (close-on-exec), or -1 with
// errno set.  The caller closes it.  It names the process that opened it,
// also after a fork.
int open_fd_dir();

// Receives one listed fd; returns false to stop the listing.
using FdVisitor = bool (*)(int fd, void *context);

// Calls visit(fd, context) for every fd open in this process, as listed by
// the /proc/self/fd handle `dir` (rewound first), except `dir` itself.
// Returns true when the whole listing was read; false when the directory
// cannot be read (errno set) or when visit returned false.  Closing a
// listed fd from visit does not disturb the listing.
bool for_each_listed_fd(int dir, FdVisitor visit, void *context);

// The same with any callable `bool fn(int fd)` (a lambda capturing by
// reference): no allocation, no std::function.
template <typename Fn>
bool for_each_listed_fd(int dir, Fn &&fn) {
    using Callable = std::remove_reference_t<Fn>;
    return for_each_listed_fd(
        dir, [](int fd, void *context) { return static_cast<bool>((*static_cast<Callable *>(context))(fd)); },
        const_cast<void *>(static_cast<const void *>(&fn)));
}

}  // namespace tach::restore
