#include "restore/arena.hpp"

#include <sys/mman.h>

namespace tach::restore {

bool Arena::reserve(std::size_t capacity) {
    void *p = mmap(nullptr, capacity, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    base_ = static_cast<unsigned char *>(p);
    capacity_ = capacity;
    used_ = 0;
    return true;
}

void Arena::release() {
    if (base_) munmap(base_, capacity_);
    base_ = nullptr;
    capacity_ = used_ = 0;
}

void *Arena::allocate(std::size_t bytes, std::size_t align) {
    std::size_t start = (used_ + align - 1) & ~(align - 1);
    if (start > capacity_ || bytes > capacity_ - start) return nullptr;
    used_ = start + bytes;
    return base_ + start;  // fresh anonymous pages are already zero
}

}  // namespace tach::restore
