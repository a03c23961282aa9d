#include "worker/environ_copy.hpp"

#include <cstdlib>
#include <cstring>

extern char **environ;

namespace tach::worker {

bool move_environ_to_heap() {
    std::size_t n = 0;
    while (environ && environ[n]) ++n;
    // Deliberately malloc'd and never freed: it becomes the process's
    // environment for its whole life, as glibc's own array would be.
    auto **copy = static_cast<char **>(std::calloc(n + 1, sizeof(char *)));
    if (!copy) return false;
    for (std::size_t i = 0; i < n; ++i) {
        copy[i] = strdup(environ[i]);
        if (!copy[i]) return false;
    }
    environ = copy;
    return true;
}

}  // namespace tach::worker
