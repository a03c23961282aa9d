// Terminal styles: the few colours pytest's reporter uses.
#pragma once

namespace tach_cli {

enum class Color { Default, Red, Green, Yellow };

struct Style {
    Color color = Color::Default;
    bool bold = false;
};

inline Style colored(Color color, bool bold = false) { return Style{color, bold}; }

} // namespace tach_cli
