/* Including tach.h twice, in both orders with the standard headers it
 * uses, compiles without redefinitions. */
#include <tach.h>
#include <stddef.h>
#include <tach.h>
#include <stdint.h>
#include <tach.h>

int main(void) {
    tach_init_options opts = TACH_INIT_OPTIONS_INIT;
    return opts.size == sizeof opts ? 0 : 1;
}
