// The workers a build of tach has, one per interpreter it was configured
// for (meson -Dpython, -Dpythons), listed in tach-workers.list next to
// them, and the choice of one for the interpreter a run asks for.
#pragma once

#include <string>
#include <vector>

#include "common/interpreter_version.hpp"

namespace tach {

struct WorkerEntry {
    std::string path;          // the tach-worker executable
    std::string version;       // "3.12"
    std::string full_version;  // "3.12.1"
    std::string python;        // the interpreter it embeds (its default)
    std::string base_prefix;   // that interpreter's sys.base_prefix
};

// The entries of DIR/tach-workers.list, in its order (the default worker
// first); empty when the file is missing or unreadable.
std::vector<WorkerEntry> read_worker_set(const std::string &dir);

// The worker for that interpreter: same X.Y, and among several, the one of
// the same installation (base prefix), else the first.  nullptr: none.
const WorkerEntry *pick_worker(const std::vector<WorkerEntry> &workers, const InterpreterIdentity &python);

// The entry whose executable is PATH (after realpath), or nullptr.
const WorkerEntry *find_worker(const std::vector<WorkerEntry> &workers, const std::string &path);

// "3.11.2 (tach-worker), 3.12.1 (tach-worker-3.12)"; "none" when empty.
std::string describe_worker_set(const std::vector<WorkerEntry> &workers);

}  // namespace tach
