// The texts of --help, --version and usage errors.
#pragma once

#include <string>

namespace tach_cli {

// "usage: tach [PATH|NODEID ...] [options]"
const char *usage_line();
std::string help_text();
// "tach 0.1.0 (libtach 0.1.0)": the CLI's version and the loaded library's.
std::string version_text();

} // namespace tach_cli
