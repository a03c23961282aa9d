// Validating tach_init_options and filling in defaults.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "supervisor/engine.hpp"
#include "supervisor/install_paths.hpp"
#include "supervisor/worker_set.hpp"
#include "common/interpreter_version.hpp"
#include "tach_paths.h"

namespace tach {
namespace {

// The layouts a caller may pass: the first published one (up to
// shim_path) and the current one (with the coverage fields).  Any other
// size is a caller that was not initialised with TACH_INIT_OPTIONS_INIT.
constexpr std::size_t kFirstOptionsSize = offsetof(tach_init_options, shim_path) + sizeof(const char *);
constexpr std::size_t kCoverageOptionsSize = offsetof(tach_init_options, ncoverage_sources) + sizeof(std::size_t);
constexpr std::size_t kThirdOptionsSize = offsetof(tach_init_options, debugger) + sizeof(int);
constexpr std::size_t kFourthOptionsSize = sizeof(tach_init_options);
static_assert(offsetof(tach_init_options, coverage) >= kFirstOptionsSize);
static_assert(offsetof(tach_init_options, max_worker_memory) >= kCoverageOptionsSize);

// A worker's address space just to start Python and pytest is ~100-300 MiB
// (docs/hardening.md); a limit below this floor is surely a unit mistake.
constexpr std::uint64_t kMinWorkerMemory = std::uint64_t{64} << 20;

bool is_directory(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}


// A name without '/' is looked up on $PATH, as a shell would.
int resolve_python(const std::string &given, std::string *python, std::string *message) {
    *python = given;
    if (!given.empty() && given.find('/') == std::string::npos) {
        const char *path = std::getenv("PATH");
        std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
        std::size_t start = 0;
        for (;;) {
            std::size_t colon = dirs.find(':', start);
            std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
            std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + given;
            if (access(candidate.c_str(), X_OK) == 0 && !is_directory(candidate)) {
                *python = candidate;
                break;
            }
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        if (python->find('/') == std::string::npos) {
            *message = "tach_init: interpreter " + given + " not found on $PATH";
            return TACH_EINTERP;
        }
    }
    if (python->empty() || access(python->c_str(), X_OK) != 0 || is_directory(*python)) {
        *message = "tach_init: interpreter " + given + " does not exist or is not executable";
        return TACH_EINTERP;
    }
    // The worker runs in the project root: a relative path is the caller's.
    // Not realpath(): a virtualenv's python is a symlink that must stay one.
    char cwd[PATH_MAX];
    if ((*python)[0] != '/' && getcwd(cwd, sizeof cwd)) *python = std::string(cwd) + "/" + *python;
    return TACH_OK;
}

std::string how_to_build_worker(const std::string &python) {
    return "configure tach with -Dpythons=" + python +
           " (CPython 3.10 or newer, built with a shared libpython, with its headers) and rebuild";
}

bool version_below_3_10(const std::string &version) {
    int major = 0, minor = 0;
    if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return false;
    return major < 3 || (major == 3 && minor < 10);
}

// The worker: the one options.worker_path or $TACH_WORKER names, else the
// build's worker for the chosen interpreter's Python version.
int choose_worker(const tach_init_options *opts, const InstallPaths &defaults, EngineOptions *out,
                  std::string *message) {
    const bool forced = opts->worker_path || defaults.worker_from_env;
    out->worker_path = opts->worker_path ? opts->worker_path : defaults.worker;
    char resolved[PATH_MAX];
    if (realpath(out->worker_path.c_str(), resolved)) out->worker_path = resolved;
    if (access(out->worker_path.c_str(), X_OK) != 0) {
        *message = "tach_init: worker executable " + out->worker_path +
                   " not found (set options.worker_path or $TACH_WORKER)";
        return TACH_ENOTFOUND;
    }
    if (out->python.empty()) return TACH_OK;  // the worker's own interpreter
    const InterpreterIdentity id = identify_interpreter(out->python);
    if (id.version.empty()) return TACH_OK;  // the worker checks what it can
    if (forced) {
        // A worker of a known set says which Python it embeds; another one
        // checks the interpreter itself when it starts.
        const std::string dir = out->worker_path.substr(0, out->worker_path.rfind('/'));
        const std::vector<WorkerEntry> set = read_worker_set(dir);
        const WorkerEntry *w = find_worker(set, out->worker_path);
        if (w && w->version != id.version) {
            const WorkerEntry *other = pick_worker(set, id);
            *message = "tach_init: " + out->python + " is Python " + id.version + ", but the worker " +
                       out->worker_path + " (" + (opts->worker_path ? "options.worker_path" : "$TACH_WORKER") +
                       ") embeds Python " + w->full_version + "; " +
                       (other ? "use " + other->path : how_to_build_worker(out->python));
            return TACH_EINTERP;
        }
        return TACH_OK;
    }
    std::vector<WorkerEntry> set = read_worker_set(defaults.worker_dir);
    if (set.empty())  // a build without tach-workers.list: its one worker
        set.push_back({defaults.worker, TACH_PYTHON_VERSION, TACH_PYTHON_VERSION, TACH_DEFAULT_PYTHON, ""});
    const WorkerEntry *w = pick_worker(set, id);
    if (!w) {
        *message = "tach_init: " + out->python + " is Python " + id.version +
                   ", and this tach has no worker for it (it has Python " + describe_worker_set(set) + " in " +
                   defaults.worker_dir + "); " +
                   (version_below_3_10(id.version) ? std::string("tach needs Python 3.10 or newer")
                    : id.version.back() == 't'
                        ? std::string("free-threaded builds are not supported (docs/compatibility.md)")
                        : "to get one, " + how_to_build_worker(out->python));
        return TACH_EINTERP;
    }
    out->worker_path = realpath(w->path.c_str(), resolved) ? std::string(resolved) : w->path;
    if (access(out->worker_path.c_str(), X_OK) != 0) {
        *message = "tach_init: the worker for Python " + id.version + ", " + w->path +
                   ", is listed in tach-workers.list but missing (rebuild or reinstall tach)";
        return TACH_ENOTFOUND;
    }
    return TACH_OK;
}


}  // namespace

int resolve_options(const tach_init_options *opts, EngineOptions *out, std::string *message) {
    if (!opts) {
        *message = "tach_init: options must not be NULL (use TACH_INIT_OPTIONS_INIT)";
        return TACH_EINVAL;
    }
    if (opts->size != kFirstOptionsSize && opts->size != kCoverageOptionsSize && opts->size != kThirdOptionsSize &&
        opts->size != kFourthOptionsSize) {
        *message = "tach_init: options.size is " + std::to_string(opts->size) +
                   ", which this library (" TACH_VERSION_STRING ") does not know; initialise the "
                   "struct with TACH_INIT_OPTIONS_INIT or tach_init_options_init()";
        return TACH_EINVAL;
    }
    if (opts->nargs > 0 && !opts->args) {
        *message = "tach_init: options.args is NULL but options.nargs is " + std::to_string(opts->nargs);
        return TACH_EINVAL;
    }
    for (std::size_t i = 0; i < opts->nargs; ++i) {
        if (!opts->args[i]) {
            *message = "tach_init: options.args[" + std::to_string(i) + "] is NULL";
            return TACH_EINVAL;
        }
        out->args.emplace_back(opts->args[i]);
    }
    // Read as the int a C caller stored: in C++ an enum object holding a
    // value outside its enumerators' range may not even be loaded.
    int isolation = 0;
    static_assert(sizeof isolation == sizeof opts->isolation);
    std::memcpy(&isolation, &opts->isolation, sizeof isolation);
    switch (isolation) {
    case TACH_ISOLATION_AUTO:
    case TACH_ISOLATION_FORK:
    case TACH_ISOLATION_NONE:
    case TACH_ISOLATION_SNAPSHOT:
        out->isolation = static_cast<tach_isolation>(isolation);
        break;
    default:
        *message = "tach_init: unknown isolation mode " + std::to_string(isolation);
        return TACH_EINVAL;
    }
    if (!std::isfinite(opts->timeout_seconds)) {
        *message = "tach_init: options.timeout_seconds must be a finite number";
        return TACH_EINVAL;
    }
    out->timeout_seconds = opts->timeout_seconds > 0 ? opts->timeout_seconds : 0;

    std::string root;
    if (opts->project_root) {
        root = opts->project_root;
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            *message = std::string("tach_init: cannot read the current directory: ") + std::strerror(errno);
            return TACH_ENOTFOUND;
        }
        root = cwd;
    }
    char resolved[PATH_MAX];
    if (!realpath(root.c_str(), resolved)) {
        *message = "tach_init: project root " + root + ": " + std::strerror(errno);
        return TACH_ENOTFOUND;
    }
    if (!is_directory(resolved)) {
        *message = "tach_init: project root " + root + " is not a directory";
        return TACH_ENOTFOUND;
    }
    out->project_root = resolved;

    // Coverage (not in the first layout, whose callers get it off; the
    // fields past their struct are never read).
    const bool has_coverage = opts->size >= kCoverageOptionsSize;
    out->coverage = has_coverage && opts->coverage != 0;
    if (has_coverage && opts->ncoverage_sources > 0) {
        if (!opts->coverage_sources) {
            *message = "tach_init: options.coverage_sources is NULL but options.ncoverage_sources is " +
                       std::to_string(opts->ncoverage_sources);
            return TACH_EINVAL;
        }
        for (std::size_t i = 0; i < opts->ncoverage_sources; ++i) {
            const char *dir = opts->coverage_sources[i];
            if (!dir || !*dir) {
                *message = "tach_init: options.coverage_sources[" + std::to_string(i) + "] is " +
                           (dir ? "empty" : "NULL");
                return TACH_EINVAL;
            }
            std::error_code ec;
            std::filesystem::path p = std::filesystem::path(out->project_root) / dir;  // absolute dir stays
            std::filesystem::path canonical = std::filesystem::weakly_canonical(p, ec);
            out->coverage_sources.push_back(ec ? p.lexically_normal().string() : canonical.string());
        }
    }
    if (out->coverage && out->coverage_sources.empty()) out->coverage_sources.push_back(out->project_root);

    // Resource limits, sandbox, debugger (third layout).
    if (opts->size >= kThirdOptionsSize) {
        out->max_worker_memory = opts->max_worker_memory;
        out->sandbox = opts->sandbox != 0;
        out->debugger = opts->debugger != 0;
    }
    if (opts->size >= kFourthOptionsSize) out->keep_collection_base = opts->keep_collection_base != 0;
    // Below what the worker needs just to start Python and pytest, every
    // worker would die at once: refused with a clear message instead.
    if (out->max_worker_memory != 0 && out->max_worker_memory < kMinWorkerMemory) {
        *message = "tach_init: options.max_worker_memory is " + std::to_string(out->max_worker_memory) +
                   " bytes; a worker needs at least " + std::to_string(kMinWorkerMemory >> 20) +
                   " MiB of address space (0: no limit)";
        return TACH_EINVAL;
    }

    InstallPaths defaults = default_install_paths();
    if (opts->python) {
        if (int rc = resolve_python(opts->python, &out->python, message); rc != TACH_OK) return rc;
    }
    if (int rc = choose_worker(opts, defaults, out, message); rc != TACH_OK) return rc;
    out->shim_dir = opts->shim_path ? opts->shim_path : defaults.shim_dir;
    // The worker runs in the project root: relative paths are the caller's.
    if (realpath(out->shim_dir.c_str(), resolved)) out->shim_dir = resolved;
    if (!is_directory(out->shim_dir + "/tach_shim")) {
        *message = "tach_init: the Python shim (tach_shim) is not in " + out->shim_dir +
                   " (set options.shim_path or $TACH_SHIM_DIR)";
        return TACH_ENOTFOUND;
    }
    return TACH_OK;
}

}  // namespace tach
