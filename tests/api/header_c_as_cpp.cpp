// tach.h alone from C++11 (-pedantic -Werror): its extern "C" guards and
// its initialiser macro must work there too.
#include <tach.h>

#include <type_traits>

static_assert(std::is_standard_layout<tach_init_options>::value, "tach_init_options is a C struct");

int main() {
    tach_init_options opts = TACH_INIT_OPTIONS_INIT;
    tach_capabilities caps = TACH_CAPABILITIES_INIT;
    return opts.size == sizeof opts && caps.size == sizeof caps ? 0 : 1;
}
