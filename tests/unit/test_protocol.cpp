// Unit tests of the host <-> worker protocol (src/common/protocol.cpp) and
// of the frame I/O helpers (src/common/frame_io.cpp), compiled in directly.
//
// What matters most here is that decoding never trusts its input: every
// truncation, a wrong type byte, absurd counts and lengths must give
// std::nullopt (or a malformed status), never a crash or a huge allocation.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
}

#include "common/frame_io.hpp"
#include "common/protocol.hpp"

namespace proto = tach::protocol;
using proto::MessageType;

namespace {

// ----------------------------------------------------------------- helpers

void put_u32(std::string *s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(const std::string &s, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
    return v;
}

// A payload built by hand: type byte, then raw fields.
std::string payload_of(MessageType type) { return std::string(1, static_cast<char>(type)); }

// The payload of an encoded frame, after checking its length prefix.
std::string payload(const std::string &frame) {
    assert_true(frame.size() >= 5);
    assert_int_equal(get_u32(frame, 0), frame.size() - 4);
    return frame.substr(4);
}

void check_string(const std::string &got, const std::string &want) {
    assert_int_equal(got.size(), want.size());
    assert_memory_equal(got.data(), want.data(), want.size());
}

void check_strings(const std::vector<std::string> &got, const std::vector<std::string> &want) {
    assert_int_equal(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) check_string(got[i], want[i]);
}

// Strings that exercise the length-prefixed encoding: empty, embedded NUL,
// non-ASCII, bytes >= 0x80, and one longer than 64 KiB.
const std::string kNul("a\0b", 3);
const std::string kUtf8 = "caf\xc3\xa9 \xe2\x9c\x93";
const std::string kHighBytes("\xff\xfe\x80\x00\x01", 5);
const std::string kLong(70000, 'x');

proto::Hello sample_hello() {
    proto::Hello m;
    m.version = proto::kVersion;
    m.pid = 0xfedcba98u;
    return m;
}

proto::Init sample_init() {
    proto::Init m;
    m.project_root = "/tmp/project root";
    m.python = "";
    m.shim_dir = kUtf8;
    m.isolation = 2;
    m.args = {"tests/", "", "-k", "not slow", kNul, kHighBytes};
    m.coverage = 1;
    m.sources = {"/tmp/project root/src", kUtf8};
    m.paths = {"tests/test_a.py", kHighBytes};
    m.keep_base = 1;
    return m;
}

proto::Collected sample_collected(const std::string &long_text = kLong) {
    proto::Collected m;
    m.status = 6;
    m.message = "usage: pytest\n" + kUtf8;
    m.python_version = "3.11.2";
    m.pytest_version = "7.2.1";
    m.nodeids = {"test_a.py::test_one", "test_a.py::TestB::test_two[1-2]", long_text};
    m.errors = {{"test_broken.py", "ImportError\n" + kNul}, {"", ""}};
    m.interrupts = 1;
    m.deselected = 0xdeadbeefu;
    m.coverage = {{"/tmp/p/pkg/__init__.py", {1, 2, 0xfffffffeu}}, {kUtf8, {}}, {"", {7}}};
    m.python_files = {"test_*.py", "check_*.py", kUtf8};
    return m;
}

proto::Ack sample_ack() {
    proto::Ack m;
    m.status = 4;
    m.message = kHighBytes;
    return m;
}

proto::Run sample_run() {
    proto::Run m;
    m.nodeid = "tests/test_x.py::test_y[" + kUtf8 + "]";
    m.isolation = 0x01020304u;  // byte order shows
    return m;
}

proto::Started sample_started() {
    proto::Started m;
    m.pid = 4242;
    return m;
}

proto::Result sample_result(const std::string &long_text = kLong) {
    proto::Result m;
    m.nodeid = "test_basic.py::test_fails";
    m.outcome = proto::Outcome::Timeout;
    m.duration = 1.0625;
    m.phase = "teardown";
    m.longrepr = long_text;
    m.message = "timeout after 1 s";
    m.stdout_text = kNul;
    m.stderr_text = kUtf8;
    m.signal = -9;
    m.exit_status = 255;
    m.teardown_failed = 1;
    m.teardown_longrepr = "teardown\n" + kNul;
    m.teardown_message = kUtf8;
    m.coverage = {{"/tmp/p/mod.py", {3, 4, 5, 0x01020304u}}, {long_text, {1}}};
    return m;
}

proto::RunnerReady sample_runner_ready() {
    proto::RunnerReady m;
    m.pid = 0x80000001u;
    return m;
}

proto::RunnerExited sample_runner_exited() {
    proto::RunnerExited m;
    m.pid = 77;
    m.wait_status = -2;
    return m;
}

proto::Restored sample_restored() {
    proto::Restored m;
    m.status = 3;
    m.pages = 0x123456789abcdef0ull;  // both halves of the u64
    m.seconds = 6.103515625e-05;
    m.reason = "a thread was left running: " + kUtf8;
    return m;
}

proto::Statements sample_statements() {
    proto::Statements m;
    m.paths = {"/tmp/p/mod.py", kUtf8, ""};
    m.include_unimported = 1;
    return m;
}

proto::StatementLines sample_statement_lines() {
    proto::StatementLines m;
    m.status = 0;
    m.message = kNul;
    m.files = {{"/tmp/p/mod.py", {1, 2, 5, 9}, {5, 8}}, {kUtf8, {}, {}}, {"/tmp/p/b.py", {3}, {}}};
    return m;
}

void check_files(const std::vector<proto::FileLines> &got, const std::vector<proto::FileLines> &want) {
    assert_int_equal(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        check_string(got[i].path, want[i].path);
        assert_true(got[i].lines == want[i].lines);
    }
}

// Every encodable message once, as (type, frame).  `long_text` is the
// long string some of them carry (short where a test is quadratic).
struct Sample {
    MessageType type;
    std::string frame;
};

std::vector<Sample> all_samples(const std::string &long_text = kLong) {
    return {
        {MessageType::Hello, proto::encode(sample_hello())},
        {MessageType::Init, proto::encode(sample_init())},
        {MessageType::Collected, proto::encode(sample_collected(long_text))},
        {MessageType::Snapshot, proto::encode_empty(MessageType::Snapshot)},
        {MessageType::Ack, proto::encode(sample_ack())},
        {MessageType::Run, proto::encode(sample_run())},
        {MessageType::Started, proto::encode(sample_started())},
        {MessageType::Result, proto::encode(sample_result(long_text))},
        {MessageType::Restore, proto::encode_empty(MessageType::Restore)},
        {MessageType::Shutdown, proto::encode_empty(MessageType::Shutdown)},
        {MessageType::RunnerReady, proto::encode(sample_runner_ready())},
        {MessageType::RunnerExited, proto::encode(sample_runner_exited())},
        {MessageType::Restored, proto::encode(sample_restored())},
        {MessageType::Statements, proto::encode(sample_statements())},
        {MessageType::StatementLines, proto::encode(sample_statement_lines())},
        {MessageType::OpenLane, proto::encode(proto::OpenLane{3})},
        {MessageType::Recollect, proto::encode(proto::Recollect{{"tests/test_a.py", kLong}})},
    };
}

// The first and last type bytes the protocol defines.
constexpr int kFirstType = static_cast<int>(MessageType::Hello);
constexpr int kLastType = static_cast<int>(MessageType::Recollect);

// Runs the decoder of `type` on `p`; true when it accepted the payload.
// Types without a body (Snapshot, Restore, Shutdown) have no decoder.
bool decodes_as(MessageType type, std::string_view p) {
    switch (type) {
    case MessageType::Hello: return proto::decode_hello(p).has_value();
    case MessageType::Init: return proto::decode_init(p).has_value();
    case MessageType::Collected: return proto::decode_collected(p).has_value();
    case MessageType::Ack: return proto::decode_ack(p).has_value();
    case MessageType::Run: return proto::decode_run(p).has_value();
    case MessageType::Started: return proto::decode_started(p).has_value();
    case MessageType::Result: return proto::decode_result(p).has_value();
    case MessageType::RunnerReady: return proto::decode_runner_ready(p).has_value();
    case MessageType::RunnerExited: return proto::decode_runner_exited(p).has_value();
    case MessageType::Restored: return proto::decode_restored(p).has_value();
    case MessageType::Statements: return proto::decode_statements(p).has_value();
    case MessageType::StatementLines: return proto::decode_statement_lines(p).has_value();
    case MessageType::OpenLane: return proto::decode_open_lane(p).has_value();
    case MessageType::Recollect: return proto::decode_recollect(p).has_value();
    default: return false;
    }
}

const MessageType kDecodable[] = {
    MessageType::Hello,  MessageType::Init,        MessageType::Collected,    MessageType::Ack,
    MessageType::Run,    MessageType::Started,     MessageType::Result,       MessageType::RunnerReady,
    MessageType::RunnerExited, MessageType::Restored, MessageType::Statements, MessageType::StatementLines,
    MessageType::OpenLane, MessageType::Recollect,
};

bool has_decoder(MessageType type) {
    for (MessageType d : kDecodable)
        if (d == type) return true;
    return false;
}

// ---------------------------------------------------------------- round trip

void test_protocol_hello_round_trip(void **) {
    std::string p = payload(proto::encode(sample_hello()));
    assert_true(proto::payload_type(p) == MessageType::Hello);
    auto m = proto::decode_hello(p);
    assert_true(m.has_value());
    assert_int_equal(m->version, proto::kVersion);
    assert_int_equal(m->pid, 0xfedcba98u);
}

void test_protocol_init_round_trip(void **) {
    proto::Init want = sample_init();
    std::string p = payload(proto::encode(want));
    assert_true(proto::payload_type(p) == MessageType::Init);
    auto m = proto::decode_init(p);
    assert_true(m.has_value());
    check_string(m->project_root, want.project_root);
    check_string(m->python, want.python);
    check_string(m->shim_dir, want.shim_dir);
    assert_int_equal(m->isolation, want.isolation);
    check_strings(m->args, want.args);
    assert_int_equal(m->coverage, 1);
    check_strings(m->sources, want.sources);
    check_strings(m->paths, want.paths);
    assert_int_equal(m->keep_base, 1);
}

void test_protocol_recollect_round_trip(void **) {
    proto::Recollect want{{"tests/test_a.py", "tests/test_b.py::test_x[\xc3\xa9]", ""}};
    std::string p = payload(proto::encode(want));
    assert_true(proto::payload_type(p) == MessageType::Recollect);
    auto m = proto::decode_recollect(p);
    assert_true(m.has_value());
    check_strings(m->paths, want.paths);
    // An empty list means "the paths of Init".
    auto none = proto::decode_recollect(payload(proto::encode(proto::Recollect{})));
    assert_true(none.has_value());
    assert_true(none->paths.empty());
}

void test_protocol_init_round_trip_no_args(void **) {
    proto::Init want;
    auto m = proto::decode_init(payload(proto::encode(want)));
    assert_true(m.has_value());
    assert_true(m->project_root.empty());
    assert_true(m->args.empty());
}

void test_protocol_collected_round_trip(void **) {
    proto::Collected want = sample_collected();
    std::string p = payload(proto::encode(want));
    assert_true(proto::payload_type(p) == MessageType::Collected);
    auto m = proto::decode_collected(p);
    assert_true(m.has_value());
    assert_int_equal(m->status, want.status);
    check_string(m->message, want.message);
    check_string(m->python_version, want.python_version);
    check_string(m->pytest_version, want.pytest_version);
    check_strings(m->nodeids, want.nodeids);
    assert_int_equal(m->errors.size(), want.errors.size());
    for (std::size_t i = 0; i < want.errors.size(); ++i) {
        check_string(m->errors[i].nodeid, want.errors[i].nodeid);
        check_string(m->errors[i].text, want.errors[i].text);
    }
    assert_int_equal(m->interrupts, 1);
    assert_int_equal(m->deselected, 0xdeadbeefu);
    check_files(m->coverage, want.coverage);
    check_strings(m->python_files, want.python_files);
}

void test_protocol_collected_round_trip_empty(void **) {
    auto m = proto::decode_collected(payload(proto::encode(proto::Collected{})));
    assert_true(m.has_value());
    assert_int_equal(m->status, 0);
    assert_true(m->nodeids.empty());
    assert_true(m->errors.empty());
    assert_int_equal(m->interrupts, 0);
    assert_int_equal(m->deselected, 0);
}

void test_protocol_ack_round_trip(void **) {
    std::string p = payload(proto::encode(sample_ack()));
    assert_true(proto::payload_type(p) == MessageType::Ack);
    auto m = proto::decode_ack(p);
    assert_true(m.has_value());
    assert_int_equal(m->status, 4);
    check_string(m->message, kHighBytes);
}

void test_protocol_run_round_trip(void **) {
    std::string p = payload(proto::encode(sample_run()));
    assert_true(proto::payload_type(p) == MessageType::Run);
    auto m = proto::decode_run(p);
    assert_true(m.has_value());
    check_string(m->nodeid, sample_run().nodeid);
    assert_int_equal(m->isolation, 0x01020304u);
}

void test_protocol_started_round_trip(void **) {
    std::string p = payload(proto::encode(sample_started()));
    assert_true(proto::payload_type(p) == MessageType::Started);
    auto m = proto::decode_started(p);
    assert_true(m.has_value());
    assert_int_equal(m->pid, 4242);
}

void test_protocol_result_round_trip(void **) {
    proto::Result want = sample_result();
    std::string p = payload(proto::encode(want));
    assert_true(proto::payload_type(p) == MessageType::Result);
    auto m = proto::decode_result(p);
    assert_true(m.has_value());
    check_string(m->nodeid, want.nodeid);
    assert_true(m->outcome == proto::Outcome::Timeout);
    assert_true(m->duration == 1.0625);
    check_string(m->phase, want.phase);
    check_string(m->longrepr, want.longrepr);
    check_string(m->message, want.message);
    check_string(m->stdout_text, want.stdout_text);
    check_string(m->stderr_text, want.stderr_text);
    assert_int_equal(m->signal, -9);
    assert_int_equal(m->exit_status, 255);
    assert_int_equal(m->teardown_failed, 1);
    check_string(m->teardown_longrepr, want.teardown_longrepr);
    check_string(m->teardown_message, want.teardown_message);
    check_files(m->coverage, want.coverage);
}

void test_protocol_statements_round_trip(void **) {
    proto::Statements want = sample_statements();
    std::string p = payload(proto::encode(want));
    assert_true(proto::payload_type(p) == MessageType::Statements);
    auto m = proto::decode_statements(p);
    assert_true(m.has_value());
    check_strings(m->paths, want.paths);
    assert_int_equal(m->include_unimported, 1);
    auto empty = proto::decode_statements(payload(proto::encode(proto::Statements{})));
    assert_true(empty.has_value());
    assert_true(empty->paths.empty());
    assert_int_equal(empty->include_unimported, 0);
}

void test_protocol_statement_lines_round_trip(void **) {
    proto::StatementLines want = sample_statement_lines();
    std::string p = payload(proto::encode(want));
    assert_true(proto::payload_type(p) == MessageType::StatementLines);
    auto m = proto::decode_statement_lines(p);
    assert_true(m.has_value());
    assert_int_equal(m->status, 0);
    check_string(m->message, want.message);
    assert_int_equal(m->files.size(), want.files.size());
    for (std::size_t i = 0; i < want.files.size(); ++i) {
        check_string(m->files[i].path, want.files[i].path);
        assert_true(m->files[i].statements == want.files[i].statements);
        assert_true(m->files[i].multiline == want.files[i].multiline);
    }
}

// A line list (u32s) claiming more entries than the payload holds is
// refused before anything is reserved, in every message that carries one.
void test_protocol_oversized_line_counts(void **) {
    for (std::uint32_t n : {1u, 2u, 1000u, 0x10000000u, 0x7fffffffu, 0xffffffffu}) {
        // Result: everything empty, then one coverage file claiming n lines.
        std::string r = payload_of(MessageType::Result);
        put_u32(&r, 0);  // nodeid
        put_u32(&r, 0);  // outcome
        put_u32(&r, 0);
        put_u32(&r, 0);  // duration
        for (int i = 0; i < 5; ++i) put_u32(&r, 0);  // phase .. stderr
        for (int i = 0; i < 3; ++i) put_u32(&r, 0);  // signal, exit, teardown_failed
        put_u32(&r, 0);
        put_u32(&r, 0);  // teardown texts
        std::string valid = r;
        put_u32(&valid, 0);
        assert_true(proto::decode_result(valid).has_value());
        put_u32(&r, 1);  // one file
        put_u32(&r, 1);
        r += "f";
        put_u32(&r, n);
        put_u32(&r, 7);  // one line carried
        assert_true(proto::decode_result(r).has_value() == (n == 1));

        // Result whose file list claims n files.
        std::string f = valid.substr(0, valid.size() - 4);
        put_u32(&f, n);
        put_u32(&f, 0);
        put_u32(&f, 0);
        assert_true(proto::decode_result(f).has_value() == (n == 1));

        // StatementLines whose statements claim n lines.
        std::string s = payload_of(MessageType::StatementLines);
        put_u32(&s, 0);
        put_u32(&s, 0);
        put_u32(&s, 1);
        put_u32(&s, 0);  // path ""
        put_u32(&s, n);
        put_u32(&s, 0);  // one line carried
        put_u32(&s, 0);  // multiline: none
        assert_true(proto::decode_statement_lines(s).has_value() == (n == 1));

        // StatementLines whose file list claims n files.
        std::string t = payload_of(MessageType::StatementLines);
        put_u32(&t, 0);
        put_u32(&t, 0);
        put_u32(&t, n);
        for (int i = 0; i < 3; ++i) put_u32(&t, 0);
        assert_true(proto::decode_statement_lines(t).has_value() == (n == 1));
    }
}

void test_protocol_runner_ready_round_trip(void **) {
    std::string p = payload(proto::encode(sample_runner_ready()));
    assert_true(proto::payload_type(p) == MessageType::RunnerReady);
    auto m = proto::decode_runner_ready(p);
    assert_true(m.has_value());
    assert_int_equal(m->pid, 0x80000001u);
}

void test_protocol_runner_exited_round_trip(void **) {
    std::string p = payload(proto::encode(sample_runner_exited()));
    assert_true(proto::payload_type(p) == MessageType::RunnerExited);
    auto m = proto::decode_runner_exited(p);
    assert_true(m.has_value());
    assert_int_equal(m->pid, 77);
    assert_int_equal(m->wait_status, -2);
}

void test_protocol_restored_round_trip(void **) {
    proto::Restored want = sample_restored();
    std::string p = payload(proto::encode(want));
    assert_true(proto::payload_type(p) == MessageType::Restored);
    auto m = proto::decode_restored(p);
    assert_true(m.has_value());
    assert_int_equal(m->status, 3);
    assert_true(m->pages == 0x123456789abcdef0ull);
    assert_true(m->seconds == want.seconds);
    check_string(m->reason, want.reason);
}

// The allocation-free encoders write exactly what encode() writes, and
// refuse (0) every buffer that is too small, without writing past it.
void test_protocol_encode_into(void **) {
    proto::Restored r = sample_restored();
    proto::Ack a = sample_ack();
    const std::string want_r = proto::encode(r);
    const std::string want_a = proto::encode(a);
    for (int which = 0; which < 2; ++which) {
        const std::string &want = which == 0 ? want_r : want_a;
        std::vector<char> buf(want.size() + 16);
        for (std::size_t cap = 0; cap <= want.size() + 8; ++cap) {
            std::fill(buf.begin(), buf.end(), '\x5a');
            std::size_t n = which == 0 ? proto::encode_restored_into(buf.data(), cap, r.status, r.pages,
                                                                     r.seconds, r.reason)
                                       : proto::encode_ack_into(buf.data(), cap, a.status, a.message);
            for (std::size_t i = cap; i < buf.size(); ++i)
                if (buf[i] != '\x5a') fail_msg("wrote byte %zu with a capacity of %zu", i, cap);
            if (cap < want.size()) {
                assert_int_equal(n, 0);
            } else {
                assert_int_equal(n, want.size());
                assert_memory_equal(buf.data(), want.data(), want.size());
            }
        }
    }
}

void test_protocol_result_every_outcome_and_double(void **) {
    const double durations[] = {0.0, -0.0, 1e-9, 123456.789, std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::infinity()};
    for (std::uint32_t o = 0; o <= static_cast<std::uint32_t>(proto::Outcome::Timeout); ++o) {
        for (double d : durations) {
            proto::Result want;
            want.outcome = static_cast<proto::Outcome>(o);
            want.duration = d;
            want.signal = std::numeric_limits<std::int32_t>::min();
            want.exit_status = -1;
            auto m = proto::decode_result(payload(proto::encode(want)));
            assert_true(m.has_value());
            assert_int_equal(static_cast<std::uint32_t>(m->outcome), o);
            assert_memory_equal(&m->duration, &d, sizeof d);  // bit-exact, -0.0 too
            assert_int_equal(m->signal, std::numeric_limits<std::int32_t>::min());
            assert_int_equal(m->exit_status, -1);
        }
    }
    proto::Result nan;
    nan.duration = std::nan("");
    auto m = proto::decode_result(payload(proto::encode(nan)));
    assert_true(m.has_value());
    assert_true(std::isnan(m->duration));
}

void test_protocol_empty_messages(void **) {
    for (MessageType t : {MessageType::Snapshot, MessageType::Restore, MessageType::Shutdown}) {
        std::string f = proto::encode_empty(t);
        assert_int_equal(f.size(), 5);
        std::string p = payload(f);
        assert_true(proto::payload_type(p) == t);
        for (MessageType d : kDecodable) assert_false(decodes_as(d, p));
    }
}

void test_protocol_frame_length_prefix(void **) {
    for (const Sample &s : all_samples()) {
        assert_int_equal(get_u32(s.frame, 0), s.frame.size() - 4);
        assert_int_equal(static_cast<unsigned char>(s.frame[4]), static_cast<unsigned>(s.type));
        assert_true(proto::payload_type(std::string_view(s.frame).substr(4)) == s.type);
    }
}

void test_protocol_outcome_names(void **) {
    const char *names[] = {"passed", "failed", "skipped", "xfailed",
                           "xpassed", "error", "crashed", "timeout"};
    for (std::uint32_t i = 0; i < 8; ++i) {
        auto o = proto::outcome_from_name(names[i]);
        assert_true(o.has_value());
        assert_int_equal(static_cast<std::uint32_t>(*o), i);
    }
    assert_false(proto::outcome_from_name("").has_value());
    assert_false(proto::outcome_from_name("PASSED").has_value());
    assert_false(proto::outcome_from_name("pass").has_value());
    assert_false(proto::outcome_from_name("passed ").has_value());
}

// ----------------------------------------------------------- malformed input

// Every proper prefix of a valid payload is rejected, and so is the payload
// with one byte too many.
void test_protocol_truncated_payloads(void **) {
    for (const Sample &s : all_samples("a long string, shortened")) {
        if (!has_decoder(s.type)) continue;  // Snapshot, Restore, Shutdown
        std::string p = s.frame.substr(4);
        assert_true(decodes_as(s.type, p));
        for (std::size_t len = 0; len < p.size(); ++len) {
            // A copy of exactly `len` bytes, so that reading past it is
            // visible to sanitizers and valgrind.
            std::string prefix = p.substr(0, len);
            if (decodes_as(s.type, prefix))
                fail_msg("type %u: a %zu-byte prefix of a %zu-byte payload decoded",
                         static_cast<unsigned>(s.type), len, p.size());
        }
        assert_false(decodes_as(s.type, p + '\0'));
        assert_false(decodes_as(s.type, p + "trailing"));
    }
}

void test_protocol_wrong_type_byte(void **) {
    for (const Sample &s : all_samples()) {
        std::string p = s.frame.substr(4);
        for (MessageType d : kDecodable)
            if (d != s.type) assert_false(decodes_as(d, p));
        // The same body under a type byte that does not exist.
        for (int bad : {0, kLastType + 1, 0x7f, 0xff}) {
            std::string q = p;
            q[0] = static_cast<char>(bad);
            assert_false(proto::payload_type(q).has_value());
            for (MessageType d : kDecodable)
                if (decodes_as(d, q))
                    fail_msg("a type-%u payload with type byte %d decoded as type %u",
                             static_cast<unsigned>(s.type), bad, static_cast<unsigned>(d));
        }
    }
    assert_false(proto::payload_type("").has_value());
    for (int t = kFirstType; t <= kLastType; ++t)
        assert_true(proto::payload_type(std::string(1, static_cast<char>(t))) == static_cast<MessageType>(t));
}

// String-list and string lengths far beyond what the payload holds are
// rejected before anything is allocated (a 4-billion-entry reserve would
// throw or exhaust memory).
void test_protocol_oversized_counts(void **) {
    const std::uint32_t counts[] = {1, 2, 1000, 0x10000000u, 0x7fffffffu, 0xffffffffu};
    for (std::uint32_t n : counts) {
        // Init whose args claim n entries but carry one (or none).
        for (int carried = 0; carried <= 1; ++carried) {
            if (static_cast<std::uint32_t>(carried) >= n) continue;
            std::string p = payload_of(MessageType::Init);
            put_u32(&p, 0);  // project_root
            put_u32(&p, 0);  // python
            put_u32(&p, 0);  // shim_dir
            put_u32(&p, 1);  // isolation
            put_u32(&p, n);
            if (carried) {
                put_u32(&p, 1);
                p += "a";
            }
            assert_false(proto::decode_init(p).has_value());
        }

        // Collected whose node id list claims n entries.
        std::string c = payload_of(MessageType::Collected);
        put_u32(&c, 0);
        put_u32(&c, 0);
        put_u32(&c, 0);
        put_u32(&c, 0);
        put_u32(&c, n);  // nodeids
        put_u32(&c, 0);  // errors
        put_u32(&c, 0);  // interrupts
        assert_false(proto::decode_collected(c).has_value());

        // Collected whose error list claims n entries.
        std::string e = payload_of(MessageType::Collected);
        put_u32(&e, 0);
        put_u32(&e, 0);
        put_u32(&e, 0);
        put_u32(&e, 0);
        put_u32(&e, 0);  // nodeids
        put_u32(&e, n);  // errors
        put_u32(&e, 0);  // interrupts
        assert_false(proto::decode_collected(e).has_value());

        // A string whose length is past the end.
        std::string r = payload_of(MessageType::Run);
        put_u32(&r, n + 1 == 0 ? n : n + 1);
        r += std::string(n < 64 ? n : 64, 'z');
        assert_false(proto::decode_run(r).has_value());
    }

    // A count exactly as large as the remaining bytes allow is fine: empty
    // strings are 4 bytes each.
    std::string ok = payload_of(MessageType::Init);
    for (int i = 0; i < 4; ++i) put_u32(&ok, 0);
    put_u32(&ok, 3);
    for (int i = 0; i < 3; ++i) put_u32(&ok, 0);
    put_u32(&ok, 0);  // coverage
    put_u32(&ok, 0);  // sources
    put_u32(&ok, 0);  // paths
    put_u32(&ok, 0);  // keep_base
    auto m = proto::decode_init(ok);
    assert_true(m.has_value());
    assert_int_equal(m->args.size(), 3);
}

void test_protocol_result_outcome_out_of_range(void **) {
    std::string p = payload(proto::encode(sample_result()));
    // The outcome follows the node id string.
    std::size_t at = 1 + 4 + sample_result().nodeid.size();
    for (std::uint32_t bad : {8u, 9u, 0x80000000u, 0xffffffffu}) {
        std::string q = p;
        for (int i = 0; i < 4; ++i) q[at + i] = static_cast<char>((bad >> (8 * i)) & 0xff);
        assert_false(proto::decode_result(q).has_value());
    }
}

// ------------------------------------------------------------ FrameSplitter

std::string three_frames() {
    return proto::encode(sample_run()) + proto::encode_empty(MessageType::Snapshot) +
           proto::encode(sample_collected());
}

void check_three_payloads(tach::FrameSplitter &s) {
    auto a = s.next();
    auto b = s.next();
    auto c = s.next();
    assert_true(a && b && c);
    assert_true(proto::decode_run(*a).has_value());
    assert_true(proto::payload_type(*b) == MessageType::Snapshot);
    assert_true(proto::decode_collected(*c).has_value());
    assert_false(s.next().has_value());
    assert_false(s.malformed());
    assert_int_equal(s.buffered(), 0);
}

void test_protocol_splitter_whole(void **) {
    tach::FrameSplitter s;
    assert_false(s.next().has_value());
    s.append(three_frames());
    check_three_payloads(s);
}

// Two chunks, cut at every byte boundary: nothing is returned before a
// frame is complete, everything after.
void test_protocol_splitter_every_split(void **) {
    // Small frames so that the quadratic loop stays quick.
    std::string stream = proto::encode(sample_run()) + proto::encode_empty(MessageType::Snapshot) +
                         proto::encode(sample_ack());
    std::vector<std::size_t> ends;
    ends.push_back(proto::encode(sample_run()).size());
    ends.push_back(ends.back() + 5);
    ends.push_back(stream.size());
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        tach::FrameSplitter s;
        s.append(std::string_view(stream).substr(0, cut));
        std::size_t got = 0;
        while (s.next()) ++got;
        std::size_t complete = 0;
        for (std::size_t e : ends)
            if (e <= cut) ++complete;
        assert_int_equal(got, complete);
        s.append(std::string_view(stream).substr(cut));
        while (s.next()) ++got;
        assert_int_equal(got, 3);
        assert_int_equal(s.buffered(), 0);
        assert_false(s.malformed());
    }
}

void test_protocol_splitter_byte_by_byte(void **) {
    std::string stream = three_frames();
    tach::FrameSplitter s;
    std::vector<std::string> got;
    for (char ch : stream) {
        s.append(std::string_view(&ch, 1));
        while (auto p = s.next()) got.push_back(std::move(*p));
    }
    assert_int_equal(got.size(), 3);
    assert_true(proto::decode_run(got[0]).has_value());
    assert_true(proto::payload_type(got[1]) == MessageType::Snapshot);
    assert_true(proto::decode_collected(got[2]).has_value());
}

void test_protocol_splitter_oversized_length(void **) {
    tach::FrameSplitter s;
    s.append(proto::encode(sample_run()));
    std::string bad;
    put_u32(&bad, proto::kMaxFrame + 1);
    s.append(bad);
    assert_true(s.next().has_value());  // the good frame before it
    assert_false(s.next().has_value());
    assert_true(s.malformed());
    // Nothing more comes out, whatever follows.
    s.append(proto::encode(sample_run()));
    assert_false(s.next().has_value());
    assert_true(s.malformed());

    tach::FrameSplitter t;
    std::string huge;
    put_u32(&huge, 0xffffffffu);
    t.append(huge);
    assert_false(t.next().has_value());
    assert_true(t.malformed());
}

void test_protocol_splitter_zero_length(void **) {
    tach::FrameSplitter s;
    s.append(std::string(4, '\0'));
    assert_false(s.next().has_value());
    assert_true(s.malformed());
}

// kMaxFrame itself is allowed: the splitter waits for the bytes.
void test_protocol_splitter_max_length_waits(void **) {
    tach::FrameSplitter s;
    std::string head;
    put_u32(&head, proto::kMaxFrame);
    s.append(head + "\x06partial");
    assert_false(s.next().has_value());
    assert_false(s.malformed());
    assert_int_equal(s.buffered(), head.size() + 8);
}

// ------------------------------------------------- write_all / read_frame_blocking

struct SocketPair {
    int fd[2] = {-1, -1};
    SocketPair() { assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
    ~SocketPair() {
        for (int f : fd)
            if (f >= 0) close(f);
    }
    void close_end(int i) {
        close(fd[i]);
        fd[i] = -1;
    }
};

void test_protocol_socket_round_trip(void **) {
    SocketPair sp;
    assert_int_equal(tach::write_all(sp.fd[0], proto::encode(sample_hello())), 0);
    assert_int_equal(tach::write_all(sp.fd[0], proto::encode(sample_result())), 0);
    sp.close_end(0);

    tach::ReadFrame a = tach::read_frame_blocking(sp.fd[1]);
    assert_true(a.status == tach::ReadStatus::Ok);
    auto hello = proto::decode_hello(a.payload);
    assert_true(hello.has_value());
    assert_int_equal(hello->pid, sample_hello().pid);

    tach::ReadFrame b = tach::read_frame_blocking(sp.fd[1]);
    assert_true(b.status == tach::ReadStatus::Ok);
    auto result = proto::decode_result(b.payload);
    assert_true(result.has_value());
    check_string(result->longrepr, kLong);

    // Clean EOF between frames.
    tach::ReadFrame c = tach::read_frame_blocking(sp.fd[1]);
    assert_true(c.status == tach::ReadStatus::Eof);
}

// A frame bigger than the socket buffer: write_all must loop over short
// writes while the peer reads.
void test_protocol_socket_large_frame(void **) {
    SocketPair sp;
    proto::Result big;
    big.stdout_text.assign(8u << 20, 'o');
    std::string frame = proto::encode(big);
    tach::ReadFrame got;
    std::thread reader([&] { got = tach::read_frame_blocking(sp.fd[1]); });
    int rc = tach::write_all(sp.fd[0], frame);
    reader.join();
    assert_int_equal(rc, 0);
    assert_true(got.status == tach::ReadStatus::Ok);
    auto m = proto::decode_result(got.payload);
    assert_true(m.has_value());
    assert_int_equal(m->stdout_text.size(), 8u << 20);
}

// EOF at every point inside a frame (the length prefix or the payload) is
// an error, not EOF and not a frame.
void test_protocol_socket_eof_mid_frame(void **) {
    std::string frame = proto::encode(sample_ack());
    for (std::size_t cut = 1; cut < frame.size(); ++cut) {
        SocketPair sp;
        assert_int_equal(tach::write_all(sp.fd[0], std::string_view(frame).substr(0, cut)), 0);
        sp.close_end(0);
        tach::ReadFrame r = tach::read_frame_blocking(sp.fd[1]);
        if (r.status != tach::ReadStatus::Error)
            fail_msg("EOF after %zu of %zu bytes gave status %d", cut, frame.size(),
                     static_cast<int>(r.status));
    }
}

void test_protocol_socket_bad_lengths(void **) {
    for (std::uint32_t len : {0u, proto::kMaxFrame + 1, 0xffffffffu}) {
        SocketPair sp;
        std::string head;
        put_u32(&head, len);
        assert_int_equal(tach::write_all(sp.fd[0], head + "\x05"), 0);
        tach::ReadFrame r = tach::read_frame_blocking(sp.fd[1]);
        assert_true(r.status == tach::ReadStatus::Malformed);
    }
}

// write_all falls back to write(2) on descriptors that are not sockets.
void test_protocol_write_all_pipe(void **) {
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    std::string frame = proto::encode(sample_started());
    assert_int_equal(tach::write_all(p[1], frame), 0);
    close(p[1]);
    tach::ReadFrame r = tach::read_frame_blocking(p[0]);
    close(p[0]);
    assert_true(r.status == tach::ReadStatus::Ok);
    auto m = proto::decode_started(r.payload);
    assert_true(m.has_value());
    assert_int_equal(m->pid, 4242);
}

// A dead peer is an error code (EPIPE), not a SIGPIPE that kills us.
void test_protocol_write_all_dead_peer(void **) {
    SocketPair sp;
    sp.close_end(1);
    assert_int_equal(tach::write_all(sp.fd[0], proto::encode(sample_run())), EPIPE);
}

void test_protocol_bad_fd(void **) {
    assert_int_equal(tach::write_all(-1, "abc"), EBADF);
    tach::ReadFrame r = tach::read_frame_blocking(-1);
    assert_true(r.status == tach::ReadStatus::Error);
    assert_int_equal(tach::write_all(-1, ""), 0);  // nothing to write
}

}  // namespace

int main(void) {
    // A failed write_all test must not be mistaken for a crash.
    signal(SIGPIPE, SIG_DFL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocol_hello_round_trip),
        cmocka_unit_test(test_protocol_init_round_trip),
        cmocka_unit_test(test_protocol_recollect_round_trip),
        cmocka_unit_test(test_protocol_init_round_trip_no_args),
        cmocka_unit_test(test_protocol_collected_round_trip),
        cmocka_unit_test(test_protocol_collected_round_trip_empty),
        cmocka_unit_test(test_protocol_ack_round_trip),
        cmocka_unit_test(test_protocol_run_round_trip),
        cmocka_unit_test(test_protocol_started_round_trip),
        cmocka_unit_test(test_protocol_result_round_trip),
        cmocka_unit_test(test_protocol_result_every_outcome_and_double),
        cmocka_unit_test(test_protocol_statements_round_trip),
        cmocka_unit_test(test_protocol_statement_lines_round_trip),
        cmocka_unit_test(test_protocol_oversized_line_counts),
        cmocka_unit_test(test_protocol_runner_ready_round_trip),
        cmocka_unit_test(test_protocol_runner_exited_round_trip),
        cmocka_unit_test(test_protocol_restored_round_trip),
        cmocka_unit_test(test_protocol_encode_into),
        cmocka_unit_test(test_protocol_empty_messages),
        cmocka_unit_test(test_protocol_frame_length_prefix),
        cmocka_unit_test(test_protocol_outcome_names),
        cmocka_unit_test(test_protocol_truncated_payloads),
        cmocka_unit_test(test_protocol_wrong_type_byte),
        cmocka_unit_test(test_protocol_oversized_counts),
        cmocka_unit_test(test_protocol_result_outcome_out_of_range),
        cmocka_unit_test(test_protocol_splitter_whole),
        cmocka_unit_test(test_protocol_splitter_every_split),
        cmocka_unit_test(test_protocol_splitter_byte_by_byte),
        cmocka_unit_test(test_protocol_splitter_oversized_length),
        cmocka_unit_test(test_protocol_splitter_zero_length),
        cmocka_unit_test(test_protocol_splitter_max_length_waits),
        cmocka_unit_test(test_protocol_socket_round_trip),
        cmocka_unit_test(test_protocol_socket_large_frame),
        cmocka_unit_test(test_protocol_socket_eof_mid_frame),
        cmocka_unit_test(test_protocol_socket_bad_lengths),
        cmocka_unit_test(test_protocol_write_all_pipe),
        cmocka_unit_test(test_protocol_write_all_dead_peer),
        cmocka_unit_test(test_protocol_bad_fd),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
