#include "common/interpreter_version.hpp"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <regex>

namespace tach {
namespace {

std::string dirname_of(const std::string &path) {
    auto slash = path.rfind('/');
    if (slash == 0) return "/";
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string real_path(const std::string &path) {
    char resolved[PATH_MAX];
    return realpath(path.c_str(), resolved) ? std::string(resolved) : std::string();
}

std::string trim(std::string s) {
    s.erase(0, s.find_first_not_of(" \t\r"));
    s.erase(s.find_last_not_of(" \t\r") + 1);
    return s;
}

// "3.12.1" -> "3.12"
std::string major_minor(const std::string &version) {
    static const std::regex re(R"(^\s*(\d+)\.(\d+))");
    std::smatch m;
    if (!std::regex_search(version, m, re)) return "";
    return m[1].str() + "." + m[2].str();
}

// pyvenv.cfg sits in the venv's root, one level above bin/python.  Returns
// false when there is none.
bool from_pyvenv_cfg(const std::string &python, InterpreterIdentity *out) {
    for (const std::string &dir : {dirname_of(python), dirname_of(dirname_of(python))}) {
        std::ifstream cfg(dir + "/pyvenv.cfg");
        if (!cfg) continue;
        std::string line;
        while (std::getline(cfg, line)) {
            auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            std::string key = trim(line.substr(0, eq));
            std::string value = trim(line.substr(eq + 1));
            if ((key == "version" || key == "version_info") && out->version.empty())
                out->version = major_minor(value);
            // home = the base interpreter's bin/ directory.
            if (key == "home") out->base_prefix = real_path(value + "/..");
        }
        return true;
    }
    return false;
}

}  // namespace

InterpreterIdentity identify_interpreter(const std::string &python) {
    InterpreterIdentity id;
    if (from_pyvenv_cfg(python, &id)) return id;
    std::string resolved = real_path(python);
    if (resolved.empty()) return id;
    std::string name = resolved.substr(resolved.rfind('/') + 1);
    // python3.12; python3.13t is a free-threaded build (a version no worker has).
    static const std::regex re(R"(^python(\d+\.\d+)(t?)$)");
    std::smatch m;
    if (std::regex_match(name, m, re)) id.version = m[1].str() + m[2].str();
    id.base_prefix = dirname_of(dirname_of(resolved));
    return id;
}

std::string interpreter_version(const std::string &python) { return identify_interpreter(python).version; }

}  // namespace tach
