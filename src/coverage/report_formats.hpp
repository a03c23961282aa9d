// The renderers behind render(), one per file, and the pieces they share.
// Exposed for the unit test: the time-stamped formats take their stamp as
// an argument so that a test can compare whole documents.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "coverage/coverage_data.hpp"

namespace tach::coverage {

// ------------------------------------------------------------ shared

// path relative to root when it lies under it, else path unchanged.
std::string display_path(const std::string &root, const std::string &path);

// One file as every report sees it: its display name, its statements, the
// statements executed (with how many contexts ran each) and those missed.
struct FileFigures {
    std::string name;                     // display_path
    const FileCoverage *file = nullptr;
    std::vector<std::uint32_t> executed;  // executed statements, ascending
    std::vector<std::uint32_t> missing;   // statements never executed, ascending
    std::size_t statements() const { return executed.size() + missing.size(); }
};

FileFigures figures_of(const std::string &root, const std::string &path,
                       const FileCoverage &file);

// Every file of data, in plain byte order of display name.
std::vector<FileFigures> all_figures(const CoverageData &data);

// How many contexts executed line (0: none, or not executed).
std::size_t hit_count(const FileCoverage &file, std::uint32_t line);

// Percent covered: 100 * covered / statements; 100 when there are none.
double percent_covered(std::size_t covered, std::size_t statements);

// The percentage as coverage.py shows it with precision 0: rounded to a
// whole number (halves to even), except that only exactly 0 shows "0" and
// only exactly 100 shows "100" (0.4 -> "1", 99.6 -> "99").
std::string percent_display(double percent);

// coverage.py's ranges of missing lines: runs of consecutive *statements*
// that are all missing, "3-5, 9" (a run may jump over non-statement lines).
std::string missing_ranges(const std::vector<std::uint32_t> &statements,
                           const std::vector<std::uint32_t> &missing);

// coverage.py's "human" order: digit runs compare as numbers ("f2" < "f10"),
// ties broken by plain byte order.
bool human_less(std::string_view a, std::string_view b);

// The version in reports: "tach 0.1.0".
std::string generator_version();

// ------------------------------------------------------------ renderers

std::string render_lcov(const CoverageData &data);

// timestamp_ms: milliseconds since the epoch, as coverage.py writes it.
std::string render_cobertura(const CoverageData &data, long long timestamp_ms);

// timestamp: ISO 8601 local time, as coverage.py's datetime.now().isoformat().
std::string render_json(const CoverageData &data, bool with_contexts,
                        const std::string &timestamp);

std::string render_text(const CoverageData &data, bool show_missing);

// JSON pieces, exposed for the test.
std::string json_string(std::string_view text);  // quoted, ASCII-only, as json.dumps
std::string json_number(double value);           // as Python's repr(float)

// XML escaping of text and attribute values (also replaces characters XML
// 1.0 cannot carry).
std::string xml_escape(std::string_view text);

}  // namespace tach::coverage
