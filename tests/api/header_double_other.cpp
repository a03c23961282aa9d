// The second translation unit of header_double: tach.hpp's definitions
// must not collide at link time with those of header_double.cpp.
#include <tach.h>
#include <tach.hpp>

int other_translation_unit() {
    tach::InitOptions opts;
    opts.arg("a").arg("b");
    return static_cast<int>(opts.capi().nargs);
}
