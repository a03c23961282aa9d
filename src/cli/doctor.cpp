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
    return kExitOk;
}

} // namespace tach_cli
