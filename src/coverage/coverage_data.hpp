// Line coverage as the host keeps it: per file, the executable statements
// (the denominator, from the compiled code objects' line tables) and the
// lines executed, each with the contexts (test node ids, or "collection")
// that executed it.  Merged from every test's result; rendered by the
// report_* units.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tach::coverage {

// The context of lines run while importing and collecting (module bodies,
// before the snapshot).
inline constexpr const char *kCollectionContext = "collection";

struct FileCoverage {
    std::set<std::uint32_t> statements;
    // line -> contexts that executed it (sorted, unique)
    std::map<std::uint32_t, std::set<std::string>> executed;
};

struct CoverageData {
    std::string root;                           // project root (absolute)
    std::map<std::string, FileCoverage> files;  // by absolute path

    void add_statements(const std::string &path, const std::vector<std::uint32_t> &lines) {
        auto &f = files[path];
        f.statements.insert(lines.begin(), lines.end());
    }
    void add_executed(const std::string &path, const std::vector<std::uint32_t> &lines,
                      const std::string &context) {
        auto &f = files[path];
        for (auto line : lines) f.executed[line].insert(context);
    }
};

}  // namespace tach::coverage
