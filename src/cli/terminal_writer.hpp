// Writing to the terminal the way pytest's TerminalWriter does: lines that
// fill the terminal width, separator lines ("==== title ===="), optional
// ANSI colour, and tracking of the current column for right-aligned text.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "arguments.hpp"
#include "style.hpp"

namespace tach_cli {

// Terminal width as pytest computes it: $COLUMNS if a positive number, else
// the size of the terminal on fd, else 80; anything under 40 becomes 80.
std::size_t terminal_width(const char *columns_env, int fd);

// Whether to colour: --color yes/no wins; then NO_COLOR (off), FORCE_COLOR
// (on); otherwise only on a terminal whose TERM is not "dumb".
bool should_use_color(ColorChoice choice, int fd);

// The text with ANSI escapes for style (unchanged for the default style).
std::string paint(std::string_view text, Style style);

// How many separator characters go on each side of a title so that
// "FILL title FILL" is as long as possible within fullwidth, and whether
// one more fits at the end (pytest's TerminalWriter.sep).
struct SepLayout {
    std::size_t fill = 0;
    bool extra = false;
};
SepLayout sep_layout(std::size_t title_width, std::size_t fullwidth);

// A whole separator line without colour, e.g. "=== title ===".  An empty
// title gives a line of sepchar only.
std::string sep_line(char sepchar, std::string_view title, std::size_t fullwidth);

class TerminalWriter {
public:
    TerminalWriter(std::FILE *out, std::size_t width, bool markup);

    std::size_t width() const { return width_; }
    bool markup() const { return markup_; }
    // Columns already written on the current line.
    std::size_t column() const { return column_; }

    void write(std::string_view text, Style style = {});
    void line(std::string_view text = {}, Style style = {});
    void sep(char sepchar, std::string_view title = {}, Style style = {});
    void flush();

private:
    std::FILE *out_;
    std::size_t width_;
    bool markup_;
    std::size_t column_ = 0;
};

} // namespace tach_cli
