#include "utf8.hpp"

namespace tach_cli {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Python's str.isspace() for one code point.
bool python_space(char32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 ||
           cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

} // namespace

char32_t next_code_point(std::string_view text, std::size_t &pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length;
    char32_t cp;
    char32_t minimum;
    if (lead < 0x80) {
        pos += 1;
        return lead;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2, cp = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, cp = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, cp = lead & 0x07, minimum = 0x10000;
    } else {
        pos += 1;
        return kReplacement;
    }
    if (pos + length > text.size()) {
        pos += 1;
        return kReplacement;
    }
    for (std::size_t i = 1; i < length; i++) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        if (!is_continuation(byte)) {
            pos += 1;
            return kReplacement;
        }
        cp = (cp << 6) | (byte & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        pos += 1;
        return kReplacement;
    }
    pos += length;
    return cp;
}

void append_utf8(std::string &out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::size_t display_width(std::string_view text) {
    std::size_t columns = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        next_code_point(text, pos);
        columns++;
    }
    return columns;
}

std::string_view prefix_fitting(std::string_view text, std::size_t columns) {
    std::size_t pos = 0;
    for (std::size_t used = 0; pos < text.size() && used < columns; used++)
        next_code_point(text, pos);
    return text.substr(0, pos);
}

std::string_view python_strip(std::string_view text) {
    std::size_t begin = text.size();
    std::size_t end = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t start = pos;
        const char32_t cp = next_code_point(text, pos);
        // An invalid byte decodes to U+FFFD, which is not a space either.
        if (python_space(cp))
            continue;
        if (begin == text.size())
            begin = start;
        end = pos;
    }
    return begin < end ? text.substr(begin, end - begin) : std::string_view();
}

} // namespace tach_cli
