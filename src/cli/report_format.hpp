// How pytest names and words things in its terminal report: the file part
// of a node id, a test's headline ("TestA.test_b[1-2]"), the progress
// letter and word of each outcome, the progress percentage and the lines
// of the short test summary.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "session.hpp"
#include "style.hpp"
#include "tach.hpp"

namespace tach_cli {

// "tests/test_x.py" for "tests/test_x.py::TestA::test_b[1-2]".
std::string_view file_part(std::string_view nodeid);

// The name pytest shows in section headers: the parts after the file,
// joined with '.', without "()" instance parts: "TestA.test_b[1-2]".
// "::" inside the parameter brackets is left alone.
std::string head_line(std::string_view nodeid);

// Progress letter: . F s x X E C T.
char outcome_letter(tach::Outcome outcome);
// Verbose word, also used in the short test summary:
// PASSED FAILED SKIPPED XFAIL XPASS ERROR CRASHED TIMEOUT.
std::string_view outcome_word(tach::Outcome outcome);
Color outcome_color(tach::Outcome outcome);

// " [ 40%]": done*100/total, as pytest rounds it down.
std::string progress_text(std::size_t done, std::size_t total);

// pytest's _format_trimmed: `before + first line of text + after`, the
// text cut and ended with "..." so that the whole fits in `available`
// columns; "" when not even "before...after" fits or text is empty.  With
// `untrimmed` (pytest does so on CI) only the first line is taken.
std::string format_trimmed(std::string_view before, std::string_view text,
                           std::string_view after, std::size_t available,
                           bool untrimmed = false);

// The message pytest's short test summary shows after " - ": the crash
// message, or "" when the report had no reprcrash (its longrepr was a bare
// string, as for a strict XPASS or pytest.fail(pytrace=False)), which shows
// here as a message equal to the whole text.
std::string_view summary_message(std::string_view message, std::string_view longrepr);

// pytest shows skip/xfail reasons without "Skipped: " / "reason: ".
std::string_view bare_reason(std::string_view message);

} // namespace tach_cli
