// The live progress line shown on a terminal while several workers run
// tests: "[ 37/600] 2 failed, 3.4s, 2 workers", redrawn in place.  When the
// output is not a terminal there is no such line (results print as plain
// lines in pytest's order instead).
#pragma once

#include <cstddef>
#include <string>

namespace tach_cli {

// The text, at most `width` columns (cut from the right).
std::string progress_text(std::size_t done, std::size_t total, std::size_t failed, double elapsed,
                          std::size_t workers, std::size_t width);

// Terminal sequences: back to the line's start and erase it, then the text.
std::string progress_redraw(const std::string &text);
std::string progress_erase();

} // namespace tach_cli
