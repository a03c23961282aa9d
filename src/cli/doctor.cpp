#include "doctor.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "doctor_report.hpp"
#include "help_text.hpp"
#include "summary.hpp"

namespace tach_cli {

namespace {

void print_lines(const std::vector<std::string> &lines) {
    for (const std::string &line : lines)
        std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

void print_failure(const char *what, const tach::Error &error) {
    std::printf("%s\n", doctor_engine_failure(what, error.what(), error.code_name()).c_str());
    std::fflush(stdout);
}

// Whether `--sandbox` works here: an engine started in the sandbox (user,
// mount and network namespaces) that collects this project.
std::string sandbox_status(const tach::InitOptions &options) {
    tach_init_options raw = options.capi();
    raw.sandbox = 1;
    tach_engine *handle = nullptr;
    const int status = tach_init(&handle, &raw);
    std::string text = "available (--sandbox: new user, mount and network namespaces)";
    if (status != TACH_OK) {
        const char *message = tach_errmsg(handle);
        text = std::string("unavailable: ") + (message && *message ? message : tach_strerror(status));
        const std::size_t newline = text.find('\n');
        if (newline != std::string::npos)
            text.resize(newline);
        // The worker's own wording is made for a run, not for this line.
        for (const std::string noise : {"the sandbox is unavailable here: ", " (tach --doctor tells more)"})
            if (const std::size_t at = text.find(noise); at != std::string::npos)
                text.erase(at, noise.size());
    }
    tach_shutdown(handle);
    return text;
}

} // namespace

int run_doctor(const Arguments &args, const tach::InitOptions &options) {
    std::printf("%s\n", version_text().c_str());
    try {
        print_lines(doctor_capability_lines(tach::probe_capabilities()));
    } catch (const tach::Error &error) {
        std::printf("%s\n", doctor_line("kernel", std::string("cannot probe: ") + error.what() +
                                                      " (" + error.code_name() + ")")
                                .c_str());
        return kExitInternalError;
    }
    print_lines(doctor_worker_lines(tach::workers()));
    if (const char *verify = std::getenv("TACH_VERIFY_RESTORE"); verify && *verify)
        print_lines({doctor_line("TACH_VERIFY_RESTORE",
                                 std::string(verify) +
                                     " (restored pages are compared with the golden image)")});

    tach::InitOptions auto_options = options;
    auto_options.isolation(tach::Isolation::Auto);
    tach::Engine engine(nullptr);
    try {
        engine = tach::Engine::init(auto_options);
    } catch (const tach::Error &error) {
        print_failure("could not start", error);
        return kExitInternalError;
    }
    DoctorEngineInfo info;
    std::error_code ec;
    info.project = std::filesystem::current_path(ec).string();
    info.python_version = engine.python_version();
    info.pytest_version = engine.pytest_version();
    info.tests = engine.test_count();
    info.deselected = engine.deselected_count();
    info.collect_errors = engine.collect_errors().size();
    info.python_option = args.python;
    try {
        engine.snapshot();
    } catch (const tach::Error &error) {
        // What was learnt so far is still worth showing.
        info.isolation = "unknown";
        print_lines(doctor_engine_lines(info));
        print_failure("tach_snapshot failed", error);
        return kExitInternalError;
    }
    info.isolation = std::string(tach::isolation_name(engine.isolation()));
    info.isolation_reason = engine.isolation_reason();
    print_lines(doctor_engine_lines(info));
    print_lines({doctor_line("sandbox", sandbox_status(auto_options))});
    return kExitOk;
}

} // namespace tach_cli
