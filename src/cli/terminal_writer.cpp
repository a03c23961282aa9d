#include "terminal_writer.hpp"

#include <cstdlib>
#include <cstring>
#include <sys/ioctl.h>
#include <unistd.h>

#include "utf8.hpp"

namespace tach_cli {

std::size_t terminal_width(const char *columns_env, int fd) {
    long width = 0;
    if (columns_env && *columns_env) {
        char *end = nullptr;
        const long n = std::strtol(columns_env, &end, 10);
        if (*end == '\0' && n > 0)
            width = n;
    }
    if (width == 0) {
        struct winsize ws {};
        if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            width = ws.ws_col;
        else
            width = 80;
    }
    return width < 40 ? 80 : static_cast<std::size_t>(width);
}

bool should_use_color(ColorChoice choice, int fd) {
    if (choice == ColorChoice::Yes)
        return true;
    if (choice == ColorChoice::No)
        return false;
    if (std::getenv("NO_COLOR"))
        return false;
    if (std::getenv("FORCE_COLOR"))
        return true;
    const char *term = std::getenv("TERM");
    return isatty(fd) && !(term && std::strcmp(term, "dumb") == 0);
}

std::string paint(std::string_view text, Style style) {
    std::string codes;
    switch (style.color) {
    case Color::Red: codes += "\x1b[31m"; break;
    case Color::Green: codes += "\x1b[32m"; break;
    case Color::Yellow: codes += "\x1b[33m"; break;
    case Color::Default: break;
    }
    if (style.bold)
        codes += "\x1b[1m";
    if (codes.empty())
        return std::string(text);
    return codes + std::string(text) + "\x1b[0m";
}

SepLayout sep_layout(std::size_t title_width, std::size_t fullwidth) {
    // 2 spaces + 2 * fill + title <= fullwidth, with at least one on each side.
    SepLayout layout;
    layout.fill = fullwidth > title_width + 2 ? (fullwidth - title_width - 2) / 2 : 0;
    if (layout.fill < 1)
        layout.fill = 1;
    layout.extra = 2 * layout.fill + title_width + 2 + 1 <= fullwidth;
    return layout;
}

std::string sep_line(char sepchar, std::string_view title, std::size_t fullwidth) {
    if (title.empty())
        return std::string(fullwidth, sepchar);
    const SepLayout layout = sep_layout(display_width(title), fullwidth);
    const std::string fill(layout.fill, sepchar);
    std::string line = fill + " " + std::string(title) + " " + fill;
    if (layout.extra)
        line += sepchar;
    return line;
}

TerminalWriter::TerminalWriter(std::FILE *out, std::size_t width, bool markup)
    : out_(out), width_(width), markup_(markup) {}

void TerminalWriter::write(std::string_view text, Style style) {
    if (text.empty())
        return;
    const std::string out = markup_ ? paint(text, style) : std::string(text);
    std::fwrite(out.data(), 1, out.size(), out_);
    const auto newline = text.rfind('\n');
    if (newline == std::string_view::npos)
        column_ += display_width(text);
    else
        column_ = display_width(text.substr(newline + 1));
}

void TerminalWriter::line(std::string_view text, Style style) {
    write(text, style);
    std::fputc('\n', out_);
    column_ = 0;
}

void TerminalWriter::sep(char sepchar, std::string_view title, Style style) {
    line(sep_line(sepchar, title, width_), style);
}

void TerminalWriter::flush() { std::fflush(out_); }

} // namespace tach_cli
