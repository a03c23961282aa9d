// What tach says about isolation itself, beside pytest's report: the mode
// and why (header), the note when auto falls back to fork, the count of
// replaced workers, and the --stats section (restore times and pages).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "session.hpp"

namespace tach_cli {

// "snapshot (in-place restore after each test (golden image: ...))", or the
// bare mode when the reason is unknown.
std::string isolation_description(std::string_view mode, std::string_view reason);

// Why snapshot isolation is unavailable, out of the engine's reason for
// falling back ("fork per test: snapshot isolation is unavailable here:
// the kernel lacks PAGEMAP_SCAN" gives "the kernel lacks PAGEMAP_SCAN").
std::string snapshot_unavailable_reason(std::string_view isolation_reason);

// The stderr note of a run whose default (auto) isolation fell back to fork:
// "tach: snapshot isolation unavailable (REASON); using fork".
std::string fork_fallback_note(std::string_view isolation_reason);

// How many tests left a worker that had to be replaced.
std::size_t replaced_count(const Session &session);

// "tach: 1 worker replaced (see --stats)".
std::string replaced_note(std::size_t count);

// Order statistics of a sample.  Quantiles are nearest-rank (the smallest
// value with at least p of the sample at or below it), so every figure is
// one of the measured values.
struct Distribution {
    std::size_t count = 0;
    double median = 0;
    double p90 = 0;
    double p99 = 0;
    double max = 0;
    double total = 0;
};
Distribution distribution_of(std::vector<double> values);
double nearest_rank(const std::vector<double> &sorted, double fraction);

// "850 µs", "12.3 ms", "2.41 s".
std::string format_micros(double seconds);

// The lines of the --stats section (without its "====" title): the mode,
// tests run, replaced workers with each test's node id and reason, and in
// snapshot isolation the restore times and pages restored.
std::vector<std::string> isolation_stats_lines(const Session &session);

} // namespace tach_cli
