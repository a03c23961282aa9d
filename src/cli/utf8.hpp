// UTF-8 helpers for the CLI: decoding code points (for XML escaping) and
// measuring/trimming text by columns (for fitting lines to the terminal).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tach_cli {

// Decode the code point starting at text[pos] and advance pos past it.
// An invalid or truncated sequence yields U+FFFD and advances one byte, so
// every input decodes to something and the loop always terminates.
char32_t next_code_point(std::string_view text, std::size_t &pos);

// Append the UTF-8 encoding of cp to out.
void append_utf8(std::string &out, char32_t cp);

// Columns the text occupies: one per code point, ignoring escape-free
// subtleties such as wide East Asian characters and combining marks.
std::size_t display_width(std::string_view text);

// The longest prefix of text that fits in `columns`, cut at a code point
// boundary.
std::string_view prefix_fitting(std::string_view text, std::size_t columns);

// Python's str.strip() with no argument: the text without the whitespace
// (as str.isspace() sees it, incl. \x1c-\x1f, U+0085, U+00A0, U+3000, ...)
// at either end.
std::string_view python_strip(std::string_view text);

} // namespace tach_cli
