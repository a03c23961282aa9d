#include "progress_line.hpp"

#include <cstdio>

namespace tach_cli {

std::string progress_text(std::size_t done, std::size_t total, std::size_t failed, double elapsed,
                          std::size_t workers, std::size_t width) {
    const int digits = static_cast<int>(std::to_string(total).size());
    char buf[160];
    std::snprintf(buf, sizeof buf, "[%*zu/%zu] %zu failed, %.1fs, %zu workers", digits, done, total, failed,
                  elapsed, workers);
    std::string text = buf;
    if (width > 0 && text.size() > width)
        text.resize(width);
    return text;
}

std::string progress_redraw(const std::string &text) { return "\r" + text + "\x1b[K"; }

std::string progress_erase() { return "\r\x1b[K"; }

} // namespace tach_cli
