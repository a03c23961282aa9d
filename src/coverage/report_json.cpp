// coverage.py's `coverage json` document (format of coverage.py 6/7,
// without branches): meta, files by display name, totals; on one line with
// json.dumps' default separators.  executed_lines are the executed
// statements; a line that ran but is not a statement is left out, as
// coverage.py's analysis leaves it out.
#include <charconv>
#include <cmath>

#include "coverage/report_formats.hpp"

namespace tach::coverage {

namespace {

void append_hex4(std::string &out, unsigned value) {
    static const char digits[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
        out += digits[(value >> shift) & 0xF];
}

// Decode one UTF-8 sequence at text[i]; returns the code point and advances
// i, or U+FFFD for a byte that does not start a valid sequence.
unsigned decode_utf8(std::string_view text, std::size_t &i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned b0 = byte(i);
    std::size_t length = 0;
    unsigned cp = 0;
    unsigned min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2, cp = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3, cp = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        i++;
        return 0xFFFD;
    }
    if (i + length > text.size()) {
        i++;
        return 0xFFFD;
    }
    for (std::size_t k = 1; k < length; k++) {
        const unsigned b = byte(i + k);
        if ((b & 0xC0) != 0x80) {
            i++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        i++;
        return 0xFFFD;
    }
    i += length;
    return cp;
}

template <typename Lines>
std::string int_list(const Lines &lines) {
    std::string out = "[";
    bool first = true;
    for (const auto line : lines) {
        if (!first)
            out += ", ";
        first = false;
        out += std::to_string(line);
    }
    return out + "]";
}

std::string summary(std::size_t covered, std::size_t statements) {
    const double percent = percent_covered(covered, statements);
    return "{\"covered_lines\": " + std::to_string(covered) +
           ", \"num_statements\": " + std::to_string(statements) +
           ", \"percent_covered\": " + json_number(percent) +
           ", \"percent_covered_display\": " + json_string(percent_display(percent)) +
           ", \"missing_lines\": " + std::to_string(statements - covered) +
           ", \"excluded_lines\": 0}";
}

}  // namespace

std::string json_string(std::string_view text) {
    std::string out = "\"";
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            i++;
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7F)
                    append_hex4(out, c);
                else
                    out += static_cast<char>(c);
            }
            continue;
        }
        // ensure_ascii: everything else as \uXXXX, surrogate pairs above
        // the basic plane.
        const unsigned cp = decode_utf8(text, i);
        if (cp >= 0x10000) {
            const unsigned v = cp - 0x10000;
            append_hex4(out, 0xD800 + (v >> 10));
            append_hex4(out, 0xDC00 + (v & 0x3FF));
        } else {
            append_hex4(out, cp);
        }
    }
    return out + "\"";
}

std::string json_number(double value) {
    // Python's float repr: the shortest text that reads back the same;
    // positional from 1e-4 up to 1e16, else exponent form; ".0" on whole
    // numbers.
    if (!std::isfinite(value))
        return "null";
    char text[64];
    const double magnitude = std::fabs(value);
    const bool positional = magnitude == 0.0 || (magnitude >= 1e-4 && magnitude < 1e16);
    const auto result = std::to_chars(text, text + sizeof text, value,
                                      positional ? std::chars_format::fixed
                                                 : std::chars_format::scientific);
    std::string out(text, result.ptr);
    if (positional && out.find('.') == std::string::npos)
        out += ".0";
    return out;
}

std::string render_json(const CoverageData &data, bool with_contexts,
                        const std::string &timestamp) {
    std::string out = "{\"meta\": {\"version\": " + json_string(generator_version()) +
                      ", \"timestamp\": " + json_string(timestamp) +
                      ", \"branch_coverage\": false, \"show_contexts\": " +
                      (with_contexts ? "true" : "false") + "}, \"files\": {";
    std::size_t covered_total = 0;
    std::size_t statements_total = 0;
    bool first = true;
    for (const FileFigures &f : all_figures(data)) {
        if (!first)
            out += ", ";
        first = false;
        covered_total += f.executed.size();
        statements_total += f.statements();
        out += json_string(f.name) + ": {\"executed_lines\": " + int_list(f.executed) +
               ", \"summary\": " + summary(f.executed.size(), f.statements()) +
               ", \"missing_lines\": " + int_list(f.missing) + ", \"excluded_lines\": []";
        if (with_contexts) {
            out += ", \"contexts\": {";
            bool first_line = true;
            for (const std::uint32_t line : f.executed) {
                if (!first_line)
                    out += ", ";
                first_line = false;
                out += "\"" + std::to_string(line) + "\": [";
                bool first_context = true;
                for (const std::string &context : f.file->executed.at(line)) {
                    if (!first_context)
                        out += ", ";
                    first_context = false;
                    out += json_string(context);
                }
                out += "]";
            }
            out += "}";
        }
        out += "}";
    }
    out += "}, \"totals\": " + summary(covered_total, statements_total) + "}";
    return out;
}

}  // namespace tach::coverage
