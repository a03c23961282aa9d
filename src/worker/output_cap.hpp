// Bounding what one test's result carries to the host: a test that prints
// 100 MB must not make the host (or its JUnit report) hold 100 MB.
#pragma once

#include <cstddef>
#include <string>

namespace tach::worker {

// Per text field of a result (stdout, stderr, longrepr): its first and
// last kOutputKeepBytes / 2 are kept around a one-line note of what was cut.
inline constexpr std::size_t kOutputKeepBytes = std::size_t{4} << 20;

// Cuts `text` in place if it is longer than kOutputKeepBytes (never inside
// a UTF-8 sequence).  Returns whether it did.
bool cap_output(std::string &text, std::size_t keep = kOutputKeepBytes);

}  // namespace tach::worker
