// Unit tests of the coverage reports (src/coverage/report*.cpp) on
// CoverageData built by hand; no engine, no Python.
//
// The sample project below is the one whose reports were compared with
// coverage.py 6.5's own `coverage report [-m]`, `coverage xml` and
// `coverage json` for the same statements and executed lines: the tables
// and the XML are the same text, the JSON the same document (apart from
// version and timestamp, and coverage.py's "executed_lines": [0] for an
// empty module, a line that is no statement).
//
//   test_coverage_report                 run the tests
//   test_coverage_report lcov-sample F   write the sample's LCOV to F (for
//                                        coverage_lcov_check.sh)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
}

#include "coverage/report.hpp"
#include "coverage/report_formats.hpp"
#include "tach.h"

namespace cov = tach::coverage;

namespace {

// ----------------------------------------------------------------- data

const char *const kTestOne = "tests/test_a.py::test_one";
const char *const kTestTwo = "tests/test_a.py::test_two";

// /proj: main_file.py (all run), pkg/__init__.py (no statements),
// pkg/mod.py (8 of 11), pkg/sub/deep9.py (1 of 2), pkg/sub/deep10.py (2 of 2).
cov::CoverageData sample() {
    cov::CoverageData d;
    d.root = "/proj";
    d.add_statements("/proj/main_file.py", {1, 2, 3, 4});
    d.add_executed("/proj/main_file.py", {1, 2, 3, 4}, cov::kCollectionContext);
    d.files["/proj/pkg/__init__.py"];
    d.add_statements("/proj/pkg/mod.py", {1, 2, 3, 4, 5, 7, 10, 11, 12, 13, 15});
    d.add_executed("/proj/pkg/mod.py", {1, 2, 15}, cov::kCollectionContext);
    d.add_executed("/proj/pkg/mod.py", {3}, kTestOne);
    d.add_executed("/proj/pkg/mod.py", {3, 10, 11, 12, 13}, kTestTwo);
    // A line that ran but is no statement (a docstring's continuation, say):
    // in no report.
    d.add_executed("/proj/pkg/mod.py", {6}, kTestTwo);
    d.add_statements("/proj/pkg/sub/deep9.py", {1, 2});
    d.add_executed("/proj/pkg/sub/deep9.py", {1}, cov::kCollectionContext);
    d.add_statements("/proj/pkg/sub/deep10.py", {1, 2});
    d.add_executed("/proj/pkg/sub/deep10.py", {1, 2}, cov::kCollectionContext);
    return d;
}

// A file of n statements of which the first `covered` ran.
cov::CoverageData sized(const std::string &name, std::uint32_t n, std::uint32_t covered) {
    cov::CoverageData d;
    d.root = "/r";
    std::vector<std::uint32_t> all;
    std::vector<std::uint32_t> run;
    for (std::uint32_t i = 1; i <= n; i++) {
        all.push_back(i);
        if (i <= covered)
            run.push_back(i);
    }
    d.add_statements("/r/" + name, all);
    d.add_executed("/r/" + name, run, "t");
    return d;
}

void expect_text(const std::string &got, const std::string &want, const char *what) {
    if (got != want) {
        print_error("%s differs\n--- got:\n%s\n--- want:\n%s\n", what, got.c_str(), want.c_str());
        fail();
    }
}

// ------------------------------------------------- a strict JSON reader

struct Json {
    enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
    bool boolean = false;
    double number = 0;
    std::string text;
    std::vector<Json> items;
    std::vector<std::pair<std::string, Json>> members;  // in document order

    const Json &operator[](const std::string &key) const {
        for (const auto &[k, v] : members)
            if (k == key)
                return v;
        static const Json missing;
        print_error("no member \"%s\"\n", key.c_str());
        fail();
        return missing;
    }
    bool has(const std::string &key) const {
        for (const auto &m : members)
            if (m.first == key)
                return true;
        return false;
    }
    std::vector<long> ints() const {
        std::vector<long> out;
        for (const Json &j : items)
            out.push_back(static_cast<long>(j.number));
        return out;
    }
};

// RFC 8259, nothing more: no trailing commas, no comments, no leading
// zeros, no raw control characters, one value and nothing after it.
class JsonReader {
public:
    explicit JsonReader(const std::string &s) : s_(s) {}

    bool read(Json &out) {
        if (!value(out))
            return false;
        space();
        return i_ == s_.size();
    }

private:
    void space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
            i_++;
    }
    bool literal(const char *word) {
        const std::size_t n = std::strlen(word);
        if (s_.compare(i_, n, word) != 0)
            return false;
        i_ += n;
        return true;
    }
    static void put_utf8(std::string &out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    bool hex4(unsigned &v) {
        if (i_ + 4 > s_.size())
            return false;
        v = 0;
        for (int k = 0; k < 4; k++) {
            const char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<unsigned>(c - 'A' + 10);
            else
                return false;
        }
        return true;
    }
    bool string(std::string &out) {
        if (i_ >= s_.size() || s_[i_] != '"')
            return false;
        i_++;
        while (i_ < s_.size()) {
            const char c = s_[i_++];
            if (c == '"')
                return true;
            if (static_cast<unsigned char>(c) < 0x20)
                return false;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size())
                return false;
            const char e = s_[i_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned cp;
                if (!hex4(cp))
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low;
                    if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF)
                        return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;
                }
                put_utf8(out, cp);
                break;
            }
            default:
                return false;
            }
        }
        return false;
    }
    bool number(double &out) {
        const std::size_t start = i_;
        if (i_ < s_.size() && s_[i_] == '-')
            i_++;
        const auto digits = [&] {
            const std::size_t from = i_;
            while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
                i_++;
            return i_ - from;
        };
        const std::size_t int_start = i_;
        const std::size_t n = digits();
        if (n == 0 || (n > 1 && s_[int_start] == '0'))
            return false;
        if (i_ < s_.size() && s_[i_] == '.') {
            i_++;
            if (digits() == 0)
                return false;
        }
        if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
            i_++;
            if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-'))
                i_++;
            if (digits() == 0)
                return false;
        }
        out = std::strtod(s_.substr(start, i_ - start).c_str(), nullptr);
        return true;
    }
    bool value(Json &out) {
        space();
        if (i_ >= s_.size())
            return false;
        const char c = s_[i_];
        if (c == '{') {
            out.kind = Json::Object;
            i_++;
            space();
            if (i_ < s_.size() && s_[i_] == '}') {
                i_++;
                return true;
            }
            for (;;) {
                space();
                std::string key;
                if (!string(key))
                    return false;
                space();
                if (i_ >= s_.size() || s_[i_++] != ':')
                    return false;
                Json v;
                if (!value(v))
                    return false;
                out.members.emplace_back(key, std::move(v));
                space();
                if (i_ >= s_.size())
                    return false;
                if (s_[i_] == ',') {
                    i_++;
                    continue;
                }
                if (s_[i_] == '}') {
                    i_++;
                    return true;
                }
                return false;
            }
        }
        if (c == '[') {
            out.kind = Json::Array;
            i_++;
            space();
            if (i_ < s_.size() && s_[i_] == ']') {
                i_++;
                return true;
            }
            for (;;) {
                Json v;
                if (!value(v))
                    return false;
                out.items.push_back(std::move(v));
                space();
                if (i_ >= s_.size())
                    return false;
                if (s_[i_] == ',') {
                    i_++;
                    continue;
                }
                if (s_[i_] == ']') {
                    i_++;
                    return true;
                }
                return false;
            }
        }
        if (c == '"') {
            out.kind = Json::String;
            return string(out.text);
        }
        if (literal("true")) {
            out.kind = Json::Bool;
            out.boolean = true;
            return true;
        }
        if (literal("false")) {
            out.kind = Json::Bool;
            return true;
        }
        if (literal("null"))
            return true;
        out.kind = Json::Number;
        return number(out.number);
    }

    const std::string &s_;
    std::size_t i_ = 0;
};

Json parse_json(const std::string &text) {
    Json j;
    JsonReader reader(text);
    if (!reader.read(j)) {
        print_error("not strict JSON:\n%s\n", text.c_str());
        fail();
    }
    return j;
}

// ------------------------------------------- a small well-formedness check

struct XmlElement {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;  // unescaped
    std::vector<std::unique_ptr<XmlElement>> children;
    std::string text;

    std::string attr(const std::string &key) const {
        for (const auto &[k, v] : attributes)
            if (k == key)
                return v;
        return "<missing " + key + ">";
    }
    std::vector<const XmlElement *> all(const std::string &tag) const {
        std::vector<const XmlElement *> out;
        for (const auto &c : children) {
            if (c->name == tag)
                out.push_back(c.get());
            for (const XmlElement *d : c->all(tag))
                out.push_back(d);
        }
        return out;
    }
};

// Checks that the document is one root element, properly nested, names
// well formed, attributes quoted and unique, entity and character
// references known, no '<' or raw '&' in text; the XML declaration and
// comments are allowed.  Returns the root, or nullptr.
class XmlReader {
public:
    explicit XmlReader(const std::string &s) : s_(s) {}

    std::unique_ptr<XmlElement> read() {
        if (s_.compare(0, 5, "<?xml") == 0) {
            const std::size_t end = s_.find("?>");
            if (end == std::string::npos)
                return nullptr;
            i_ = end + 2;
        }
        misc();
        auto root = element();
        if (!root)
            return nullptr;
        misc();
        return i_ == s_.size() ? std::move(root) : nullptr;
    }

private:
    static bool name_char(char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
               (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
    }
    void space() {
        while (i_ < s_.size() && std::strchr(" \t\r\n", s_[i_]) && s_[i_] != '\0')
            i_++;
    }
    bool comment() {
        if (s_.compare(i_, 4, "<!--") != 0)
            return false;
        const std::size_t end = s_.find("-->", i_ + 4);
        if (end == std::string::npos || s_.substr(i_ + 4, end - i_ - 4).find("--") != std::string::npos) {
            ok_ = false;
            return false;
        }
        i_ = end + 3;
        return true;
    }
    void misc() {
        for (;;) {
            space();
            if (!comment())
                return;
        }
    }
    bool name(std::string &out) {
        if (i_ >= s_.size() || !name_char(s_[i_], true))
            return false;
        while (i_ < s_.size() && name_char(s_[i_], out.empty()))
            out += s_[i_++];
        return true;
    }
    // Text up to `stop`, references resolved (ASCII ones only needed here).
    bool chars(char stop, std::string &out) {
        while (i_ < s_.size() && s_[i_] != stop) {
            const char c = s_[i_];
            if (c == '<' && stop == '"')
                return false;
            if (c == '&') {
                const std::size_t semi = s_.find(';', i_);
                if (semi == std::string::npos)
                    return false;
                const std::string ref = s_.substr(i_ + 1, semi - i_ - 1);
                static const std::map<std::string, char> named = {
                    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
                if (named.count(ref)) {
                    out += named.at(ref);
                } else if (ref.size() > 1 && ref[0] == '#' &&
                           ref.find_first_not_of("0123456789", 1) == std::string::npos) {
                    out += static_cast<char>(std::stoi(ref.substr(1)));
                } else {
                    return false;
                }
                i_ = semi + 1;
                continue;
            }
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return false;
            out += c;
            i_++;
        }
        return i_ < s_.size();
    }
    std::unique_ptr<XmlElement> element() {
        if (i_ >= s_.size() || s_[i_] != '<')
            return nullptr;
        i_++;
        auto e = std::make_unique<XmlElement>();
        if (!name(e->name))
            return nullptr;
        for (;;) {
            const std::size_t before = i_;
            space();
            if (i_ >= s_.size())
                return nullptr;
            if (s_.compare(i_, 2, "/>") == 0) {
                i_ += 2;
                return e;
            }
            if (s_[i_] == '>') {
                i_++;
                break;
            }
            if (i_ == before)
                return nullptr;  // attributes need space between them
            std::string key;
            if (!name(key) || i_ + 1 >= s_.size() || s_[i_] != '=' || s_[i_ + 1] != '"')
                return nullptr;
            i_ += 2;
            std::string value;
            if (!chars('"', value))
                return nullptr;
            i_++;
            for (const auto &a : e->attributes)
                if (a.first == key)
                    return nullptr;
            e->attributes.emplace_back(key, value);
        }
        for (;;) {
            if (!chars('<', e->text))
                return nullptr;
            if (comment())
                continue;
            if (!ok_)
                return nullptr;
            if (s_.compare(i_, 2, "</") == 0) {
                i_ += 2;
                std::string closing;
                if (!name(closing) || closing != e->name)
                    return nullptr;
                space();
                if (i_ >= s_.size() || s_[i_] != '>')
                    return nullptr;
                i_++;
                return e;
            }
            auto child = element();
            if (!child)
                return nullptr;
            e->children.push_back(std::move(child));
        }
    }

    const std::string &s_;
    std::size_t i_ = 0;
    bool ok_ = true;
};

std::unique_ptr<XmlElement> parse_xml(const std::string &text) {
    XmlReader reader(text);
    auto root = reader.read();
    if (!root) {
        print_error("not well-formed XML:\n%s\n", text.c_str());
        fail();
    }
    return root;
}

// ------------------------------------------------------------- helpers

void test_display_path(void **) {
    assert_string_equal(cov::display_path("/proj", "/proj/a/b.py").c_str(), "a/b.py");
    assert_string_equal(cov::display_path("/proj/", "/proj/a.py").c_str(), "a.py");
    // Only whole directory names: /project is not under /proj.
    assert_string_equal(cov::display_path("/proj", "/project/a.py").c_str(), "/project/a.py");
    assert_string_equal(cov::display_path("/proj", "/usr/lib/x.py").c_str(), "/usr/lib/x.py");
    assert_string_equal(cov::display_path("/", "/x.py").c_str(), "x.py");
    assert_string_equal(cov::display_path("", "/x.py").c_str(), "/x.py");
}

void test_percent_display(void **) {
    // coverage.py's Numbers.display_covered at precision 0.
    struct {
        double percent;
        const char *shown;
    } cases[] = {
        {0.0, "0"},     {0.001, "1"},  {0.4, "1"},   {0.6, "1"},    {1.0, "1"},
        {1.5, "2"},     {2.5, "2"},    {12.5, "12"}, {13.5, "14"},  {50.0, "50"},
        {72.7, "73"},   {98.5, "98"},  {98.6, "99"}, {99.0, "99"},  {99.4, "99"},
        {99.6, "99"},   {99.999, "99"}, {100.0, "100"},
    };
    for (const auto &c : cases) {
        const std::string shown = cov::percent_display(c.percent);
        if (shown != c.shown) {
            print_error("%g%% shows as %s, want %s\n", c.percent, shown.c_str(), c.shown);
            fail();
        }
    }
    assert_true(cov::percent_covered(0, 0) == 100.0);
    assert_true(cov::percent_covered(3, 4) == 75.0);
}

void test_missing_ranges(void **) {
    // Runs are of consecutive statements, whatever lines lie between them.
    assert_string_equal(cov::missing_ranges({1, 2, 3, 4, 5, 10, 11, 12, 13, 14},
                                            {1, 2, 5, 10, 11, 13, 14})
                            .c_str(),
                        "1-2, 5-11, 13-14");
    assert_string_equal(cov::missing_ranges({1, 2, 3, 4, 5, 7, 10}, {4, 5, 7}).c_str(), "4-7");
    assert_string_equal(cov::missing_ranges({3, 4, 5, 9}, {3, 4, 5, 9}).c_str(), "3-9");
    assert_string_equal(cov::missing_ranges({3, 4, 5, 6, 9}, {3, 4, 5, 9}).c_str(), "3-5, 9");
    assert_string_equal(cov::missing_ranges({1, 2, 3}, {2}).c_str(), "2");
    assert_string_equal(cov::missing_ranges({1, 2, 3}, {}).c_str(), "");
}

void test_human_order(void **) {
    assert_true(cov::human_less("f2.py", "f10.py"));
    assert_false(cov::human_less("f10.py", "f2.py"));
    assert_true(cov::human_less("a/deep9.py", "a/deep10.py"));
    assert_true(cov::human_less("a.py", "b.py"));
    assert_true(cov::human_less("B.py", "a.py"));  // byte order between texts
    assert_true(cov::human_less("x", "x1"));
    assert_true(cov::human_less("f007", "f7"));  // equal numbers: byte order
    assert_false(cov::human_less("f7", "f007"));
    assert_false(cov::human_less("same", "same"));
    assert_true(cov::human_less("v99999999999999999999", "v100000000000000000000"));
}

void test_json_pieces(void **) {
    assert_string_equal(cov::json_number(100.0).c_str(), "100.0");
    assert_string_equal(cov::json_number(0.0).c_str(), "0.0");
    assert_string_equal(cov::json_number(50.0).c_str(), "50.0");
    assert_string_equal(cov::json_number(800.0 / 11.0).c_str(), "72.72727272727273");
    assert_string_equal(cov::json_number(1500.0 / 19.0).c_str(), "78.94736842105263");
    assert_string_equal(cov::json_number(100.0 / 3.0).c_str(), "33.333333333333336");
    assert_string_equal(cov::json_number(1e-4).c_str(), "0.0001");
    assert_string_equal(cov::json_number(1e-5).c_str(), "1e-05");
    assert_string_equal(cov::json_number(0.015).c_str(), "0.015");

    assert_string_equal(cov::json_string("a\"b\\c\n\t\x01\x7f").c_str(),
                        "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
    // ensure_ascii, as json.dumps: é, €, and U+1F600 as a surrogate pair.
    assert_string_equal(cov::json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80").c_str(),
                        "\"\\u00e9\\u20ac\\ud83d\\ude00\"");
    // A byte that starts no UTF-8 sequence becomes U+FFFD.
    assert_string_equal(cov::json_string("a\xffz").c_str(), "\"a\\ufffdz\"");
    assert_string_equal(cov::json_string("\xc3").c_str(), "\"\\ufffd\"");
}

void test_xml_escape(void **) {
    assert_string_equal(cov::xml_escape("a<b>&\"c'").c_str(), "a&lt;b&gt;&amp;&quot;c'");
    assert_string_equal(cov::xml_escape("t\tn\nx\x01").c_str(), "t&#9;n&#10;x?");
}

// -------------------------------------------------------------- LCOV

void test_lcov(void **) {
    const std::string want =
        "TN:\nSF:main_file.py\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,1\nLF:4\nLH:4\nend_of_record\n"
        "TN:\nSF:pkg/__init__.py\nLF:0\nLH:0\nend_of_record\n"
        "TN:\nSF:pkg/mod.py\n"
        "DA:1,1\nDA:2,1\nDA:3,2\nDA:4,0\nDA:5,0\nDA:7,0\n"
        "DA:10,1\nDA:11,1\nDA:12,1\nDA:13,1\nDA:15,1\n"
        "LF:11\nLH:8\nend_of_record\n"
        "TN:\nSF:pkg/sub/deep10.py\nDA:1,1\nDA:2,1\nLF:2\nLH:2\nend_of_record\n"
        "TN:\nSF:pkg/sub/deep9.py\nDA:1,1\nDA:2,0\nLF:2\nLH:1\nend_of_record\n";
    expect_text(cov::render_lcov(sample()), want, "LCOV");
    expect_text(cov::render(sample(), cov::Format::Lcov, true), want, "render(Lcov)");
    expect_text(cov::render_lcov(cov::CoverageData{}), "", "empty LCOV");
}

void test_lcov_outside_root(void **) {
    cov::CoverageData d;
    d.root = "/proj";
    d.add_statements("/proj/z.py", {1});
    d.add_statements("/opt/lib/a.py", {2});
    d.add_executed("/opt/lib/a.py", {2}, "t1");
    d.add_executed("/opt/lib/a.py", {2}, "t2");
    d.add_executed("/opt/lib/a.py", {2}, "t2");
    expect_text(cov::render_lcov(d),
                "TN:\nSF:/opt/lib/a.py\nDA:2,2\nLF:1\nLH:1\nend_of_record\n"
                "TN:\nSF:z.py\nDA:1,0\nLF:1\nLH:0\nend_of_record\n",
                "LCOV outside the root");
}

// --------------------------------------------------------- Cobertura

const char *const kCoberturaHead =
    "<?xml version=\"1.0\" ?>\n"
    "<coverage version=\"tach " TACH_VERSION_STRING "\" timestamp=\"1700000000123\" "
    "lines-valid=\"19\" lines-covered=\"15\" line-rate=\"0.7895\" branches-covered=\"0\" "
    "branches-valid=\"0\" branch-rate=\"0\" complexity=\"0\">\n"
    "\t<!-- Generated by tach " TACH_VERSION_STRING " -->\n"
    "\t<!-- Based on https://raw.githubusercontent.com/cobertura/web/master/htdocs/xml/"
    "coverage-04.dtd -->\n"
    "\t<sources>\n"
    "\t\t<source>/proj</source>\n"
    "\t</sources>\n"
    "\t<packages>\n";

void test_cobertura_exact(void **) {
    std::string want = kCoberturaHead;
    want +=
        "\t\t<package name=\".\" line-rate=\"1\" branch-rate=\"0\" complexity=\"0\">\n"
        "\t\t\t<classes>\n"
        "\t\t\t\t<class name=\"main_file.py\" filename=\"main_file.py\" complexity=\"0\" "
        "line-rate=\"1\" branch-rate=\"0\">\n"
        "\t\t\t\t\t<methods/>\n"
        "\t\t\t\t\t<lines>\n"
        "\t\t\t\t\t\t<line number=\"1\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"2\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"3\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"4\" hits=\"1\"/>\n"
        "\t\t\t\t\t</lines>\n"
        "\t\t\t\t</class>\n"
        "\t\t\t</classes>\n"
        "\t\t</package>\n"
        "\t\t<package name=\"pkg\" line-rate=\"0.7273\" branch-rate=\"0\" complexity=\"0\">\n"
        "\t\t\t<classes>\n"
        "\t\t\t\t<class name=\"__init__.py\" filename=\"pkg/__init__.py\" complexity=\"0\" "
        "line-rate=\"1\" branch-rate=\"0\">\n"
        "\t\t\t\t\t<methods/>\n"
        "\t\t\t\t\t<lines/>\n"
        "\t\t\t\t</class>\n"
        "\t\t\t\t<class name=\"mod.py\" filename=\"pkg/mod.py\" complexity=\"0\" "
        "line-rate=\"0.7273\" branch-rate=\"0\">\n"
        "\t\t\t\t\t<methods/>\n"
        "\t\t\t\t\t<lines>\n"
        "\t\t\t\t\t\t<line number=\"1\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"2\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"3\" hits=\"2\"/>\n"
        "\t\t\t\t\t\t<line number=\"4\" hits=\"0\"/>\n"
        "\t\t\t\t\t\t<line number=\"5\" hits=\"0\"/>\n"
        "\t\t\t\t\t\t<line number=\"7\" hits=\"0\"/>\n"
        "\t\t\t\t\t\t<line number=\"10\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"11\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"12\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"13\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"15\" hits=\"1\"/>\n"
        "\t\t\t\t\t</lines>\n"
        "\t\t\t\t</class>\n"
        "\t\t\t</classes>\n"
        "\t\t</package>\n"
        "\t\t<package name=\"pkg.sub\" line-rate=\"0.75\" branch-rate=\"0\" complexity=\"0\">\n"
        "\t\t\t<classes>\n"
        "\t\t\t\t<class name=\"deep9.py\" filename=\"pkg/sub/deep9.py\" complexity=\"0\" "
        "line-rate=\"0.5\" branch-rate=\"0\">\n"
        "\t\t\t\t\t<methods/>\n"
        "\t\t\t\t\t<lines>\n"
        "\t\t\t\t\t\t<line number=\"1\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"2\" hits=\"0\"/>\n"
        "\t\t\t\t\t</lines>\n"
        "\t\t\t\t</class>\n"
        "\t\t\t\t<class name=\"deep10.py\" filename=\"pkg/sub/deep10.py\" complexity=\"0\" "
        "line-rate=\"1\" branch-rate=\"0\">\n"
        "\t\t\t\t\t<methods/>\n"
        "\t\t\t\t\t<lines>\n"
        "\t\t\t\t\t\t<line number=\"1\" hits=\"1\"/>\n"
        "\t\t\t\t\t\t<line number=\"2\" hits=\"1\"/>\n"
        "\t\t\t\t\t</lines>\n"
        "\t\t\t\t</class>\n"
        "\t\t\t</classes>\n"
        "\t\t</package>\n"
        "\t</packages>\n"
        "</coverage>\n";
    const std::string got = cov::render_cobertura(sample(), 1700000000123LL);
    expect_text(got, want, "Cobertura");
    parse_xml(got);
}

void test_cobertura_parsed(void **) {
    // Through render(): a current timestamp, the same document otherwise.
    const std::string text = cov::render(sample(), cov::Format::Cobertura, false);
    const auto root = parse_xml(text);
    assert_string_equal(root->name.c_str(), "coverage");
    assert_string_equal(root->attr("lines-valid").c_str(), "19");
    assert_string_equal(root->attr("lines-covered").c_str(), "15");
    assert_string_equal(root->attr("line-rate").c_str(), "0.7895");
    assert_true(std::stoll(root->attr("timestamp")) > 1700000000000LL);
    const auto sources = root->all("source");
    assert_int_equal(sources.size(), 1);
    assert_string_equal(sources[0]->text.c_str(), "/proj");

    std::map<std::string, std::map<std::string, std::string>> hits;  // file -> line -> hits
    for (const XmlElement *c : root->all("class"))
        for (const XmlElement *l : c->all("line"))
            hits[c->attr("filename")][l->attr("number")] = l->attr("hits");
    assert_int_equal(hits.size(), 4);  // __init__.py has no lines
    assert_string_equal(hits["pkg/mod.py"]["3"].c_str(), "2");
    assert_string_equal(hits["pkg/mod.py"]["7"].c_str(), "0");
    assert_true(hits["pkg/mod.py"].count("6") == 0);
    assert_string_equal(hits["pkg/sub/deep9.py"]["2"].c_str(), "0");
}

void test_cobertura_escaping_and_outside(void **) {
    cov::CoverageData d;
    d.root = "/p&q";
    d.add_statements("/p&q/a<b>/\"x\".py", {1});
    d.add_executed("/p&q/a<b>/\"x\".py", {1}, "t");
    d.add_statements("/usr/lib/py/m.py", {1, 2});
    d.add_statements("/top.py", {3});
    const std::string text = cov::render_cobertura(d, 5);
    const auto root = parse_xml(text);
    assert_string_equal(root->all("source")[0]->text.c_str(), "/p&q");
    std::vector<std::string> packages;
    for (const XmlElement *p : root->all("package"))
        packages.push_back(p->attr("name"));
    assert_int_equal(packages.size(), 3);
    // Outside the root: the absolute directory, dotted, without a leading dot.
    assert_string_equal(packages[0].c_str(), ".");
    assert_string_equal(packages[1].c_str(), "a<b>");
    assert_string_equal(packages[2].c_str(), "usr.lib.py");
    const auto classes = root->all("class");
    assert_string_equal(classes[0]->attr("filename").c_str(), "/top.py");
    assert_string_equal(classes[0]->attr("name").c_str(), "top.py");
    assert_string_equal(classes[0]->attr("line-rate").c_str(), "0");
    assert_string_equal(classes[1]->attr("filename").c_str(), "a<b>/\"x\".py");
    assert_string_equal(classes[1]->attr("name").c_str(), "\"x\".py");
    assert_string_equal(classes[2]->attr("filename").c_str(), "/usr/lib/py/m.py");
    assert_string_equal(root->attr("line-rate").c_str(), "0.25");

    const std::string empty = cov::render_cobertura(cov::CoverageData{"/r", {}}, 5);
    const auto empty_root = parse_xml(empty);
    assert_string_equal(empty_root->attr("line-rate").c_str(), "1");
    assert_string_equal(empty_root->attr("lines-valid").c_str(), "0");
    assert_true(empty.find("\t<packages/>\n") != std::string::npos);
}

// -------------------------------------------------------------- JSON

void test_json_exact(void **) {
    cov::CoverageData d;
    d.root = "/proj";
    d.add_statements("/proj/pkg/m.py", {1, 2, 4});
    d.add_executed("/proj/pkg/m.py", {1, 3}, cov::kCollectionContext);
    d.add_executed("/proj/pkg/m.py", {1}, kTestOne);
    d.add_statements("/proj/a.py", {1, 2, 3});
    d.add_executed("/proj/a.py", {1, 2, 3}, kTestTwo);
    const std::string summary_a =
        "{\"covered_lines\": 3, \"num_statements\": 3, \"percent_covered\": 100.0, "
        "\"percent_covered_display\": \"100\", \"missing_lines\": 0, \"excluded_lines\": 0}";
    const std::string summary_m =
        "{\"covered_lines\": 1, \"num_statements\": 3, \"percent_covered\": 33.333333333333336, "
        "\"percent_covered_display\": \"33\", \"missing_lines\": 2, \"excluded_lines\": 0}";
    const std::string totals =
        "{\"covered_lines\": 4, \"num_statements\": 6, \"percent_covered\": 66.66666666666667, "
        "\"percent_covered_display\": \"67\", \"missing_lines\": 2, \"excluded_lines\": 0}";
    const std::string meta_head =
        "{\"meta\": {\"version\": \"tach " TACH_VERSION_STRING
        "\", \"timestamp\": \"2024-05-06T07:08:09.123456\", \"branch_coverage\": false, ";

    expect_text(cov::render_json(d, false, "2024-05-06T07:08:09.123456"),
                meta_head + "\"show_contexts\": false}, \"files\": {" +
                    "\"a.py\": {\"executed_lines\": [1, 2, 3], \"summary\": " + summary_a +
                    ", \"missing_lines\": [], \"excluded_lines\": []}, " +
                    "\"pkg/m.py\": {\"executed_lines\": [1], \"summary\": " + summary_m +
                    ", \"missing_lines\": [2, 4], \"excluded_lines\": []}}, \"totals\": " +
                    totals + "}",
                "JSON without contexts");

    expect_text(cov::render_json(d, true, "2024-05-06T07:08:09.123456"),
                meta_head + "\"show_contexts\": true}, \"files\": {" +
                    "\"a.py\": {\"executed_lines\": [1, 2, 3], \"summary\": " + summary_a +
                    ", \"missing_lines\": [], \"excluded_lines\": [], \"contexts\": {" +
                    "\"1\": [\"tests/test_a.py::test_two\"], " +
                    "\"2\": [\"tests/test_a.py::test_two\"], " +
                    "\"3\": [\"tests/test_a.py::test_two\"]}}, " +
                    "\"pkg/m.py\": {\"executed_lines\": [1], \"summary\": " + summary_m +
                    ", \"missing_lines\": [2, 4], \"excluded_lines\": [], \"contexts\": {" +
                    "\"1\": [\"collection\", \"tests/test_a.py::test_one\"]}}}, \"totals\": " +
                    totals + "}",
                "JSON with contexts");
}

void check_summary(const Json &s, long covered, long statements, double percent,
                   const char *display) {
    assert_int_equal(static_cast<long>(s["covered_lines"].number), covered);
    assert_int_equal(static_cast<long>(s["num_statements"].number), statements);
    assert_true(std::fabs(s["percent_covered"].number - percent) < 1e-9);
    assert_string_equal(s["percent_covered_display"].text.c_str(), display);
    assert_int_equal(static_cast<long>(s["missing_lines"].number), statements - covered);
    assert_int_equal(static_cast<long>(s["excluded_lines"].number), 0);
}

void test_json_parsed(void **) {
    const Json doc = parse_json(cov::render(sample(), cov::Format::Json, true));
    assert_int_equal(doc.members.size(), 3);
    assert_string_equal(doc.members[0].first.c_str(), "meta");
    assert_string_equal(doc.members[1].first.c_str(), "files");
    assert_string_equal(doc.members[2].first.c_str(), "totals");
    const Json &meta = doc["meta"];
    assert_string_equal(meta["version"].text.c_str(), "tach " TACH_VERSION_STRING);
    // datetime.isoformat(): YYYY-MM-DDTHH:MM:SS[.ffffff]
    const std::string stamp = meta["timestamp"].text;
    assert_true((stamp.size() == 19 || stamp.size() == 26) && stamp[10] == 'T');
    assert_true(meta["branch_coverage"].kind == Json::Bool && !meta["branch_coverage"].boolean);
    assert_true(meta["show_contexts"].boolean);

    const Json &files = doc["files"];
    std::vector<std::string> names;
    for (const auto &m : files.members)
        names.push_back(m.first);
    const std::vector<std::string> want_names = {"main_file.py", "pkg/__init__.py", "pkg/mod.py",
                                                 "pkg/sub/deep10.py", "pkg/sub/deep9.py"};
    assert_true(names == want_names);

    const Json &mod = files["pkg/mod.py"];
    assert_true(mod["executed_lines"].ints() == (std::vector<long>{1, 2, 3, 10, 11, 12, 13, 15}));
    assert_true(mod["missing_lines"].ints() == (std::vector<long>{4, 5, 7}));
    assert_true(mod["excluded_lines"].items.empty());
    check_summary(mod["summary"], 8, 11, 800.0 / 11.0, "73");
    const Json &contexts = mod["contexts"];
    assert_int_equal(contexts.members.size(), 8);  // the executed statements; not line 6
    assert_false(contexts.has("6"));
    const Json &line3 = contexts["3"];
    assert_int_equal(line3.items.size(), 2);
    assert_string_equal(line3.items[0].text.c_str(), kTestOne);
    assert_string_equal(line3.items[1].text.c_str(), kTestTwo);
    assert_string_equal(contexts["15"].items[0].text.c_str(), "collection");

    check_summary(files["pkg/__init__.py"]["summary"], 0, 0, 100.0, "100");
    check_summary(doc["totals"], 15, 19, 1500.0 / 19.0, "79");

    const Json plain = parse_json(cov::render(sample(), cov::Format::Json, false));
    assert_false(plain["meta"]["show_contexts"].boolean);
    assert_false(plain["files"]["pkg/mod.py"].has("contexts"));

    const Json empty = parse_json(cov::render(cov::CoverageData{"/r", {}}, cov::Format::Json, false));
    assert_true(empty["files"].kind == Json::Object && empty["files"].members.empty());
    check_summary(empty["totals"], 0, 0, 100.0, "100");
}

void test_json_odd_names(void **) {
    cov::CoverageData d;
    d.root = "/r";
    const std::string name = "/r/d\xc3\xa9j\xc3\xa0 \"vu\"\\\xf0\x9f\x98\x80.py";
    d.add_statements(name, {1});
    d.add_executed(name, {1}, "t::x[\"\xe2\x82\xac\"]");
    const std::string text = cov::render(d, cov::Format::Json, true);
    for (const char c : text)
        assert_true(static_cast<unsigned char>(c) < 0x80);  // ensure_ascii
    const Json doc = parse_json(text);
    assert_string_equal(doc["files"].members[0].first.c_str(), name.substr(3).c_str());
    assert_string_equal(doc["files"].members[0].second["contexts"]["1"].items[0].text.c_str(),
                        "t::x[\"\xe2\x82\xac\"]");
}

// -------------------------------------------------------------- text

void test_text_exact(void **) {
    expect_text(cov::render_text(sample(), false),
                "Name                Stmts   Miss  Cover\n"
                "---------------------------------------\n"
                "main_file.py            4      0   100%\n"
                "pkg/__init__.py         0      0   100%\n"
                "pkg/mod.py             11      3    73%\n"
                "pkg/sub/deep9.py        2      1    50%\n"
                "pkg/sub/deep10.py       2      0   100%\n"
                "---------------------------------------\n"
                "TOTAL                  19      4    79%\n",
                "term");
    expect_text(cov::render(sample(), cov::Format::TextMissing, false),
                "Name                Stmts   Miss  Cover   Missing\n"
                "-------------------------------------------------\n"
                "main_file.py            4      0   100%\n"
                "pkg/__init__.py         0      0   100%\n"
                "pkg/mod.py             11      3    73%   4-7\n"
                "pkg/sub/deep9.py        2      1    50%   2\n"
                "pkg/sub/deep10.py       2      0   100%\n"
                "-------------------------------------------------\n"
                "TOTAL                  19      4    79%\n",
                "term-missing");
}

void test_text_short_names_and_rounding(void **) {
    // Names shorter than "TOTAL" still get a five-wide column.
    expect_text(cov::render(sized("a.py", 1000, 996), cov::Format::Text, false),
                "Name    Stmts   Miss  Cover\n"
                "---------------------------\n"
                "a.py     1000      4    99%\n"
                "---------------------------\n"
                "TOTAL    1000      4    99%\n",
                "99.6% shows 99%");
    expect_text(cov::render(sized("a.py", 1000, 4), cov::Format::TextMissing, false),
                "Name    Stmts   Miss  Cover   Missing\n"
                "-------------------------------------\n"
                "a.py     1000    996     1%   5-1000\n"
                "-------------------------------------\n"
                "TOTAL    1000    996     1%\n",
                "0.4% shows 1%");
    expect_text(cov::render(sized("a.py", 8, 0), cov::Format::TextMissing, false),
                "Name    Stmts   Miss  Cover   Missing\n"
                "-------------------------------------\n"
                "a.py        8      8     0%   1-8\n"
                "-------------------------------------\n"
                "TOTAL       8      8     0%\n",
                "nothing covered");
    // 1/8 = 12.5%: an exact half rounds to even, as Python's round().
    expect_text(cov::render(sized("b.py", 8, 1), cov::Format::Text, false),
                "Name    Stmts   Miss  Cover\n"
                "---------------------------\n"
                "b.py        8      7    12%\n"
                "---------------------------\n"
                "TOTAL       8      7    12%\n",
                "12.5% shows 12%");
    expect_text(cov::render(cov::CoverageData{"/r", {}}, cov::Format::Text, false),
                "No data to report.\n", "no files");
}

void test_text_order_and_width(void **) {
    cov::CoverageData d;
    d.root = "/r";
    d.add_statements("/r/t10.py", {1});
    d.add_statements("/r/t9.py", {1, 2, 3});
    d.add_executed("/r/t9.py", {2}, "x");
    d.add_statements("/r/caf\xc3\xa9.py", {1});  // 7 characters, 8 bytes
    d.add_executed("/r/caf\xc3\xa9.py", {1}, "x");
    d.add_statements("/elsewhere/lib.py", {4, 6});
    d.add_executed("/elsewhere/lib.py", {4, 6}, "x");
    expect_text(cov::render(d, cov::Format::TextMissing, false),
                "Name                Stmts   Miss  Cover   Missing\n"
                "-------------------------------------------------\n"
                "/elsewhere/lib.py       2      0   100%\n"
                "caf\xc3\xa9.py                 1      0   100%\n"
                "t9.py                   3      2    33%   1, 3\n"
                "t10.py                  1      1     0%   1\n"
                "-------------------------------------------------\n"
                "TOTAL                   7      3    57%\n",
                "human order, widths in characters");
}

} // namespace

// The sample's LCOV, for the lcov(1) check script.
static int write_lcov_sample(const char *path) {
    std::FILE *f = std::fopen(path, "w");
    if (!f)
        return 1;
    const std::string text = cov::render(sample(), cov::Format::Lcov, false);
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    return std::fclose(f) == 0 && ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 3 && std::strcmp(argv[1], "lcov-sample") == 0)
        return write_lcov_sample(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_path),
        cmocka_unit_test(test_percent_display),
        cmocka_unit_test(test_missing_ranges),
        cmocka_unit_test(test_human_order),
        cmocka_unit_test(test_json_pieces),
        cmocka_unit_test(test_xml_escape),
        cmocka_unit_test(test_lcov),
        cmocka_unit_test(test_lcov_outside_root),
        cmocka_unit_test(test_cobertura_exact),
        cmocka_unit_test(test_cobertura_parsed),
        cmocka_unit_test(test_cobertura_escaping_and_outside),
        cmocka_unit_test(test_json_exact),
        cmocka_unit_test(test_json_parsed),
        cmocka_unit_test(test_json_odd_names),
        cmocka_unit_test(test_text_exact),
        cmocka_unit_test(test_text_short_names_and_rounding),
        cmocka_unit_test(test_text_order_and_width),
    };
    return cmocka_run_group_tests_name("coverage_report", tests, nullptr, nullptr);
}
