// tach_probe_capabilities: what the kernel offers snapshot isolation.
#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "restore/maps.hpp"
#include "restore/pagemap_scan.hpp"
#include "restore/uffd.hpp"
#include "tach.h"

namespace {

bool probe_fd(const char *path, bool (*probe)(int)) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = probe(fd);
    close(fd);
    return ok;
}

}  // namespace

extern "C" TACH_API int tach_probe_capabilities(tach_capabilities *out) {
    if (!out || out->size != sizeof(tach_capabilities)) return TACH_EINVAL;
    tach_capabilities caps = TACH_CAPABILITIES_INIT;
    utsname u;
    if (uname(&u) == 0) std::snprintf(caps.kernel_release, sizeof caps.kernel_release, "%s", u.release);
    tach::restore::UffdFeatures f = tach::restore::probe_uffd();
    caps.userfaultfd = f.available;
    caps.uffd_wp_async = f.wp_async;
    caps.uffd_wp_unpopulated = f.wp_unpopulated;
    caps.pagemap_scan = probe_fd("/proc/self/pagemap", tach::restore::pagemap_scan_available);
    caps.procmap_query = probe_fd("/proc/self/maps", tach::restore::procmap_query_available);
    caps.snapshot_supported = caps.userfaultfd && caps.uffd_wp_async && caps.uffd_wp_unpopulated && caps.pagemap_scan;
    if (!caps.userfaultfd)
        std::snprintf(caps.reason, sizeof caps.reason, "userfaultfd is not available to this user: %s",
                      std::strerror(f.error));
    else if (!caps.uffd_wp_async || !caps.uffd_wp_unpopulated)
        std::snprintf(caps.reason, sizeof caps.reason,
                      "the kernel's userfaultfd lacks WP_ASYNC/WP_UNPOPULATED (Linux 6.7+ needed)");
    else if (!caps.pagemap_scan)
        std::snprintf(caps.reason, sizeof caps.reason, "the kernel lacks the PAGEMAP_SCAN ioctl (Linux 6.7+ needed)");
    *out = caps;
    return TACH_OK;
}
