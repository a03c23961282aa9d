// cmocka tests of the memory side of in-place restore (src/restore/maps,
// uffd, pagemap_scan, memory_image) on synthetic processes: each case runs
// in a forked child that captures itself, changes its memory the way tests
// do, restores and checks, then reports through its exit status.
//
// Restore headers come before cmocka.h: cmocka defines a fail() macro.
#include "restore/arena.hpp"
#include "restore/maps.hpp"
#include "restore/memory_image.hpp"
#include "restore/pagemap_scan.hpp"
#include "restore/uffd.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
}

using namespace tach::restore;

namespace {

constexpr std::size_t kPage = 4096;

// State a child case works on.  Globals live in .data/.bss: tracked.
int g_data_counter = 17;
char g_bss_buffer[3 * kPage];

struct Image {
    Arena arena;
    MemoryImage *image = nullptr;
};

// Child-side check: print what failed and exit non-zero.
#define CHILD_CHECK(cond)                                                             \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            std::fflush(stderr);                                                      \
            _exit(1);                                                                 \
        }                                                                             \
    } while (0)

bool capture(Image *img) {
    if (!img->arena.reserve(std::size_t{4} << 30)) return false;
    img->image = img->arena.allocate_array<MemoryImage>(1);
    RestoreError err;
    int stack_marker = 0;
    if (!img->image->prepare(img->arena, &err) ||
        !img->image->capture(reinterpret_cast<std::uintptr_t>(&stack_marker), &err)) {
        std::fprintf(stderr, "capture failed: %s (%s)\n", err.what, std::strerror(err.sys_errno));
        return false;
    }
    return true;
}

bool restore_and_verify(Image *img, MemoryStats *stats, const char **why) {
    RestoreError err;
    int stack_marker = 0;
    auto sp = reinterpret_cast<std::uintptr_t>(&stack_marker);
    if (!img->image->restore(sp, stats, &err)) {
        *why = err.what;
        std::fprintf(stderr, "restore failed: %s (%s)\n", err.what, std::strerror(err.sys_errno));
        return false;
    }
    std::uint64_t bad = 0;
    if (!img->image->verify(&bad, &err)) {
        *why = err.what;
        std::fprintf(stderr, "verify failed at %#llx (errno at %p)\n", static_cast<unsigned long long>(bad), (void *)&errno);
        return false;
    }
    return true;
}

// Runs `body` in a forked child; the case passes if the child exits 0.
void in_child(void (*body)()) {
    std::fflush(nullptr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        // Unbuffered: a restore rolls stdio's buffers back too.
        setvbuf(stdout, nullptr, _IONBF, 0);
        setvbuf(stderr, nullptr, _IONBF, 0);
        body();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

bool maps_prot_at(std::uintptr_t addr, int *prot) {
    static MapEntry entries[1 << 14];
    static char text[8 << 20];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    long n = read_maps_text(fd, text, sizeof text, entries, sizeof entries / sizeof entries[0]);
    close(fd);
    for (long i = 0; i < n; ++i) {
        if (entries[i].start <= addr && addr < entries[i].end) {
            *prot = entries[i].prot;
            return true;
        }
    }
    return false;
}

bool is_mapped(void *addr) {
    unsigned char vec;
    return mincore(addr, kPage, &vec) == 0 || errno != ENOMEM;
}

// ---------------------------------------------------------------- cases

// Memory the engine restores behind the compiler's back: make every
// pointer to it escape, so reads after a restore really read memory.
unsigned char *volatile g_escape;

void child_heap_and_globals() {
    auto *heap = static_cast<unsigned char *>(std::malloc(64 * kPage));
    g_escape = heap;
    std::memset(heap, 0xab, 64 * kPage);
    std::memset(g_bss_buffer, 'g', sizeof g_bss_buffer);
    Image img;
    CHILD_CHECK(capture(&img));
    for (int cycle = 0; cycle < 20; ++cycle) {
        heap[5 * kPage + 7] = 0x11;
        heap[40 * kPage] = 0x22;
        g_data_counter += 100;
        g_bss_buffer[kPage + 3] = 'x';
        MemoryStats stats;
        const char *why = nullptr;
        CHILD_CHECK(restore_and_verify(&img, &stats, &why));

        CHILD_CHECK(heap[5 * kPage + 7] == 0xab && heap[40 * kPage] == 0xab);
        CHILD_CHECK(g_data_counter == 17);
        CHILD_CHECK(g_bss_buffer[kPage + 3] == 'g');
        CHILD_CHECK(stats.pages_copied >= 3);
    }
}

void child_untouched_memory_costs_little() {
    Image img;
    CHILD_CHECK(capture(&img));
    MemoryStats first;
    const char *why = nullptr;
    CHILD_CHECK(restore_and_verify(&img, &first, &why));
    // Nothing written between two restores: only the restore path's own
    // few pages (libc, stack-adjacent TLS) may come back.
    MemoryStats second;
    CHILD_CHECK(restore_and_verify(&img, &second, &why));
    CHILD_CHECK(second.pages_copied < 32);
}

void child_new_mapping_is_unmapped() {
    Image img;
    CHILD_CHECK(capture(&img));
    void *fresh = mmap(nullptr, 16 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_CHECK(fresh != MAP_FAILED);
    static_cast<char *>(fresh)[0] = 1;
    void *big = mmap(nullptr, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_CHECK(big != MAP_FAILED);
    std::memset(big, 1, 8 << 20);
    MemoryStats stats;
    const char *why = nullptr;
    CHILD_CHECK(restore_and_verify(&img, &stats, &why));
    CHILD_CHECK(stats.ranges_unmapped >= 2);
    CHILD_CHECK(!is_mapped(fresh));
    CHILD_CHECK(!is_mapped(big));
}

void child_unmapped_range_is_recreated() {
    auto *area = static_cast<unsigned char *>(
        mmap(nullptr, 8 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHILD_CHECK(area != MAP_FAILED);
    std::memset(area, 'm', 8 * kPage);
    Image img;
    CHILD_CHECK(capture(&img));
    CHILD_CHECK(munmap(area + 2 * kPage, 3 * kPage) == 0);  // a hole in the middle
    MemoryStats stats;
    const char *why = nullptr;
    CHILD_CHECK(restore_and_verify(&img, &stats, &why));
    CHILD_CHECK(stats.ranges_recreated >= 1);
    for (std::size_t i = 0; i < 8 * kPage; i += 512) CHILD_CHECK(area[i] == 'm');
    // Later writes to the re-created part are tracked again.
    area[3 * kPage] = 'z';
    CHILD_CHECK(restore_and_verify(&img, &stats, &why));
    CHILD_CHECK(area[3 * kPage] == 'm');
}

void child_mapped_again_in_place() {
    auto *area = static_cast<unsigned char *>(
        mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHILD_CHECK(area != MAP_FAILED);
    std::memset(area, 'k', 4 * kPage);
    Image img;
    CHILD_CHECK(capture(&img));
    // Same address, same flags: looks identical in /proc/self/maps, but is
    // no longer registered (RESTORE_NOTES trap 2).
    CHILD_CHECK(munmap(area, 4 * kPage) == 0);
    CHILD_CHECK(mmap(area, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
                area);
    area[kPage] = 'q';
    MemoryStats stats;
    const char *why = nullptr;
    CHILD_CHECK(restore_and_verify(&img, &stats, &why));
    CHILD_CHECK(stats.ranges_reregistered >= 1);
    for (std::size_t i = 0; i < 4 * kPage; i += 256) CHILD_CHECK(area[i] == 'k');
    area[2 * kPage] = 'w';
    CHILD_CHECK(restore_and_verify(&img, &stats, &why));
    CHILD_CHECK(area[2 * kPage] == 'k');
}

void child_protection_is_put_back() {
    auto *area = static_cast<unsigned char *>(
        mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHILD_CHECK(area != MAP_FAILED);
    area[0] = 'p';
    Image img;
    CHILD_CHECK(capture(&img));
    CHILD_CHECK(mprotect(area + kPage, kPage, PROT_READ) == 0);
    MemoryStats stats;
    const char *why = nullptr;
    CHILD_CHECK(restore_and_verify(&img, &stats, &why));
    CHILD_CHECK(stats.ranges_reprotected >= 1);
    int prot = 0;
    CHILD_CHECK(maps_prot_at(reinterpret_cast<std::uintptr_t>(area + kPage), &prot));
    CHILD_CHECK(prot == (PROT_READ | PROT_WRITE));
    area[kPage] = 'n';  // writable again
    CHILD_CHECK(restore_and_verify(&img, &stats, &why));
}

void child_program_break() {
    void *start = sbrk(0);
    Image img;
    CHILD_CHECK(capture(&img));
    for (int cycle = 0; cycle < 5; ++cycle) {
        char *grown = static_cast<char *>(sbrk(64 * kPage));
        CHILD_CHECK(grown != reinterpret_cast<char *>(-1));
        std::memset(grown, 7, 64 * kPage);
        MemoryStats stats;
        const char *why = nullptr;
        CHILD_CHECK(restore_and_verify(&img, &stats, &why));
        CHILD_CHECK(sbrk(0) == start);
    }
}

void child_file_mapping_removed_is_an_error() {
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    CHILD_CHECK(fd >= 0);
    void *ro = mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE, fd, 0);
    CHILD_CHECK(ro != MAP_FAILED);
    close(fd);
    Image img;
    CHILD_CHECK(capture(&img));
    CHILD_CHECK(munmap(ro, kPage) == 0);
    MemoryStats stats;
    RestoreError err;
    int marker = 0;
    // Cannot be exact: the engine must say so, not crash or guess.
    CHILD_CHECK(!img.image->restore(reinterpret_cast<std::uintptr_t>(&marker), &stats, &err));
    CHILD_CHECK(err.what != nullptr);
}

void child_many_cycles_keep_rss_flat() {
    auto rss_pages = [] {
        long size = 0, resident = 0;
        FILE *f = std::fopen("/proc/self/statm", "r");
        if (!f || std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
        if (f) std::fclose(f);
        return resident;
    };
    Image img;
    CHILD_CHECK(capture(&img));
    long rss_after_first = -1;
    for (int cycle = 0; cycle < 1000; ++cycle) {
        void *p = std::malloc(256 * 1024);
        std::memset(p, cycle & 0xff, 256 * 1024);
        g_data_counter = cycle;
        MemoryStats stats;
        const char *why = nullptr;
        CHILD_CHECK(restore_and_verify(&img, &stats, &why));
        if (cycle == 1) rss_after_first = rss_pages();
    }
    long rss_end = rss_pages();
    CHILD_CHECK(rss_after_first > 0 && rss_end > 0);
    // Flat: within 64 pages (256 KiB) of the early reading.
    CHILD_CHECK(rss_end <= rss_after_first + 64);
}

void child_maps_text_and_query_agree() {
    static MapEntry text_entries[1 << 14];
    static MapEntry query_entries[1 << 14];
    static char text[8 << 20];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    CHILD_CHECK(fd >= 0);
    if (!procmap_query_available(fd)) return;  // older kernel: nothing to compare
    long nt = read_maps_text(fd, text, sizeof text, text_entries, 1 << 14);
    long nq = query_maps(fd, query_entries, 1 << 14);
    CHILD_CHECK(nt > 5 && nq > 5);
    long j = 0;
    for (long i = 0; i < nt; ++i) {
        const MapEntry &t = text_entries[i];
        if (t.kind == MapKind::Special) continue;  // [vsyscall] is not a VMA of the mm
        while (j < nq && query_entries[j].end <= t.start) ++j;
        CHILD_CHECK(j < nq);
        const MapEntry &q = query_entries[j];
        CHILD_CHECK(q.start == t.start && q.end == t.end);
        CHILD_CHECK(q.prot == t.prot && q.shared == t.shared && q.inode == t.inode && q.offset == t.offset);
    }
}

void test_restore_heap_and_globals(void **) { in_child(child_heap_and_globals); }
void test_restore_untouched_memory_costs_little(void **) { in_child(child_untouched_memory_costs_little); }
void test_restore_new_mapping_is_unmapped(void **) { in_child(child_new_mapping_is_unmapped); }
void test_restore_unmapped_range_is_recreated(void **) { in_child(child_unmapped_range_is_recreated); }
void test_restore_mapped_again_in_place(void **) { in_child(child_mapped_again_in_place); }
void test_restore_protection_is_put_back(void **) { in_child(child_protection_is_put_back); }
void test_restore_program_break(void **) { in_child(child_program_break); }
void test_restore_file_mapping_removed_is_an_error(void **) { in_child(child_file_mapping_removed_is_an_error); }
void test_restore_many_cycles_keep_rss_flat(void **) { in_child(child_many_cycles_keep_rss_flat); }
void test_maps_text_and_query_agree(void **) { in_child(child_maps_text_and_query_agree); }

void test_capabilities_probe(void **) {
    UffdFeatures f = probe_uffd();
    // This suite runs on kernels that have what snapshot isolation needs
    // (CI's is 6.18); say which part is missing if not.
    if (!f.available || !f.wp_async || !f.wp_unpopulated) {
        std::printf("userfaultfd WP_ASYNC not available here (errno %d): skipping\n", f.error);
        skip();
    }
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_true(pagemap_scan_available(fd));
    close(fd);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(test_capabilities_probe),
        cmocka_unit_test(test_maps_text_and_query_agree),
        cmocka_unit_test(test_restore_heap_and_globals),
        cmocka_unit_test(test_restore_untouched_memory_costs_little),
        cmocka_unit_test(test_restore_new_mapping_is_unmapped),
        cmocka_unit_test(test_restore_unmapped_range_is_recreated),
        cmocka_unit_test(test_restore_mapped_again_in_place),
        cmocka_unit_test(test_restore_protection_is_put_back),
        cmocka_unit_test(test_restore_program_break),
        cmocka_unit_test(test_restore_file_mapping_removed_is_an_error),
        cmocka_unit_test(test_restore_many_cycles_keep_rss_flat),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
