// render() and what the renderers share: display paths, per-file figures,
// coverage.py's percentage display, missing-line ranges and name order.
#include "coverage/report.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sys/time.h>

#include "coverage/report_formats.hpp"
#include "tach.h"

namespace tach::coverage {

namespace {

long long now_milliseconds() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Local time as Python's datetime.now().isoformat(): microseconds only when
// not zero.
std::string now_iso_local() {
    struct timeval tv {};
    gettimeofday(&tv, nullptr);
    struct tm local {};
    const time_t seconds = tv.tv_sec;
    localtime_r(&seconds, &local);
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
    std::string out = text;
    if (tv.tv_usec != 0) {
        char micro[16];
        std::snprintf(micro, sizeof micro, ".%06ld", static_cast<long>(tv.tv_usec));
        out += micro;
    }
    return out;
}

// Digit runs of s and the text between them, as coverage.py's human_key
// splits a name: text, number, text, number, ..., text.
struct Chunk {
    std::string_view text;
    bool number;
};

std::vector<Chunk> chunks(std::string_view s) {
    std::vector<Chunk> out;
    std::size_t i = 0;
    std::size_t start = 0;
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    while (i < s.size()) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        out.push_back({s.substr(start, i - start), false});
        const std::size_t digits = i;
        while (i < s.size() && is_digit(s[i]))
            i++;
        out.push_back({s.substr(digits, i - digits), true});
        start = i;
    }
    out.push_back({s.substr(start), false});
    return out;
}

// -1, 0, 1 comparing two digit runs as whole numbers.
int compare_numbers(std::string_view a, std::string_view b) {
    while (a.size() > 1 && a.front() == '0')
        a.remove_prefix(1);
    while (b.size() > 1 && b.front() == '0')
        b.remove_prefix(1);
    if (a.size() != b.size())
        return a.size() < b.size() ? -1 : 1;
    const int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

std::string display_path(const std::string &root, const std::string &path) {
    std::string base = root;
    while (base.size() > 1 && base.back() == '/')
        base.pop_back();
    if (base.empty())
        return path;
    if (base == "/")
        return path.size() > 1 && path[0] == '/' ? path.substr(1) : path;
    if (path.size() > base.size() + 1 && path.compare(0, base.size(), base) == 0 &&
        path[base.size()] == '/')
        return path.substr(base.size() + 1);
    return path;
}

std::size_t hit_count(const FileCoverage &file, std::uint32_t line) {
    const auto it = file.executed.find(line);
    return it == file.executed.end() ? 0 : it->second.size();
}

FileFigures figures_of(const std::string &root, const std::string &path,
                       const FileCoverage &file) {
    FileFigures f;
    f.name = display_path(root, path);
    f.file = &file;
    for (const std::uint32_t line : file.statements) {
        if (hit_count(file, line) > 0)
            f.executed.push_back(line);
        else
            f.missing.push_back(line);
    }
    return f;
}

std::vector<FileFigures> all_figures(const CoverageData &data) {
    std::vector<FileFigures> out;
    out.reserve(data.files.size());
    for (const auto &[path, file] : data.files)
        out.push_back(figures_of(data.root, path, file));
    std::stable_sort(out.begin(), out.end(),
                     [](const FileFigures &a, const FileFigures &b) { return a.name < b.name; });
    return out;
}

double percent_covered(std::size_t covered, std::size_t statements) {
    if (statements == 0)
        return 100.0;
    return 100.0 * static_cast<double>(covered) / static_cast<double>(statements);
}

std::string percent_display(double percent) {
    // Precision 0: anything strictly between 0 and 1 shows as 1, anything
    // strictly between 99 and 100 as 99; the rest rounds (printf rounds an
    // exact half to even, as Python's round() does).
    if (percent > 0.0 && percent < 1.0)
        percent = 1.0;
    else if (percent > 99.0 && percent < 100.0)
        percent = 99.0;
    char text[32];
    std::snprintf(text, sizeof text, "%.0f", percent);
    return text;
}

std::string missing_ranges(const std::vector<std::uint32_t> &statements,
                           const std::vector<std::uint32_t> &missing) {
    // Walk the statements in order; a run grows while each statement is
    // the next missing line and ends at the first statement that is not.
    std::string out;
    std::size_t next = 0;  // index into missing
    bool in_run = false;
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    const auto close_run = [&] {
        if (!out.empty())
            out += ", ";
        out += std::to_string(first);
        if (last != first)
            out += "-" + std::to_string(last);
        in_run = false;
    };
    for (const std::uint32_t line : statements) {
        if (next >= missing.size())
            break;
        if (line == missing[next]) {
            next++;
            if (!in_run) {
                in_run = true;
                first = line;
            }
            last = line;
        } else if (in_run) {
            close_run();
        }
    }
    if (in_run)
        close_run();
    return out;
}

bool human_less(std::string_view a, std::string_view b) {
    const std::vector<Chunk> ca = chunks(a);
    const std::vector<Chunk> cb = chunks(b);
    const std::size_t n = std::min(ca.size(), cb.size());
    for (std::size_t i = 0; i < n; i++) {
        // Both lists alternate text and number from the same start, so the
        // chunks at one index are of one kind.
        const int c = ca[i].number ? compare_numbers(ca[i].text, cb[i].text)
                                   : ca[i].text.compare(cb[i].text);
        if (c != 0)
            return c < 0;
    }
    if (ca.size() != cb.size())
        return ca.size() < cb.size();
    return a < b;
}

std::string generator_version() { return "tach " TACH_VERSION_STRING; }

std::string render(const CoverageData &data, Format format, bool with_contexts) {
    switch (format) {
    case Format::Lcov:
        return render_lcov(data);
    case Format::Cobertura:
        return render_cobertura(data, now_milliseconds());
    case Format::Json:
        return render_json(data, with_contexts, now_iso_local());
    case Format::Text:
        return render_text(data, false);
    case Format::TextMissing:
        return render_text(data, true);
    }
    return "";
}

}  // namespace tach::coverage
