// The collection base: the worker's state from just before pytest collects
// (interpreter started, pytest configured, conftest files and plugins
// imported), parked in a process of its own so that the tests can be
// collected again — after test files changed — without starting Python,
// pytest and the conftest files anew (tach_recollect, `tach --watch`).
//
// The base forks one zygote at a time and waits for it.  A zygote that is
// asked to collect again writes the request where the base reads it and
// exits; the base forks the next zygote, which collects from the parked
// state.  A zygote that ends any other way (shutdown, crash) ends the base
// the same way, so the host sees its worker end as it would without one.
// The host's socket, stderr, traceback file and debug socket are inherited
// by every zygote: the base never uses them while a zygote lives.
#pragma once

#include <string>
#include <vector>

namespace tach::worker {

// Called by the shim when pytest is about to collect.  Returns the paths
// to collect instead of those pytest took from its arguments (empty: its
// own).  Without a base (Init.keep_base = 0) it returns Init.paths at
// once.  With one, this process becomes the base and returns only in each
// zygote it forks; the base itself never returns from here.
std::vector<std::string> park_before_collection();

// Whether this process is a zygote forked by a base (Recollect is served).
bool has_collection_base();

// In such a zygote: hands `paths` to the base for the next zygote and
// exits.  The caller stops its runners first.
[[noreturn]] void leave_for_recollection(const std::vector<std::string> &paths);

}  // namespace tach::worker
