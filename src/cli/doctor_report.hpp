// The wording of `tach --doctor`: what the kernel offers snapshot isolation
// and what an engine started on the project reports.  Pure text; the
// probing and the engine are doctor.cpp's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tach.hpp"

namespace tach_cli {

// What the engine told the doctor.
struct DoctorEngineInfo {
    std::string project;           // the directory the engine ran pytest in
    std::string python_version;
    std::string pytest_version;
    std::size_t tests = 0;         // collected and selected
    std::size_t deselected = 0;
    std::size_t collect_errors = 0;
    std::string isolation;         // what auto resolved to: "snapshot", "fork"
    std::string isolation_reason;
    std::string python_option;     // --python as given; "" when not given
};

// "label:" padded so that the values line up.
std::string doctor_line(std::string_view label, std::string_view value);

// "yes" / "no", with a note for the optional one.
std::vector<std::string> doctor_capability_lines(const tach::Capabilities &caps);
std::vector<std::string> doctor_engine_lines(const DoctorEngineInfo &info);

// One line per worker (the Python it embeds, its file, the interpreter),
// under the label "workers"; the default worker first.
std::vector<std::string> doctor_worker_lines(const std::vector<tach::WorkerInfo> &workers);

// "engine: WHAT (CODE NAME)" and, indented below it, the message's lines:
// why the engine could not start (or snapshot).
std::string doctor_engine_failure(std::string_view what, std::string_view message,
                                  std::string_view code_name);

} // namespace tach_cli
