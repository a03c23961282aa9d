// Text from a worker is promised to the library's callers as UTF-8
// (tach.h).  A broken or hostile worker may send anything: the host
// repairs every string it passes on.
#pragma once

#include <string>
#include <string_view>

namespace tach {

// Whether `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Replaces each ill-formed sequence with U+FFFD, in place.  Returns
// whether anything was replaced.
bool repair_utf8(std::string &text);

}  // namespace tach
