#include "watch_mode.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "../interrupt.hpp"
#include "file_watcher.hpp"

namespace tach_cli::watch {
namespace {

// Quiet time after the last change before re-running (an editor's save is
// several writes; a `git checkout` many files).
constexpr double kDebounceSeconds = 0.3;

std::string relative_to(const std::string &path, const std::string &root) {
    std::error_code ec;
    const auto rel = std::filesystem::relative(path, root, ec);
    const std::string text = ec ? path : rel.string();
    return text.rfind("..", 0) == 0 ? path : text;
}

}  // namespace

void say(const std::string &line) {
    std::fflush(stdout);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

int run_watch(const Arguments &args,
              const std::function<int(const WatchRun &, std::vector<std::string> *python_files)> &run_once) {
    std::error_code ec;
    const std::string root = std::filesystem::current_path(ec).string();
    // The original selection: a changed test file outside it is not run.
    std::vector<std::string> selected;
    for (std::size_t index : args.positional) {
        std::string arg = args.pytest_args[index];
        arg = arg.substr(0, arg.find("::"));
        selected.push_back(std::filesystem::absolute(arg, ec).lexically_normal().string());
    }

    std::string error;
    std::optional<FileWatcher> watcher = FileWatcher::open({root}, &error);
    if (!watcher) {
        std::fprintf(stderr, "ERROR: tach --watch: %s\n", error.c_str());
        return 3;
    }

    WatchRun current;
    std::vector<std::string> python_files;
    for (;;) {
        python_files.clear();
        const int code = run_once(current, &python_files);
        if (interrupt_requested()) return code;
        install_interrupt_handler();
        say("\ntach --watch: waiting for changes under " + root + " (Ctrl-C to stop)");

        RerunPlan plan;
        std::string changed_text;
        for (;;) {
            const std::set<std::string> changed = watcher->wait(kDebounceSeconds, -1, interrupt_requested);
            if (interrupt_requested()) {
                say("tach --watch: stopped");
                return 0;
            }
            if (changed.empty()) continue;
            plan = plan_rerun(changed, selected, python_files);
            changed_text.clear();
            for (const std::string &path : changed)
                changed_text += (changed_text.empty() ? "" : ", ") + relative_to(path, root);
            if (plan.everything || !plan.test_files.empty()) break;
            say("tach --watch: changed (outside the selection, nothing to run): " + changed_text);
        }

        current = WatchRun();
        current.first = false;
        current.new_worker = plan.configuration;
        if (plan.everything) {
            say("tach --watch: changed: " + changed_text + "; re-running everything");
            continue;
        }
        // Only test modules changed: the same options, those files as the
        // selection.
        for (const std::string &file : plan.test_files) current.test_files.push_back(relative_to(file, root));
        say("tach --watch: changed: " + changed_text + "; re-running " + std::to_string(plan.test_files.size()) +
            (plan.test_files.size() == 1 ? " test file" : " test files"));
    }
}

}  // namespace tach_cli::watch
