/*
 * tach.h compiled alone as C99 with -Wall -Wextra -pedantic -Werror (see
 * meson.build).  Nothing else is included first: the header must bring
 * what it uses.  Only macros and types are used, so nothing is linked.
 */
#include <tach.h>

int main(void) {
    tach_init_options opts = TACH_INIT_OPTIONS_INIT;
    tach_capabilities caps = TACH_CAPABILITIES_INIT;
    tach_engine *engine = NULL;
    tach_result *result = NULL;
    tach_status status = TACH_OK;
    tach_outcome outcome = TACH_OUTCOME_PASSED;
    (void)engine;
    (void)result;
    (void)outcome;
    if (caps.size != sizeof caps || caps.reason[0] != '\0')
        return 1;
    if (TACH_VERSION_NUMBER != TACH_VERSION_MAJOR * 10000 + TACH_VERSION_MINOR * 100 + TACH_VERSION_PATCH)
        return 1;
    return opts.size == sizeof opts && opts.isolation == TACH_ISOLATION_AUTO && status == 0 ? 0 : 1;
}
