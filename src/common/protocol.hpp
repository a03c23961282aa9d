// The host <-> worker protocol: message types and their encoding.
//
// Each frame on the socket is a little-endian u32 payload length followed by
// the payload: one byte of MessageType, then that message's fields in a fixed
// order (u32/i32/f64 little-endian, strings as u32 length + bytes, lists as
// u32 count + items).  Decoding
// never trusts the peer: every read is bounds-checked and a malformed payload
// yields std::nullopt, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tach::protocol {

// Bumped on any incompatible change; host and worker must agree exactly.
inline constexpr std::uint32_t kVersion = 4;
// A frame larger than this is a protocol error (guards against garbage).
// (Test output is capped by the worker, worker/output_cap.hpp; 256 MiB
// still holds millions of node ids or a large project's coverage.)
inline constexpr std::uint32_t kMaxFrame = 1u << 28;

enum class MessageType : std::uint8_t {
    Hello = 1,      // W->H  first message after spawn
    Init = 2,       // H->W  start the interpreter, collect
    Collected = 3,  // W->H  collection outcome
    Snapshot = 4,   // H->W  make the current state the golden image
    Ack = 5,        // W->H  reply to Snapshot / Restore
    Run = 6,        // H->W  run one test
    Started = 7,    // W->H  the test is running in process `pid`
    Result = 8,     // W->H  the test's result
    Restore = 9,    // H->W  back to the golden image
    Shutdown = 10,  // H->W  exit cleanly (no reply)
    RunnerReady = 11,   // Z->H  a snapshot runner was forked; its socket
                        //       comes with this frame (SCM_RIGHTS)
    RunnerExited = 12,  // Z->H  the snapshot runner ended (wait status)
    Restored = 13,      // R->H  the runner restored itself after a test
    Statements = 14,    // H->W  which lines of these files are statements?
    StatementLines = 15,  // W->H  the answer (computed by the shim)
    OpenLane = 16,  // H->Z  fork a lane (RunnerReady with its socket, stderr
                    //       pipe and traceback memfd; then Ack on the lane)
    Recollect = 17, // H->Z  collect again from the parked pre-collection
                    //       state (Collected from the new zygote), or Ack
                    //       with the reason it is out of date
};

// Lines of one source file that ran (coverage): an absolute path and the
// line numbers, ascending and unique.
struct FileLines {
    std::string path;
    std::vector<std::uint32_t> lines;
};

// Outcome codes on the wire; equal to tach_outcome's values.
enum class Outcome : std::uint32_t {
    Passed = 0, Failed = 1, Skipped = 2, XFailed = 3, XPassed = 4,
    Error = 5, Crashed = 6, Timeout = 7,
};
std::optional<Outcome> outcome_from_name(std::string_view name);

struct Hello {
    std::uint32_t version = kVersion;
    std::uint32_t pid = 0;
};

struct Init {
    std::string project_root;
    std::string python;     // "" = the worker's built-in default
    std::string shim_dir;
    std::uint32_t isolation = 0;  // tach_isolation value, already resolved
    std::vector<std::string> args;
    std::uint32_t coverage = 0;        // 1: trace lines (see docs/coverage.md)
    std::vector<std::string> sources;  // absolute directories measured
    // Collect these paths/node ids instead of those pytest took from
    // `args` (the options stay as `args` set them); empty: args' own.
    std::vector<std::string> paths;
    // 1: park the pre-collection state in a process of its own, so that
    // Recollect can collect again from it (worker/collection_base.hpp).
    std::uint32_t keep_base = 0;
};

struct Recollect {
    std::vector<std::string> paths;  // as Init.paths
};

struct CollectError {
    std::string nodeid;
    std::string text;
};

struct Collected {
    std::uint32_t status = 0;  // tach_status; 0 = collected
    std::string message;
    std::string python_version;
    std::string pytest_version;
    std::vector<std::string> nodeids;
    std::vector<CollectError> errors;
    std::uint32_t interrupts = 0;
    std::uint32_t deselected = 0;  // items -k/-m/hooks deselected
    // Coverage on: the lines run while importing and collecting.
    std::vector<FileLines> coverage;
    // pytest's python_files patterns (which files are test modules).
    std::vector<std::string> python_files;
};

struct Ack {
    std::uint32_t status = 0;
    std::string message;
};

// Make the current state the golden image for `isolation`: in snapshot
// isolation the zygote forks a runner (RunnerReady); otherwise it acks.
struct Snapshot {
    std::uint32_t isolation = 0;
};

struct Run {
    std::string nodeid;
    std::uint32_t isolation = 0;  // fork or none: how the zygote runs it
};

// Fork a lane: a process of its own that serves tests on its own socket in
// `isolation` (a snapshot runner, a forker of test children, or in-lane).
struct OpenLane {
    std::uint32_t isolation = 0;
};

struct RunnerReady {
    std::uint32_t pid = 0;
};

struct RunnerExited {
    std::uint32_t pid = 0;
    std::int32_t wait_status = 0;
    std::string stdout_text;  // what its last test wrote before it died
    std::string stderr_text;
};

// Sent by a snapshot runner after each test.  status 0: restored exactly;
// otherwise `reason` says why not, and the runner exits.
struct Restored {
    std::uint32_t status = 0;
    std::uint64_t pages = 0;
    double seconds = 0;
    std::string reason;
};

struct Started {
    std::uint32_t pid = 0;
};

struct Result {
    std::string nodeid;
    Outcome outcome = Outcome::Error;
    double duration = 0.0;
    std::string phase;
    std::string longrepr;
    std::string message;
    std::string stdout_text;
    std::string stderr_text;
    std::int32_t signal = 0;
    std::int32_t exit_status = -1;
    // pytest reports a failing teardown as an extra error beside the
    // test's own outcome; so does tach.
    std::uint32_t teardown_failed = 0;
    std::string teardown_longrepr;
    std::string teardown_message;
    // Coverage on: the lines this test ran (setup, call, teardown).
    std::vector<FileLines> coverage;
};

// The host asks the zygote for the executable statements of `paths`, and
// with `include_unimported` also of every importable .py file under the
// coverage sources.
struct Statements {
    std::vector<std::string> paths;
    std::uint32_t include_unimported = 0;
};

struct FileStatements {
    std::string path;
    std::vector<std::uint32_t> statements;  // first lines of statements
    // Statements spanning several lines, as (first, last) pairs flattened:
    // a line event inside one counts for its first line.
    std::vector<std::uint32_t> multiline;
};

struct StatementLines {
    std::uint32_t status = 0;  // tach_status; files is empty unless 0
    std::string message;
    std::vector<FileStatements> files;
};

// Encoders return a whole frame (length prefix included), ready to write.
std::string encode(const Hello &m);
std::string encode(const Init &m);
std::string encode(const Collected &m);
std::string encode(const Ack &m);
std::string encode(const Run &m);
std::string encode(const Started &m);
std::string encode(const Result &m);
std::string encode(const Snapshot &m);
std::string encode(const RunnerReady &m);
std::string encode(const OpenLane &m);
std::string encode(const RunnerExited &m);
std::string encode(const Restored &m);
std::string encode(const Statements &m);
std::string encode(const StatementLines &m);
std::string encode(const Recollect &m);
std::string encode_empty(MessageType type);  // Restore, Shutdown

// Allocation-free encoders for the snapshot runner, which must not touch
// the heap between a restore and the next test.  Return the frame's size,
// or 0 if `cap` is too small.
std::size_t encode_restored_into(char *buf, std::size_t cap, std::uint32_t status, std::uint64_t pages,
                                 double seconds, std::string_view reason);
std::size_t encode_ack_into(char *buf, std::size_t cap, std::uint32_t status, std::string_view message);

// The type of a payload (frame without its length prefix), if it has one.
std::optional<MessageType> payload_type(std::string_view payload);

// Decoders take a payload (without length prefix) of the matching type.
std::optional<Hello> decode_hello(std::string_view payload);
std::optional<Init> decode_init(std::string_view payload);
std::optional<Collected> decode_collected(std::string_view payload);
std::optional<Ack> decode_ack(std::string_view payload);
std::optional<Run> decode_run(std::string_view payload);
std::optional<Started> decode_started(std::string_view payload);
std::optional<Result> decode_result(std::string_view payload);
std::optional<Snapshot> decode_snapshot(std::string_view payload);
std::optional<RunnerReady> decode_runner_ready(std::string_view payload);
std::optional<OpenLane> decode_open_lane(std::string_view payload);
std::optional<RunnerExited> decode_runner_exited(std::string_view payload);
std::optional<Restored> decode_restored(std::string_view payload);
std::optional<Statements> decode_statements(std::string_view payload);
std::optional<StatementLines> decode_statement_lines(std::string_view payload);
std::optional<Recollect> decode_recollect(std::string_view payload);

}  // namespace tach::protocol
