#include "durations_cache.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace tach_cli {
namespace {

constexpr int kFormatVersion = 1;

// Just enough JSON for this file: objects, strings, numbers; anything else
// (or anything malformed) makes the whole file count as no cache.
class Reader {
public:
    explicit Reader(const std::string &text) : s_(text) {}

    bool ok() const { return ok_; }

    void space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
            ++i_;
    }
    bool eat(char c) {
        space();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool peek(char c) {
        space();
        return i_ < s_.size() && s_[i_] == c;
    }
    bool at_end() {
        space();
        return i_ == s_.size();
    }
    void fail() { ok_ = false; }

    std::string string() {
        std::string out;
        if (!eat('"')) {
            fail();
            return out;
        }
        while (i_ < s_.size() && s_[i_] != '"') {
            char c = s_[i_++];
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size()) break;
            char e = s_[i_++];
            switch (e) {
            case '"': case '\\': case '/': out += e; break;
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                if (i_ + 4 > s_.size()) {
                    fail();
                    return out;
                }
                unsigned long cp = std::strtoul(s_.substr(i_, 4).c_str(), nullptr, 16);
                i_ += 4;
                // Only what render_durations writes: control characters.
                if (cp < 0x80) out += static_cast<char>(cp);
                else fail();
                break;
            }
            default: fail(); return out;
            }
        }
        if (!eat('"')) fail();
        return out;
    }

    double number() {
        space();
        const char *start = s_.c_str() + i_;
        char *end = nullptr;
        errno = 0;
        double v = std::strtod(start, &end);
        if (end == start || errno != 0 || !std::isfinite(v)) {
            fail();
            return 0;
        }
        i_ += static_cast<std::size_t>(end - start);
        return v;
    }

private:
    const std::string &s_;
    std::size_t i_ = 0;
    bool ok_ = true;
};

std::string json_string(const std::string &text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

bool write_file(const std::string &path, const std::string &text) {
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f)
        return false;
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = (std::fflush(f) == 0) && ok;
    ok = (std::fclose(f) == 0) && ok;
    return ok;
}

} // namespace

std::string durations_path(const std::string &project_root) {
    return project_root + "/.tach/durations.json";
}

Durations parse_durations(const std::string &text) {
    Durations out;
    Reader r(text);
    int version = 0;
    if (!r.eat('{'))
        return {};
    bool first = true;
    while (r.ok() && !r.eat('}')) {
        if (!first && !r.eat(','))
            return {};
        first = false;
        const std::string key = r.string();
        if (!r.ok() || !r.eat(':'))
            return {};
        if (key == "version") {
            version = static_cast<int>(r.number());
        } else if (key == "durations") {
            if (!r.eat('{'))
                return {};
            bool first_entry = true;
            while (r.ok() && !r.eat('}')) {
                if (!first_entry && !r.eat(','))
                    return {};
                first_entry = false;
                std::string nodeid = r.string();
                if (!r.ok() || !r.eat(':'))
                    return {};
                const double seconds = r.number();
                if (r.ok() && seconds >= 0)
                    out[std::move(nodeid)] = seconds;
            }
        } else {
            return {};  // not a key this version writes
        }
    }
    if (!r.ok() || !r.at_end() || version != kFormatVersion)
        return {};
    return out;
}

Durations load_durations(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return parse_durations(buffer.str());
}

std::string render_durations(const Durations &durations) {
    std::string out = "{\n  \"version\": " + std::to_string(kFormatVersion) + ",\n  \"durations\": {";
    bool first = true;
    for (const auto &[nodeid, seconds] : durations) {
        char number[32];
        std::snprintf(number, sizeof number, "%.6f", seconds);
        out += first ? "\n    " : ",\n    ";
        out += json_string(nodeid) + ": " + number;
        first = false;
    }
    out += first ? "}\n}\n" : "\n  }\n}\n";
    return out;
}

bool save_durations(const std::string &path, const Durations &durations) {
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
        return false;
    const std::string ignore = dir + "/.gitignore";
    if (access(ignore.c_str(), F_OK) != 0)
        write_file(ignore, "# Created by tach: a cache, safe to delete.\n*\n");
    const std::string temporary = path + ".tmp." + std::to_string(getpid());
    if (!write_file(temporary, render_durations(durations))) {
        unlink(temporary.c_str());
        return false;
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        unlink(temporary.c_str());
        return false;
    }
    return true;
}

std::vector<std::size_t> dispatch_order(const std::vector<std::string> &nodeids, const Durations &known) {
    std::vector<std::size_t> unknown, timed;
    for (std::size_t i = 0; i < nodeids.size(); ++i)
        (known.count(nodeids[i]) ? timed : unknown).push_back(i);
    std::stable_sort(timed.begin(), timed.end(), [&](std::size_t a, std::size_t b) {
        return known.at(nodeids[a]) > known.at(nodeids[b]);
    });
    unknown.insert(unknown.end(), timed.begin(), timed.end());
    return unknown;
}

} // namespace tach_cli
