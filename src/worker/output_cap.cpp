#include "worker/output_cap.hpp"

#include <cstdio>

namespace tach::worker {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

bool cap_output(std::string &text, std::size_t keep) {
    if (text.size() <= keep) return false;
    std::size_t head = keep / 2;
    while (head > 0 && is_continuation(text[head])) --head;
    std::size_t tail = text.size() - keep / 2;
    while (tail < text.size() && is_continuation(text[tail])) ++tail;
    char note[160];
    std::snprintf(note, sizeof note,
                  "\n[tach: %.1f MiB of this output cut here; the first and last %zu KiB are kept]\n",
                  static_cast<double>(tail - head) / (1 << 20), keep / 2 / 1024);
    text = text.substr(0, head) + note + text.substr(tail);
    return true;
}

}  // namespace tach::worker
