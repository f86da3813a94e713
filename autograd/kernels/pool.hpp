// A per-thread cache of small memory blocks under every Array and every graph Node.
// Why: recording one op allocates a node and a value buffer, and its backward a few more; for the tiny tensors of
// a scalar-heavy graph that allocation is most of the op's cost (perf: malloc/free ≈ 35 % of the per-op benchmark,
// mostly glibc's slow path for 64-byte-aligned blocks). Freed blocks of up to 1 KiB go onto a free list per size
// class (multiples of 64 bytes) of the freeing thread and are handed out again without a lock. Each list keeps at
// most `blocks_per_class` blocks, so a thread caches no more than the small blocks it once had live, and at most
// about 35 MB. Larger blocks go straight to the system allocator. Every block is 64-byte aligned.
// Its own namespace: Array's allocator type makes this namespace an associated one for argument-dependent lookup,
// which must not pull dg's op overloads (dg::sum, dg::mean, ...) into xtensor's unqualified calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace dg::pool {

void* allocate(std::size_t bytes);
void deallocate(void* p, std::size_t bytes) noexcept;
/// How many blocks this thread has been handed (from the cache or the system): lets a test check that a loop
/// allocates no arrays or nodes.
std::uint64_t allocation_count() noexcept;

inline constexpr std::size_t blocks_per_class = 4096;

/// False under AddressSanitizer: it must see every free to find a use after free, so nothing is cached.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool caching = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool caching = false;
#else
inline constexpr bool caching = true;
#endif
#else
inline constexpr bool caching = true;
#endif

/// A standard allocator over the per-thread block cache (stateless: all instances are equal).
template <class T>
struct Allocator {
    /// @name The standard allocator protocol
    ///@{

    /// As std::allocator's; allocate and deallocate go through pool::allocate / pool::deallocate.
    using value_type = T;
    Allocator() noexcept = default;
    template <class U>
    Allocator(const Allocator<U>&) noexcept {}
    /// The same allocator for elements of type U.
    template <class U>
    struct rebind {
        using other = Allocator<U>;  ///< the same allocator for elements of type U
    };
    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(pool::allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { pool::deallocate(p, n * sizeof(T)); }
    ///@}
};

template <class T, class U>
bool operator==(const Allocator<T>&, const Allocator<U>&) noexcept {
    return true;
}
template <class T, class U>
bool operator!=(const Allocator<T>&, const Allocator<U>&) noexcept {
    return false;
}

/// A std::vector whose storage comes from the per-thread cache: scratch on a hot path without malloc.
template <class T>
using Vector = std::vector<T, Allocator<T>>;

}  // namespace dg::pool
