#include "supervisor/interpreter_version.hpp"

#include <climits>
#include <cstdlib>
#include <fstream>
#include <regex>

namespace tach {
namespace {

std::string dirname_of(const std::string &path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// "3.12.1" -> "3.12"
std::string major_minor(const std::string &version) {
    static const std::regex re(R"(^\s*(\d+)\.(\d+))");
    std::smatch m;
    if (!std::regex_search(version, m, re)) return "";
    return m[1].str() + "." + m[2].str();
}

// pyvenv.cfg sits in the venv's root, one level above bin/python.
std::string from_pyvenv_cfg(const std::string &python) {
    for (const std::string &dir : {dirname_of(python), dirname_of(dirname_of(python))}) {
        std::ifstream cfg(dir + "/pyvenv.cfg");
        std::string line;
        while (std::getline(cfg, line)) {
            auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            std::string key = line.substr(0, eq);
            key.erase(key.find_last_not_of(" \t") + 1);
            if (key == "version" || key == "version_info") return major_minor(line.substr(eq + 1));
        }
    }
    return "";
}

}  // namespace

std::string interpreter_version(const std::string &python) {
    if (std::string v = from_pyvenv_cfg(python); !v.empty()) return v;
    char resolved[PATH_MAX];
    if (!realpath(python.c_str(), resolved)) return "";
    std::string name = resolved;
    name = name.substr(name.rfind('/') + 1);
    static const std::regex re(R"(^python(\d+\.\d+)$)");
    std::smatch m;
    if (std::regex_match(name, m, re)) return m[1].str();
    return "";
}

}  // namespace tach
