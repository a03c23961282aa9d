// JUnit XML as pytest 7 writes it by default (junit_family=xunit2):
// <testsuites><testsuite name="pytest" ...><testcase classname= name= time=>
// with <failure>, <error> and <skipped> children.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "session.hpp"

namespace tach_cli {

// pytest's bin_xml_escape: characters XML 1.0 does not allow (and DEL)
// become the visible text "#x07" / "#xFFFE".  Not an XML escape.
std::string bin_xml_escape(std::string_view text);

// ElementTree's escaping: & < > in text; also " and \n \r \t in attributes.
std::string xml_escape_text(std::string_view text);
std::string xml_escape_attr(std::string_view text);

// pytest's mangle_test_address: "tests/sub/test_x.py::TestA::test_b[1-2]"
// gives classname "tests.sub.test_x.TestA" and name "test_b[1-2]".
struct TestAddress {
    std::string classname;
    std::string name;
};
TestAddress mangle_test_address(std::string_view nodeid);

// datetime.isoformat() of a local time: "2024-05-01T12:30:45.123456"
// (no fraction when the microseconds are zero).
std::string iso_timestamp(std::chrono::system_clock::time_point when);

// The whole document.
std::string render_junit_xml(const Session &session, std::string_view hostname);

// Write it to path, creating missing parent directories as pytest does.
// On failure returns false and sets error.
bool write_junit_xml(const std::string &path, const std::string &document, std::string &error);

} // namespace tach_cli
