// Coverage reports: the host's CoverageData rendered in the formats other
// tools read (LCOV for bazel and genhtml, Cobertura XML for CI services,
// coverage.py's JSON) and as coverage.py's terminal table.  Every format
// names files relative to data.root; a file outside the root keeps its
// absolute path.
#pragma once

#include <string>

#include "coverage/coverage_data.hpp"

namespace tach::coverage {

enum class Format { Lcov, Cobertura, Json, Text, TextMissing };

// The whole report as text.  with_contexts: JSON lists, per executed line,
// the contexts (test node ids, "collection") that ran it; the other formats
// ignore it.
std::string render(const CoverageData &data, Format format, bool with_contexts);

}  // namespace tach::coverage
