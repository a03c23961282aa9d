// Engine memory: one anonymous mapping the restore engine keeps its state
// in (tables, golden page copies, buffers).  Restore never touches it, and
// nothing in it is allocated by malloc, so rolling the heap back cannot
// corrupt it.  A bump allocator; nothing is freed until the arena goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace tach::restore {

class Arena {
public:
    // Reserves `capacity` bytes of address space (MAP_NORESERVE: pages cost
    // memory only once touched).  Returns false if the mapping failed.
    bool reserve(std::size_t capacity);
    void release();

    // `bytes` of zeroed memory aligned to `align`, or nullptr when full.
    void *allocate(std::size_t bytes, std::size_t align = alignof(std::max_align_t));

    template <typename T>
    T *allocate_array(std::size_t count) {
        void *p = allocate(sizeof(T) * count, alignof(T));
        if (!p) return nullptr;
        T *items = static_cast<T *>(p);
        for (std::size_t i = 0; i < count; ++i) new (&items[i]) T();
        return items;
    }

    std::uintptr_t begin() const { return reinterpret_cast<std::uintptr_t>(base_); }
    std::uintptr_t end() const { return begin() + capacity_; }
    std::size_t used() const { return used_; }

private:
    unsigned char *base_ = nullptr;
    std::size_t capacity_ = 0;
    std::size_t used_ = 0;
};

}  // namespace tach::restore
