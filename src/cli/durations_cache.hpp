// The durations cache: how long each test took in earlier runs, kept in
// .tach/durations.json under the project root, so that with several workers
// the longest tests start first (a long test started last would leave the
// other workers idle at the end).  A missing, unreadable or corrupt file is
// no cache; writing is atomic (temporary file + rename) and failures to
// write are ignored: the cache only ever changes the order tests start in.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace tach_cli {

using Durations = std::map<std::string, double>;

// <root>/.tach/durations.json
std::string durations_path(const std::string &project_root);

// The cache's content; empty when the file is missing or not what this
// version writes.
Durations parse_durations(const std::string &text);
Durations load_durations(const std::string &path);

// The file's content for `durations` (stable: sorted by node id).
std::string render_durations(const Durations &durations);

// Writes `durations` to `path` atomically, creating its directory (with a
// .gitignore that ignores it all).  False when that failed.
bool save_durations(const std::string &path, const Durations &durations);

// The order to start `nodeids` in: tests with no remembered duration first,
// in collection order (they may be new and long), then the others, longest
// first (ties keep collection order).  Indices into nodeids.
std::vector<std::size_t> dispatch_order(const std::vector<std::string> &nodeids, const Durations &known);

} // namespace tach_cli
