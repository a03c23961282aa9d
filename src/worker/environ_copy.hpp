// glibc's initial `environ` array lives on the process stack.  setenv() on an
// existing key can rewrite that array in place, which memory snapshots of
// the heap would not see.  Moving the array to the heap before Python starts
// keeps all environment state in memory that isolation can track.
#pragma once

namespace tach::worker {

// Returns false if memory ran out (environ is then left as it was).
bool move_environ_to_heap();

}  // namespace tach::worker
