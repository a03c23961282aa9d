#include "common/protocol.hpp"

#include <cstring>

namespace tach::protocol {
namespace {

class Writer {
public:
    explicit Writer(MessageType type) {
        buf_.append(4, '\0');  // length prefix, patched by finish()
        buf_.push_back(static_cast<char>(type));
    }
    Writer &u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        return *this;
    }
    Writer &i32(std::int32_t v) { return u32(static_cast<std::uint32_t>(v)); }
    Writer &f64(double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        u32(static_cast<std::uint32_t>(bits));
        return u32(static_cast<std::uint32_t>(bits >> 32));
    }
    Writer &str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        buf_.append(s);
        return *this;
    }
    Writer &strs(const std::vector<std::string> &v) {
        u32(static_cast<std::uint32_t>(v.size()));
        for (const auto &s : v) str(s);
        return *this;
    }
    Writer &u32s(const std::vector<std::uint32_t> &v) {
        u32(static_cast<std::uint32_t>(v.size()));
        buf_.reserve(buf_.size() + 4 * v.size());
        for (auto x : v) u32(x);
        return *this;
    }
    Writer &files(const std::vector<FileLines> &v) {
        u32(static_cast<std::uint32_t>(v.size()));
        for (const auto &f : v) str(f.path).u32s(f.lines);
        return *this;
    }
    std::string finish() {
        auto len = static_cast<std::uint32_t>(buf_.size() - 4);
        for (int i = 0; i < 4; ++i) buf_[i] = static_cast<char>((len >> (8 * i)) & 0xff);
        return std::move(buf_);
    }

private:
    std::string buf_;
};

// Reads fields in order; once anything is out of bounds every later read
// fails too, so a decoder checks ok() once at the end.
class Reader {
public:
    Reader(std::string_view payload, MessageType expected) : data_(payload) {
        if (data_.empty() || static_cast<std::uint8_t>(data_[0]) != static_cast<std::uint8_t>(expected))
            ok_ = false;
        pos_ = 1;
    }
    std::uint32_t u32() {
        if (!take(4)) return 0;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(data_[pos_ - 4 + i])) << (8 * i);
        return v;
    }
    std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
    double f64() {
        std::uint64_t lo = u32();
        std::uint64_t hi = u32();
        std::uint64_t bits = lo | (hi << 32);
        double v;
        std::memcpy(&v, &bits, sizeof v);
        return v;
    }
    std::string str() {
        std::uint32_t n = u32();
        if (!take(n)) return {};
        return std::string(data_.substr(pos_ - n, n));
    }
    std::vector<std::string> strs() {
        std::uint32_t n = u32();
        std::vector<std::string> v;
        if (!can_hold(n, 4)) return v;
        v.reserve(n);
        for (std::uint32_t i = 0; i < n && ok_; ++i) v.push_back(str());
        return v;
    }
    std::vector<std::uint32_t> u32s() {
        std::uint32_t n = u32();
        std::vector<std::uint32_t> v;
        if (!can_hold(n, 4)) return v;
        v.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) v.push_back(u32());
        return v;
    }
    std::vector<FileLines> files() {
        std::uint32_t n = u32();
        std::vector<FileLines> v;
        if (!can_hold(n, 8)) return v;  // a path's length and a line count each
        v.reserve(n);
        for (std::uint32_t i = 0; i < n && ok_; ++i) {
            FileLines f;
            f.path = str();
            f.lines = u32s();
            v.push_back(std::move(f));
        }
        return v;
    }
    // Whether `count` items of at least `min_each` bytes can still follow;
    // refuses counts the payload cannot hold before anything is allocated.
    bool can_hold(std::uint32_t count, std::size_t min_each) {
        if (ok_ && count <= (data_.size() - pos_) / min_each) return true;
        ok_ = false;
        return false;
    }
    // True when every read succeeded and nothing is left over.
    bool done() const { return ok_ && pos_ == data_.size(); }

private:
    bool take(std::size_t n) {
        if (!ok_ || n > data_.size() - pos_) {
            ok_ = false;
            return false;
        }
        pos_ += n;
        return true;
    }
    std::string_view data_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

template <typename T>
std::optional<T> finish(const Reader &r, T value) {
    if (!r.done()) return std::nullopt;
    return value;
}

}  // namespace

std::optional<Outcome> outcome_from_name(std::string_view name) {
    static constexpr std::pair<std::string_view, Outcome> kNames[] = {
        {"passed", Outcome::Passed},   {"failed", Outcome::Failed},
        {"skipped", Outcome::Skipped}, {"xfailed", Outcome::XFailed},
        {"xpassed", Outcome::XPassed}, {"error", Outcome::Error},
        {"crashed", Outcome::Crashed}, {"timeout", Outcome::Timeout},
    };
    for (const auto &[n, o] : kNames)
        if (n == name) return o;
    return std::nullopt;
}

std::string encode(const Hello &m) {
    return Writer(MessageType::Hello).u32(m.version).u32(m.pid).finish();
}
std::string encode(const Init &m) {
    return Writer(MessageType::Init)
        .str(m.project_root).str(m.python).str(m.shim_dir).u32(m.isolation).strs(m.args)
        .u32(m.coverage).strs(m.sources).strs(m.paths).u32(m.keep_base)
        .finish();
}
std::string encode(const Collected &m) {
    Writer w(MessageType::Collected);
    w.u32(m.status).str(m.message).str(m.python_version).str(m.pytest_version).strs(m.nodeids);
    w.u32(static_cast<std::uint32_t>(m.errors.size()));
    for (const auto &e : m.errors) w.str(e.nodeid).str(e.text);
    w.u32(m.interrupts).u32(m.deselected).files(m.coverage).strs(m.python_files);
    return w.finish();
}
std::string encode(const Ack &m) {
    return Writer(MessageType::Ack).u32(m.status).str(m.message).finish();
}
std::string encode(const Run &m) { return Writer(MessageType::Run).str(m.nodeid).u32(m.isolation).finish(); }
std::string encode(const Snapshot &m) { return Writer(MessageType::Snapshot).u32(m.isolation).finish(); }
std::string encode(const RunnerReady &m) { return Writer(MessageType::RunnerReady).u32(m.pid).finish(); }
std::string encode(const Recollect &m) { return Writer(MessageType::Recollect).strs(m.paths).finish(); }
std::string encode(const OpenLane &m) { return Writer(MessageType::OpenLane).u32(m.isolation).finish(); }
std::string encode(const RunnerExited &m) {
    return Writer(MessageType::RunnerExited)
        .u32(m.pid).i32(m.wait_status).str(m.stdout_text).str(m.stderr_text)
        .finish();
}
std::string encode(const Restored &m) {
    return Writer(MessageType::Restored)
        .u32(m.status).u32(static_cast<std::uint32_t>(m.pages)).u32(static_cast<std::uint32_t>(m.pages >> 32))
        .f64(m.seconds).str(m.reason)
        .finish();
}

namespace {

// The same layout as Writer, into a caller's buffer.
class FixedWriter {
public:
    FixedWriter(char *buf, std::size_t cap, MessageType type) : buf_(buf), cap_(cap) {
        put_raw("\0\0\0\0", 4);
        char t = static_cast<char>(type);
        put_raw(&t, 1);
    }
    FixedWriter &u32(std::uint32_t v) {
        char b[4];
        for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
        put_raw(b, 4);
        return *this;
    }
    FixedWriter &f64(double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        u32(static_cast<std::uint32_t>(bits));
        return u32(static_cast<std::uint32_t>(bits >> 32));
    }
    FixedWriter &str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        put_raw(s.data(), s.size());
        return *this;
    }
    std::size_t finish() {
        if (!ok_) return 0;
        auto len = static_cast<std::uint32_t>(len_ - 4);
        for (int i = 0; i < 4; ++i) buf_[i] = static_cast<char>((len >> (8 * i)) & 0xff);
        return len_;
    }

private:
    void put_raw(const char *p, std::size_t n) {
        if (!ok_ || n > cap_ - len_) {
            ok_ = false;
            return;
        }
        std::memcpy(buf_ + len_, p, n);
        len_ += n;
    }
    char *buf_;
    std::size_t cap_;
    std::size_t len_ = 0;
    bool ok_ = true;
};

}  // namespace

std::size_t encode_restored_into(char *buf, std::size_t cap, std::uint32_t status, std::uint64_t pages,
                                 double seconds, std::string_view reason) {
    return FixedWriter(buf, cap, MessageType::Restored)
        .u32(status).u32(static_cast<std::uint32_t>(pages)).u32(static_cast<std::uint32_t>(pages >> 32))
        .f64(seconds).str(reason)
        .finish();
}

std::size_t encode_ack_into(char *buf, std::size_t cap, std::uint32_t status, std::string_view message) {
    return FixedWriter(buf, cap, MessageType::Ack).u32(status).str(message).finish();
}
std::string encode(const Started &m) { return Writer(MessageType::Started).u32(m.pid).finish(); }
std::string encode(const Result &m) {
    return Writer(MessageType::Result)
        .str(m.nodeid).u32(static_cast<std::uint32_t>(m.outcome)).f64(m.duration).str(m.phase)
        .str(m.longrepr).str(m.message).str(m.stdout_text).str(m.stderr_text)
        .i32(m.signal).i32(m.exit_status).u32(m.teardown_failed)
        .str(m.teardown_longrepr).str(m.teardown_message).files(m.coverage)
        .finish();
}
std::string encode(const Statements &m) {
    return Writer(MessageType::Statements).strs(m.paths).u32(m.include_unimported).finish();
}
std::string encode(const StatementLines &m) {
    Writer w(MessageType::StatementLines);
    w.u32(m.status).str(m.message).u32(static_cast<std::uint32_t>(m.files.size()));
    for (const auto &f : m.files) w.str(f.path).u32s(f.statements).u32s(f.multiline);
    return w.finish();
}
std::string encode_empty(MessageType type) { return Writer(type).finish(); }

std::optional<MessageType> payload_type(std::string_view payload) {
    if (payload.empty()) return std::nullopt;
    auto t = static_cast<std::uint8_t>(payload[0]);
    if (t < static_cast<std::uint8_t>(MessageType::Hello) ||
        t > static_cast<std::uint8_t>(MessageType::Recollect))
        return std::nullopt;
    return static_cast<MessageType>(t);
}

std::optional<Hello> decode_hello(std::string_view p) {
    Reader r(p, MessageType::Hello);
    Hello m;
    m.version = r.u32();
    m.pid = r.u32();
    return finish(r, m);
}
std::optional<Init> decode_init(std::string_view p) {
    Reader r(p, MessageType::Init);
    Init m;
    m.project_root = r.str();
    m.python = r.str();
    m.shim_dir = r.str();
    m.isolation = r.u32();
    m.args = r.strs();
    m.coverage = r.u32();
    m.sources = r.strs();
    m.paths = r.strs();
    m.keep_base = r.u32();
    return finish(r, std::move(m));
}
std::optional<Collected> decode_collected(std::string_view p) {
    Reader r(p, MessageType::Collected);
    Collected m;
    m.status = r.u32();
    m.message = r.str();
    m.python_version = r.str();
    m.pytest_version = r.str();
    m.nodeids = r.strs();
    std::uint32_t n = r.u32();
    if (!r.can_hold(n, 8)) return std::nullopt;  // two length prefixes each
    for (std::uint32_t i = 0; i < n; ++i) {
        CollectError e;
        e.nodeid = r.str();
        e.text = r.str();
        m.errors.push_back(std::move(e));
    }
    m.interrupts = r.u32();
    m.deselected = r.u32();
    m.coverage = r.files();
    m.python_files = r.strs();
    return finish(r, std::move(m));
}
std::optional<Ack> decode_ack(std::string_view p) {
    Reader r(p, MessageType::Ack);
    Ack m;
    m.status = r.u32();
    m.message = r.str();
    return finish(r, std::move(m));
}
std::optional<Run> decode_run(std::string_view p) {
    Reader r(p, MessageType::Run);
    Run m;
    m.nodeid = r.str();
    m.isolation = r.u32();
    return finish(r, std::move(m));
}
std::optional<Snapshot> decode_snapshot(std::string_view p) {
    Reader r(p, MessageType::Snapshot);
    Snapshot m;
    m.isolation = r.u32();
    return finish(r, m);
}
std::optional<RunnerReady> decode_runner_ready(std::string_view p) {
    Reader r(p, MessageType::RunnerReady);
    RunnerReady m;
    m.pid = r.u32();
    return finish(r, m);
}
std::optional<OpenLane> decode_open_lane(std::string_view p) {
    Reader r(p, MessageType::OpenLane);
    OpenLane m;
    m.isolation = r.u32();
    return finish(r, m);
}
std::optional<Recollect> decode_recollect(std::string_view p) {
    Reader r(p, MessageType::Recollect);
    Recollect m;
    m.paths = r.strs();
    return finish(r, std::move(m));
}
std::optional<RunnerExited> decode_runner_exited(std::string_view p) {
    Reader r(p, MessageType::RunnerExited);
    RunnerExited m;
    m.pid = r.u32();
    m.wait_status = r.i32();
    m.stdout_text = r.str();
    m.stderr_text = r.str();
    return finish(r, std::move(m));
}
std::optional<Restored> decode_restored(std::string_view p) {
    Reader r(p, MessageType::Restored);
    Restored m;
    m.status = r.u32();
    std::uint64_t lo = r.u32();
    std::uint64_t hi = r.u32();
    m.pages = lo | (hi << 32);
    m.seconds = r.f64();
    m.reason = r.str();
    return finish(r, std::move(m));
}
std::optional<Started> decode_started(std::string_view p) {
    Reader r(p, MessageType::Started);
    Started m;
    m.pid = r.u32();
    return finish(r, m);
}
std::optional<Result> decode_result(std::string_view p) {
    Reader r(p, MessageType::Result);
    Result m;
    m.nodeid = r.str();
    std::uint32_t outcome = r.u32();
    m.duration = r.f64();
    m.phase = r.str();
    m.longrepr = r.str();
    m.message = r.str();
    m.stdout_text = r.str();
    m.stderr_text = r.str();
    m.signal = r.i32();
    m.exit_status = r.i32();
    m.teardown_failed = r.u32();
    m.teardown_longrepr = r.str();
    m.teardown_message = r.str();
    m.coverage = r.files();
    if (outcome > static_cast<std::uint32_t>(Outcome::Timeout)) return std::nullopt;
    m.outcome = static_cast<Outcome>(outcome);
    return finish(r, std::move(m));
}

std::optional<Statements> decode_statements(std::string_view p) {
    Reader r(p, MessageType::Statements);
    Statements m;
    m.paths = r.strs();
    m.include_unimported = r.u32();
    return finish(r, std::move(m));
}
std::optional<StatementLines> decode_statement_lines(std::string_view p) {
    Reader r(p, MessageType::StatementLines);
    StatementLines m;
    m.status = r.u32();
    m.message = r.str();
    std::uint32_t n = r.u32();
    if (!r.can_hold(n, 12)) return std::nullopt;  // a path and two counts each
    m.files.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        FileStatements f;
        f.path = r.str();
        f.statements = r.u32s();
        f.multiline = r.u32s();
        m.files.push_back(std::move(f));
    }
    return finish(r, std::move(m));
}

}  // namespace tach::protocol
