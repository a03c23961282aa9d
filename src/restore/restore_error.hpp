// Why a restore (or a snapshot) could not be made exact.  Static strings
// only: it is filled on the restore path, where nothing may allocate.
#pragma once

namespace tach::restore {

struct RestoreError {
    const char *what = nullptr;  // static text, e.g. "a thread is still running"
    int sys_errno = 0;           // errno of the failing call, or 0
};

// Sets *err (if non-null) and returns false, for `return fail(err, ...)`.
inline bool fail(RestoreError *err, const char *what, int sys_errno = 0) {
    if (err) {
        err->what = what;
        err->sys_errno = sys_errno;
    }
    return false;
}

}  // namespace tach::restore
