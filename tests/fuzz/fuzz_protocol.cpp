// libFuzzer target: everything the host decodes from a worker.
//
// The input is a byte stream as a worker could write it on its socket.  It
// goes through the host's FrameSplitter in chunks (the first byte picks the
// chunk size) and every payload through every decoder; the raw input is also
// tried as a payload.  A decoded message must re-encode to exactly the
// payload it came from (the decoders read every field, nothing else), and
// the host's UTF-8 repair must yield valid UTF-8.  Any crash, sanitizer
// report or abort() is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/frame_io.hpp"
#include "common/protocol.hpp"
#include "common/utf8_repair.hpp"

namespace {

using namespace tach;
using namespace tach::protocol;

template <typename Decode>
void roundtrip(std::string_view payload, Decode decode) {
    auto m = decode(payload);
    if (!m) return;
    std::string frame = encode(*m);
    if (frame.size() < 4 || std::string_view(frame).substr(4) != payload) std::abort();
    auto again = decode(std::string_view(frame).substr(4));
    if (!again || encode(*again) != frame) std::abort();
}

void repair(std::string s) {
    repair_utf8(s);
    if (!is_valid_utf8(s)) std::abort();
}

void decode_all(std::string_view p) {
    (void)payload_type(p);
    roundtrip(p, decode_hello);
    roundtrip(p, decode_init);
    roundtrip(p, decode_collected);
    roundtrip(p, decode_ack);
    roundtrip(p, decode_run);
    roundtrip(p, decode_started);
    roundtrip(p, decode_result);
    roundtrip(p, decode_snapshot);
    roundtrip(p, decode_runner_ready);
    roundtrip(p, decode_runner_exited);
    roundtrip(p, decode_restored);
    roundtrip(p, decode_statements);
    roundtrip(p, decode_statement_lines);
    roundtrip(p, decode_open_lane);
    roundtrip(p, decode_recollect);
    if (auto r = decode_result(p)) {
        repair(r->stdout_text);
        repair(r->longrepr);
    }
    if (auto c = decode_collected(p))
        for (const auto &id : c->nodeids) repair(id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char *>(data), size);
    decode_all(in);
    if (in.empty()) return 0;
    std::size_t chunk = static_cast<unsigned char>(in[0]) % 16 + 1;
    FrameSplitter splitter;
    for (std::size_t i = 1; i < in.size(); i += chunk) {
        splitter.append(in.substr(i, chunk));
        while (auto p = splitter.next()) decode_all(*p);
        if (splitter.malformed()) break;
    }
    return 0;
}
