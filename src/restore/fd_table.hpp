// The file descriptor table: which fds were open at the snapshot, and for
// each one which open file description it named, its FD_CLOEXEC flag, its
// file status flags and its offset.  restore() closes whatever the test
// opened and puts every snapshot fd back: replaced or closed fds are
// re-pointed from a saved duplicate (dup3), flags and offsets are reset.
//
// The object is a plain fixed-capacity struct meant to live in the engine's
// Arena (zero bytes == empty table).  save() may take its time; restore()
// allocates nothing and uses only raw syscalls.  Both must run in the process
// that owns the table: the /proc/self/fd handle opened by save() names that
// process, so a table saved before a fork() refuses to restore in the child
// (save again after fork).
//
// Engine fds (the socket, the userfaultfd, /proc handles, the other units'
// fds) are never touched: pass them to save(), or register fds the engine
// opens later with engine_fd().
//
// Whether a snapshot fd still names its description is asked with
// kcmp(KCMP_FILE) against the saved duplicate, so an untouched fd is never
// closed (closing any fd of a file drops the POSIX record locks the process
// holds on it).  Without kcmp (ENOSYS, or EPERM under a seccomp profile
// such as Docker's default) every snapshot fd is re-pointed with dup3 on
// each restore: still the same descriptions, flags and offsets, but POSIX
// locks the snapshot held are dropped.
//
// Costs (kernel 6.18, 2 vCPU): about 0.45 us per open fd to list
// /proc/self/fd (snapshot fds, their duplicates, engine fds and whatever the
// test left), plus about 1.5 us per snapshot fd (kcmp, F_GETFD, F_GETFL,
// lseek).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <type_traits>

#include "restore/restore_error.hpp"

namespace tach::restore {

struct FdEntry {
    int fd;            // fd number the test sees
    int dup;           // saved duplicate of the same description (>= kDupFloor, FD_CLOEXEC)
    int fd_flags;      // F_GETFD at save (FD_CLOEXEC)
    int status_flags;  // F_GETFL at save (O_APPEND, O_NONBLOCK, ... and the access mode)
    off_t offset;      // lseek(SEEK_CUR) at save; -1 if not seekable
    dev_t dup_dev;     // identity of the dup's file, checked before the dup is used
    ino_t dup_ino;
    bool restore_offset;  // false: leave the shared offset alone (see set_restore_offset)
};

class FdTable {
public:
    static constexpr std::size_t kMaxFds = 1024;
    static constexpr std::size_t kMaxEngineFds = 64;
    // Saved duplicates are placed at or above this number, where tests rarely go.
    static constexpr int kDupFloor = 600;

    // Records every open fd except `engine_fds[0..n)` and its own /proc
    // handle.  Fails (and keeps nothing) when more than kMaxFds fds are
    // open, when there are more than kMaxEngineFds engine fds, or when a
    // syscall fails.  Calling save() again first releases the old snapshot
    // and replaces the engine fd list.
    // By default offsets are restored for every seekable fd except 0, 1 and
    // 2 (stdio is usually shared with the host or a terminal: rewinding it
    // would make the next output overwrite the last; fork mode does not
    // rewind it either).  Change that per fd with set_restore_offset().
    bool save(const int *engine_fds, std::size_t n, RestoreError *err);

    // Puts the table back as save() saw it.  Returns false, with `err` set,
    // when that cannot be done exactly (a saved duplicate was closed or
    // replaced by the test, a syscall failed); the worker must then be
    // replaced.  Must run with no other thread alive that opens fds.
    bool restore(RestoreError *err);

    // Adds an engine fd that restore() must never close (opened after save
    // or not passed to it).  False when the engine list is full.
    bool engine_fd(int fd);

    // Whether restore() puts `fd`'s offset back.  False if `fd` is not in
    // the snapshot or not seekable.
    bool set_restore_offset(int fd, bool on);

    // Closes the saved duplicates and the /proc handle; the table is empty.
    void release();

    bool saved() const { return saved_; }
    std::size_t size() const { return count_; }
    const FdEntry &entry(std::size_t i) const { return entries_[i]; }
    // The O_DIRECTORY handle on /proc/self/fd (an engine fd), -1 if none.
    int dir_fd() const { return saved_ ? dir_fd_ : -1; }

private:
    const FdEntry *find_fd(int fd) const;
    bool is_dup(int fd) const;
    bool is_engine(int fd) const;

    bool saved_;
    pid_t pid_;
    int dir_fd_;
    std::size_t count_;         // entries_ sorted by fd; their dups ascend too
    std::size_t engine_count_;
    int engine_[kMaxEngineFds];
    FdEntry entries_[kMaxFds];
};

static_assert(std::is_trivially_default_constructible_v<FdTable> &&
              std::is_standard_layout_v<FdTable>);

// Number of fds open in this process (not counting the one used to count),
// -1 on error.  Allocates nothing.
int count_open_fds();

}  // namespace tach::restore
