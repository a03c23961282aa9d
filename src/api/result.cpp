// Result accessors of the C API.
#include <cstring>
#include "api/handles.hpp"

namespace {

constexpr const char *kOutcomeNames[] = {"passed",  "failed", "skipped", "xfailed",
                                         "xpassed", "error",  "crashed", "timeout"};

}  // namespace

extern "C" {

TACH_API const char *tach_outcome_name(tach_outcome outcome) {
    // A C caller may pass any int: read it as one (see resolve_options).
    unsigned i = 0;
    std::memcpy(&i, &outcome, sizeof i);
    return i < sizeof kOutcomeNames / sizeof kOutcomeNames[0] ? kOutcomeNames[i] : "unknown";
}

TACH_API const char *tach_result_nodeid(const tach_result *r) { return r ? r->result.nodeid.c_str() : ""; }

TACH_API tach_outcome tach_result_outcome(const tach_result *r) {
    return r ? static_cast<tach_outcome>(r->result.outcome) : TACH_OUTCOME_ERROR;
}

TACH_API double tach_result_duration(const tach_result *r) { return r ? r->result.duration : 0.0; }

TACH_API const char *tach_result_phase(const tach_result *r) { return r ? r->result.phase.c_str() : ""; }

TACH_API const char *tach_result_longrepr(const tach_result *r) { return r ? r->result.longrepr.c_str() : ""; }

TACH_API const char *tach_result_message(const tach_result *r) { return r ? r->result.message.c_str() : ""; }

TACH_API const char *tach_result_stdout(const tach_result *r) { return r ? r->result.stdout_text.c_str() : ""; }

TACH_API const char *tach_result_stderr(const tach_result *r) { return r ? r->result.stderr_text.c_str() : ""; }

TACH_API int tach_result_signal(const tach_result *r) { return r ? r->result.signal : 0; }

TACH_API int tach_result_exit_status(const tach_result *r) { return r ? r->result.exit_status : -1; }

TACH_API int tach_result_teardown_failed(const tach_result *r) {
    return r && r->result.teardown_failed ? 1 : 0;
}

TACH_API const char *tach_result_teardown_longrepr(const tach_result *r) {
    return r ? r->result.teardown_longrepr.c_str() : "";
}

TACH_API const char *tach_result_teardown_message(const tach_result *r) {
    return r ? r->result.teardown_message.c_str() : "";
}

TACH_API uint64_t tach_result_pages_restored(const tach_result *r) { return r ? r->restore.pages : 0; }

TACH_API double tach_result_restore_seconds(const tach_result *r) { return r ? r->restore.seconds : 0.0; }

TACH_API int tach_result_worker_replaced(const tach_result *r) { return r && r->restore.replaced ? 1 : 0; }

TACH_API const char *tach_result_replace_reason(const tach_result *r) {
    return r ? r->restore.replace_reason.c_str() : "";
}

TACH_API size_t tach_result_coverage_file_count(const tach_result *r) {
    return r ? r->result.coverage.size() : 0;
}

TACH_API const char *tach_result_coverage_file(const tach_result *r, size_t index) {
    return r && index < r->result.coverage.size() ? r->result.coverage[index].path.c_str() : nullptr;
}

TACH_API size_t tach_result_coverage_lines(const tach_result *r, size_t index, const uint32_t **lines) {
    if (lines) *lines = nullptr;
    if (!r || index >= r->result.coverage.size()) return 0;
    const auto &v = r->result.coverage[index].lines;
    if (lines && !v.empty()) *lines = v.data();
    return v.size();
}

TACH_API void tach_result_free(tach_result *r) { std::unique_ptr<tach_result> owned(r); }

}  // extern "C"
