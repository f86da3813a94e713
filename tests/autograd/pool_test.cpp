// The per-thread block cache under Array and Node (autograd/kernels/pool.hpp): alignment, reuse, limits, threads.
#include <malloc.h>

#include <cstdint>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "autograd/kernels/pool.hpp"

namespace dg {
namespace {

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

TEST(Pool, EveryBlockIs64ByteAligned) {
    for (std::size_t bytes : {0, 1, 4, 63, 64, 65, 1000, 1024, 1025, 4096, 1 << 20}) {
        void* p = pool::allocate(bytes);
        EXPECT_TRUE(aligned64(p)) << bytes << " bytes";
        pool::deallocate(p, bytes);
    }
    Array<float> a = Array<float>::from_shape({3, 5});
    EXPECT_TRUE(aligned64(a.data()));
}

TEST(Pool, AFreedSmallBlockIsHandedOutAgainForTheSameSizeClass) {
    if (!pool::caching) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    void* p = pool::allocate(100);
    pool::deallocate(p, 100);
    void* q = pool::allocate(128);  // 100 and 128 bytes share the 128-byte class
    EXPECT_EQ(p, q);
    pool::deallocate(q, 128);
}

TEST(Pool, LargeBlocksAreNotCached) {
    // A block above 1 KiB is counted like any other (so allocation-free loops are checked for large arrays too),
    // and freeing it hands its bytes back to malloc (the heap's bytes in use drop by at least its size), where a
    // cached block would stay in use.
    if (!pool::caching) GTEST_SKIP() << "the cache is off under AddressSanitizer";
    constexpr std::size_t bytes = 1 << 16;
    const std::uint64_t count = pool::allocation_count();
    const std::size_t before = mallinfo2().uordblks;
    void* p = pool::allocate(bytes);
    EXPECT_EQ(pool::allocation_count(), count + 1);
    static_cast<char*>(p)[bytes - 1] = 1;  // the whole block is usable
    const std::size_t held = mallinfo2().uordblks;
    EXPECT_GE(held, before + bytes);
    pool::deallocate(p, bytes);
    EXPECT_EQ(pool::allocation_count(), count + 1);
    EXPECT_LE(mallinfo2().uordblks + bytes, held);
}

TEST(Pool, ACacheHoldsAtMostItsLimitPerSizeClass) {
    // Free more blocks than the limit: the surplus goes back to the system, and every block allocated after is
    // distinct and usable (a corrupt free list would hand one block out twice).
    const std::size_t n = pool::blocks_per_class + 100;
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < n; ++i) blocks.push_back(pool::allocate(64));
    for (void* p : blocks) pool::deallocate(p, 64);
    std::set<void*> again;
    for (std::size_t i = 0; i < n; ++i) {
        void* p = pool::allocate(64);
        *static_cast<std::uint64_t*>(p) = i;
        EXPECT_TRUE(again.insert(p).second) << "block handed out twice";
    }
    for (void* p : again) pool::deallocate(p, 64);
}

TEST(Pool, AnOverflowingRequestThrowsBadAlloc) {
    pool::Allocator<double> alloc;
    EXPECT_THROW(alloc.allocate(static_cast<std::size_t>(-1) / 4), std::bad_array_new_length);
    EXPECT_THROW(pool::allocate(static_cast<std::size_t>(-1) - 8), std::bad_alloc);
}

TEST(Pool, TensorsMadeInOneThreadAndFreedInAnotherStayValid) {
    // A block freed by another thread joins that thread's cache; nothing is shared between the caches.
    std::vector<Tensorf> made;
    std::thread producer([&] {
        for (int i = 0; i < 1000; ++i) made.push_back(Tensorf::full({2, 3}, float(i)));
    });
    producer.join();
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(made[i].at(5), float(i));
    std::thread consumer([&] { made.clear(); });
    consumer.join();
    Tensorf x = Tensorf::full({2, 3}, 7.0f, true);
    sum(x * x).backward();
    EXPECT_EQ(x.grad().at(0), 14.0f);
}

}  // namespace
}  // namespace dg
