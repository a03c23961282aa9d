// The --sandbox of a tach worker: new user, mount and network namespaces
// entered by the (still single-threaded) worker before Python starts.
// Inside: only a loopback interface (up), and a read-only file system except
// for the writable directories given (the temp area) and /dev, /proc.
// Low-level and self-contained, tested in tests/unit/test_sandbox.cpp.
#pragma once

#include <string>
#include <vector>

namespace tach::sandbox {

// Enters the sandbox.  `writable`: absolute directories that stay writable
// (missing ones are skipped).  Returns "" on success, else what failed (the
// process may then be half-way in: the caller must exit, never go on
// unsandboxed).
std::string enter(const std::vector<std::string> &writable);

// The directories a worker keeps writable: $TMPDIR (or /tmp when unset)
// and $TEST_TMPDIR, as given by `getenv`.
std::vector<std::string> default_writable_dirs();

}  // namespace tach::sandbox
