// coverage.py's `coverage report` table (precision 0, no branches):
//
//   Name         Stmts   Miss  Cover   Missing
//   ------------------------------------------
//   pkg/mod.py       8      2    75%   3-4
//   ------------------------------------------
//   TOTAL            8      2    75%
//
// Files in human order, the name column as wide as the longest name (at
// least 5), trailing blanks trimmed from every line.
#include <algorithm>
#include <cstdio>

#include "coverage/report_formats.hpp"

namespace tach::coverage {

namespace {

// Characters, as Python's len() counts a str: UTF-8 lead bytes.
std::size_t text_width(std::string_view text) {
    std::size_t n = 0;
    for (const char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
            n++;
    return n;
}

std::string pad_right(const std::string &text, std::size_t width) {
    const std::size_t w = text_width(text);
    return w >= width ? text : text + std::string(width - w, ' ');
}

std::string right(const std::string &text, std::size_t width) {
    return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

void trimmed_line(std::string &out, std::string line) {
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    out += line;
    out += '\n';
}

std::string row(const std::string &name, std::size_t name_width, std::size_t statements,
                std::size_t missing, const std::string *ranges) {
    std::string line = pad_right(name, name_width) + "  " + right(std::to_string(statements), 6) +
                       " " + right(std::to_string(missing), 6) +
                       right(percent_display(percent_covered(statements - missing, statements)),
                             6) +
                       "%";
    if (ranges)
        line += "   " + *ranges;
    return line;
}

}  // namespace

std::string render_text(const CoverageData &data, bool show_missing) {
    std::vector<FileFigures> figures = all_figures(data);
    if (figures.empty())
        return "No data to report.\n";
    std::stable_sort(figures.begin(), figures.end(), [](const FileFigures &a, const FileFigures &b) {
        return human_less(a.name, b.name);
    });

    std::size_t name_width = 5;  // "TOTAL"
    for (const FileFigures &f : figures)
        name_width = std::max(name_width, text_width(f.name));

    std::string header = pad_right("Name", name_width) + "   Stmts   Miss  Cover";
    if (show_missing)
        header += "   Missing";
    const std::string rule(header.size(), '-');

    std::string out;
    trimmed_line(out, header);
    trimmed_line(out, rule);
    std::size_t statements_total = 0;
    std::size_t missing_total = 0;
    for (const FileFigures &f : figures) {
        statements_total += f.statements();
        missing_total += f.missing.size();
        std::string ranges;
        if (show_missing) {
            const std::vector<std::uint32_t> statements(f.file->statements.begin(),
                                                        f.file->statements.end());
            ranges = missing_ranges(statements, f.missing);
        }
        trimmed_line(out, row(f.name, name_width, f.statements(), f.missing.size(),
                              show_missing ? &ranges : nullptr));
    }
    trimmed_line(out, rule);
    const std::string none;
    trimmed_line(out, row("TOTAL", name_width, statements_total, missing_total,
                          show_missing ? &none : nullptr));
    return out;
}

}  // namespace tach::coverage
