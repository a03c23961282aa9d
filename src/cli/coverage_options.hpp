// pytest-cov's options as tach takes them (--cov, --cov-report,
// --cov-context, --no-cov) and what the coverage section of the report
// says.  Pure: the engine calls live in main.cpp.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tach_cli {

// What was on the command line, as pytest-cov records it.
struct CoverageArguments {
    bool cov = false;                 // --cov given at least once
    bool all_sources = false;         // a bare --cov (or --cov=): the project root
    std::vector<std::string> sources; // --cov=SOURCE values, in order
    // --cov-report: kind ("term", "term-missing", "xml", "json", "lcov", or
    // "" for "no report") -> output file ("" for the default); the last
    // of a kind wins.
    std::map<std::string, std::string> reports;
    bool contexts = false;            // --cov-context=test
    bool no_cov = false;              // --no-cov
};

// Parse one --cov-report value ("term", "term-missing", "xml",
// "xml:FILE", "json[:FILE]", "lcov[:FILE]", or "" for none) into
// out.reports.  Throws UsageError naming option.
void parse_cov_report(std::string_view option, std::string_view value, CoverageArguments &out);
// --cov-context's value: only "test".  Throws UsageError.
void parse_cov_context(std::string_view option, std::string_view value, CoverageArguments &out);

enum class CoverageFile { Xml, Json, Lcov };

struct CoverageOutput {
    CoverageFile kind;
    std::string path;
};

// What a run does about coverage.
struct CoveragePlan {
    bool enabled = false;             // measure at all
    std::vector<std::string> sources; // for tach_init; empty: the project root
    bool table = false;               // print the term table ...
    bool missing = false;             // ... with the Missing column
    std::vector<CoverageOutput> files;  // in the order pytest-cov writes them
    bool contexts = false;
};

// pytest-cov's rules: coverage only with --cov and without --no-cov; a
// bare --cov measures the whole project whatever else is given; no
// --cov-report means term; "--cov-report=" alone means no report; term and
// term-missing together print one table, with Missing.  Default files:
// coverage.xml, coverage.json, coverage.lcov.
CoveragePlan coverage_plan(const CoverageArguments &args);

// sys.version_info as pytest-cov prints it, from a version such as
// "3.11.7" or "3.13.0rc1": "3.11.7-final-0", "3.13.0-candidate-1".
std::string python_version_info(std::string_view version);

// The section's title line, pytest-cov's fixed-width one:
// "---------- coverage: platform linux, python 3.11.7-final-0 -----------".
std::string coverage_title_line(std::string_view python_version);

// "Coverage XML written to file coverage.xml" (and JSON, LCOV).
std::string coverage_written_line(const CoverageOutput &output);

} // namespace tach_cli
