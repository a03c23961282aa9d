// Child processes the test left behind: killed (SIGKILL) and reaped, so the
// next test starts with no children, as a fresh worker would.
//
// Children are listed from /proc/self/task/<tid>/children of every task
// (CONFIG_PROC_CHILDREN; zombies included), killed, then reaped by pid with
// waitpid(WNOHANG | __WALL), round after round until none is left or the
// time is up.  Grandchildren whose parent dies are re-parented to init and
// escape, unless the worker made itself a child subreaper beforehand
// (set_child_subreaper(), once, at worker start): then they become children
// and the next round kills them too.
//
// Allocates nothing; bounded time.  Runs best after SignalState::begin():
// with dispositions restored, a test's SIGCHLD SIG_IGN cannot auto-reap a
// child between listing and kill (a pid could then be reused).
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "restore/restore_error.hpp"

namespace tach::restore {

inline constexpr int kDefaultChildrenTimeoutMs = 2000;

// prctl(PR_SET_CHILD_SUBREAPER, 1) for this process.
bool set_child_subreaper(RestoreError *err);

// Kills and reaps every child.  False (err set) when a child is still there
// after the timeout (e.g. stuck in uninterruptible sleep), or when children
// exist but cannot be listed (no /proc/self/task/<tid>/children).
bool kill_and_reap_children(RestoreError *err);

// Same, sparing the pids in keep[0..nkeep) (children alive at the snapshot
// that the worker means to keep); those are neither killed nor reaped.
bool kill_and_reap_children(const pid_t *keep, std::size_t nkeep, int timeout_ms,
                            RestoreError *err);

// Pids of the children of every task of this process into pids[0..capacity):
// the number found (may exceed capacity), -1 with errno on error.
int list_children(pid_t *pids, int capacity);

}  // namespace tach::restore
