// Including tach.hpp and tach.h twice, in either order, compiles: the
// include guards hold and every function is inline (two translation units
// of this program include it, see header_double_other.cpp).
#include <tach.hpp>
#include <tach.h>
#include <tach.hpp>

int other_translation_unit();

int main() {
    tach::InitOptions opts;
    opts.arg("x");
    return opts.capi().nargs == 1 && other_translation_unit() == 2 ? 0 : 1;
}
