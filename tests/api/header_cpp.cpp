// tach.hpp compiled alone as C++17 with -Wall -Wextra -pedantic -Werror
// (see meson.build); it must include everything it uses.
#include <tach.hpp>

int main() {
    tach::InitOptions opts;
    opts.project_root("/nowhere").arg("-q").timeout(1.0);
    return opts.capi().nargs == 1 ? 0 : 1;
}
