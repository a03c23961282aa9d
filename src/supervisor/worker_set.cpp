#include "supervisor/worker_set.hpp"

#include <climits>
#include <cstdlib>
#include <fstream>

namespace tach {
namespace {

std::string real_path(const std::string &path) {
    char resolved[PATH_MAX];
    return realpath(path.c_str(), resolved) ? std::string(resolved) : path;
}

std::vector<std::string> split_tabs(const std::string &line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
        std::size_t tab = line.find('\t', start);
        fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) return fields;
        start = tab + 1;
    }
}

}  // namespace

std::vector<WorkerEntry> read_worker_set(const std::string &dir) {
    std::vector<WorkerEntry> workers;
    std::ifstream list(dir + "/tach-workers.list");
    std::string line;
    while (std::getline(list, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f = split_tabs(line);
        if (f.size() < 5 || f[0].empty() || f[0].find('/') != std::string::npos) continue;
        workers.push_back({dir + "/" + f[0], f[1], f[2], f[3], f[4]});
    }
    return workers;
}

const WorkerEntry *pick_worker(const std::vector<WorkerEntry> &workers, const InterpreterIdentity &python) {
    const WorkerEntry *first = nullptr;
    for (const WorkerEntry &w : workers) {
        if (w.version != python.version) continue;
        if (!python.base_prefix.empty() && real_path(w.base_prefix) == python.base_prefix) return &w;
        if (!first) first = &w;
    }
    return first;
}

const WorkerEntry *find_worker(const std::vector<WorkerEntry> &workers, const std::string &path) {
    const std::string wanted = real_path(path);
    for (const WorkerEntry &w : workers)
        if (real_path(w.path) == wanted) return &w;
    return nullptr;
}

std::string describe_worker_set(const std::vector<WorkerEntry> &workers) {
    std::string text;
    for (const WorkerEntry &w : workers) {
        if (!text.empty()) text += ", ";
        text += w.full_version + " (" + w.path.substr(w.path.rfind('/') + 1) + ")";
    }
    return text.empty() ? "none" : text;
}

}  // namespace tach
