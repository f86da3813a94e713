// The per-thread block cache behind pool::Allocator (see pool.hpp for why it exists).
#include "autograd/kernels/pool.hpp"

#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <new>

namespace dg::pool {

namespace {

// Larger blocks go to malloc. Every step of a training loop frees and re-allocates the same activation and
// gradient buffers; glibc serves blocks above 128 KiB with mmap and trims the heap top on free, so each step paid
// fresh page faults (perf: 7.5 % of a 784-100-10 step at batch 64 in page faults under memset). Keeping such
// blocks in the heap makes the steady state reuse them; the arena stays bounded by the largest step's working set.
const bool malloc_configured = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    return true;
}();

constexpr std::size_t alignment = 64;
constexpr std::size_t max_pooled = 1024;                // larger blocks are not cached
constexpr std::size_t classes = max_pooled / alignment;  // 64, 128, ..., 1024 bytes

struct FreeBlock {
    FreeBlock* next;
};

// The thread-locals of the hot paths use the initial-exec model: under -fPIC the compiler otherwise treats each
// access as a call to __tls_get_addr and saves registers around it (the linker relaxes the call, not the saves). Fine
// for a library linked into its programs; a dlopen'ed build takes these few hundred bytes from glibc's static TLS
// reserve.
[[gnu::tls_model("initial-exec")]] thread_local std::uint64_t handed_out = 0;
// Set when the thread's cache is destroyed (thread exit).
[[gnu::tls_model("initial-exec")]] thread_local bool cache_gone = false;

// The free lists are plain (trivially destructible) thread-locals, so that the hot path reads them directly; a
// thread_local with a destructor is reached through an initialisation check on every access (8 % of a tiny op).
struct Cache {
    FreeBlock* head[classes];
    std::size_t count[classes];
};
[[gnu::tls_model("initial-exec")]] thread_local Cache cache = {};

// Frees the thread's cached blocks when the thread ends; touched once, by the first block cached on a thread.
struct CacheReleaser {
    ~CacheReleaser() {
        cache_gone = true;  // blocks freed after this (static objects at exit) go to the system
        for (FreeBlock*& b : cache.head)
            while (b) {
                FreeBlock* next = b->next;
                std::free(b);
                b = next;
            }
    }
};
[[gnu::tls_model("initial-exec")]] thread_local bool releaser_armed = false;
// Out of line, as is system_allocate: inlined, their calls made the hot paths save and restore registers.
[[gnu::noinline, gnu::cold]] void arm_releaser() {
    thread_local CacheReleaser releaser;
    (void)releaser;
    releaser_armed = true;
}

std::size_t class_of(std::size_t bytes) { return bytes == 0 ? 0 : (bytes - 1) / alignment; }

[[gnu::noinline, gnu::cold]] void* system_allocate(std::size_t bytes) {
    if (bytes > SIZE_MAX - alignment) throw std::bad_alloc();
    const std::size_t rounded = bytes == 0 ? alignment : (bytes + alignment - 1) / alignment * alignment;
    void* p = std::aligned_alloc(alignment, rounded);
    if (!p) throw std::bad_alloc();
    return p;
}

bool cached(std::size_t bytes) { return caching && bytes <= max_pooled && !cache_gone; }

}  // namespace

void* allocate(std::size_t bytes) {
    ++handed_out;
    if (!cached(bytes)) return system_allocate(bytes);
    const std::size_t c = class_of(bytes);
    if (FreeBlock* b = cache.head[c]) {
        cache.head[c] = b->next;
        --cache.count[c];
        return b;
    }
    return system_allocate((c + 1) * alignment);
}

std::uint64_t allocation_count() noexcept { return handed_out; }

void deallocate(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    if (cached(bytes)) {
        const std::size_t c = class_of(bytes);
        if (cache.count[c] < blocks_per_class) {
            if (!releaser_armed) arm_releaser();
            auto* b = static_cast<FreeBlock*>(p);
            b->next = cache.head[c];
            cache.head[c] = b;
            ++cache.count[c];
            return;
        }
    }
    std::free(p);
}

}  // namespace dg::pool
