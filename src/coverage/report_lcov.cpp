// LCOV tracefile (the format of geninfo, genhtml and `bazel coverage`):
// one record per file, sorted by path.  DA's count is how many contexts
// (tests, or collection) executed the statement, 0 for a missed one.
#include "coverage/report_formats.hpp"

namespace tach::coverage {

std::string render_lcov(const CoverageData &data) {
    std::string out;
    for (const FileFigures &f : all_figures(data)) {
        out += "TN:\n";
        out += "SF:" + f.name + "\n";
        for (const std::uint32_t line : f.file->statements)
            out += "DA:" + std::to_string(line) + "," +
                   std::to_string(hit_count(*f.file, line)) + "\n";
        out += "LF:" + std::to_string(f.statements()) + "\n";
        out += "LH:" + std::to_string(f.executed.size()) + "\n";
        out += "end_of_record\n";
    }
    return out;
}

}  // namespace tach::coverage
