"""tach_status codes the shim reports (must match include/tach.h)."""

OK = 0
EINTERP = 5
ECOLLECT = 6
