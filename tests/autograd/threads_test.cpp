// deltagrad's threads (autograd/kernels/parallel.hpp) and the split matrix product on them (autograd/kernels/blas.hpp): every
// part runs once, on its own thread; a product split over threads equals the plain loop for every transpose and
// both split directions; OpenBLAS's thread count comes back; busy, nested, failing and forked callers are safe.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/with_threads.hpp"

extern "C" void openblas_set_num_threads(int num_threads);
extern "C" int openblas_get_num_threads(void);

namespace dg {
namespace {

using test::WithThreads;

Array<double> loop_product(const Array<double>& a, bool ta, const Array<double>& b, bool tb) {
    const std::size_t m = ta ? a.shape()[1] : a.shape()[0], k = ta ? a.shape()[0] : a.shape()[1];
    const std::size_t n = tb ? b.shape()[0] : b.shape()[1];
    const double *pa = a.data(), *pb = b.data();
    Array<double> c = Array<double>::from_shape({m, n});
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::size_t l = 0; l < k; ++l)
                s += (ta ? pa[l * m + i] : pa[i * k + l]) * (tb ? pb[j * k + l] : pb[l * n + j]);
            c(i, j) = s;
        }
    return c;
}

TEST(Threads, SetNumThreadsValidatesAndSticks) {
    WithThreads two(2);
    EXPECT_EQ(num_threads(), 2);
    EXPECT_THROW_MSG(set_num_threads(0), ValueError, "set_num_threads", ">= 1", "got 0");
    EXPECT_THROW_MSG(set_num_threads(-3), ValueError, "set_num_threads", "got -3");
    EXPECT_EQ(num_threads(), 2);
}

TEST(Threads, TheEnvironmentVariableIsParsedStrictly) {
    const char* old = std::getenv("DG_NUM_THREADS");
    const std::string saved = old ? old : "";
    for (const char* bad : {"", "abc", "0", "-1", "2x", "5000"}) {
        setenv("DG_NUM_THREADS", bad, 1);
        const std::string quoted = std::string("'") + bad + "'";
        EXPECT_THROW_MSG(detail::threads_from_environment(), ValueError, "DG_NUM_THREADS", "from 1 to 4096",
                         quoted.c_str());
    }
    setenv("DG_NUM_THREADS", "3", 1);
    EXPECT_EQ(detail::threads_from_environment(), 3);
    unsetenv("DG_NUM_THREADS");
    EXPECT_EQ(detail::threads_from_environment(), std::max(1, openblas_get_num_threads()));
    if (old) setenv("DG_NUM_THREADS", saved.c_str(), 1);
}

TEST(Threads, EveryPartRunsOnceAndPartZeroOnTheCaller) {
    WithThreads three(3);
    std::mutex lock;
    std::vector<int> runs(3, 0);
    std::set<std::thread::id> ids;
    std::thread::id part0;
    parallel::run(3, [&](std::size_t part) {
        std::lock_guard<std::mutex> hold(lock);
        ++runs[part];
        ids.insert(std::this_thread::get_id());
        if (part == 0) part0 = std::this_thread::get_id();
    });
    EXPECT_EQ(runs, (std::vector<int>{1, 1, 1}));
    EXPECT_EQ(ids.size(), 3u);
    EXPECT_EQ(part0, std::this_thread::get_id());
}

TEST(Threads, ANamedCallableIsTakenByReference) {
    WithThreads two(2);
    std::atomic<int> calls{0};
    const auto count = [&](std::size_t) { ++calls; };
    parallel::run(2, count);  // an lvalue: run's F is a reference type
    EXPECT_EQ(calls.load(), 2);
}

TEST(Threads, ANestedRunRunsOnItsCaller) {
    WithThreads two(2);
    std::atomic<int> inner{0};
    parallel::run(2, [&](std::size_t) {
        const auto outer_thread = std::this_thread::get_id();
        parallel::run(2, [&](std::size_t) {
            EXPECT_EQ(std::this_thread::get_id(), outer_thread);  // the workers are busy: no hand-off, no deadlock
            ++inner;
        });
    });
    EXPECT_EQ(inner.load(), 4);
}

TEST(Threads, AnExceptionInAPartReachesTheCallerAndThePoolStaysUsable) {
    WithThreads two(2);
    for (std::size_t failing : {0u, 1u}) {
        EXPECT_THROW(parallel::run(2, [&](std::size_t part) {
                         if (part == failing) throw std::runtime_error("part failed");
                     }),
                     std::runtime_error);
    }
    std::atomic<int> done{0};
    parallel::run(2, [&](std::size_t) { ++done; });
    EXPECT_EQ(done.load(), 2);
}

TEST(Threads, SplitProductsEqualTheLoopForEveryTransposeAndDirection) {
    Generator gen(11);
    // [m, n, k]: split by rows (m >= n), by columns (n > m), with extents that are not multiples of 16, and one
    // below the split threshold.
    const std::vector<std::array<std::size_t, 3>> sizes = {{300, 40, 800}, {35, 290, 900}, {129, 129, 520}, {8, 9, 10}};
    for (const auto& [m, n, k] : sizes)
        for (bool ta : {false, true})
            for (bool tb : {false, true}) {
                const Array<double> a = Tensord::randn(ta ? Shape{k, m} : Shape{m, k}, gen).value();
                const Array<double> b = Tensord::randn(tb ? Shape{n, k} : Shape{k, n}, gen).value();
                const Array<double> old = Tensord::randn({m, n}, gen).value();
                const Array<double> expect = 0.5 * loop_product(a, ta, b, tb) + 2.0 * old;
                for (int threads : {1, 2, 3}) {
                    const bool large = m * n * k >= blas::split_work;
                    EXPECT_EQ(blas::gemm_parts(m, n, k, threads), large ? std::size_t(threads) : 1u);
                    WithThreads count(threads);
                    Array<double> c = old;
                    gemm_into(a, ta, b, tb, c, 0.5, 2.0);  // C = 0.5·op(A)op(B) + 2·C
                    EXPECT_TRUE(test::all_close(c, expect, 1e-11, 1e-11))
                        << threads << " threads, m " << m << " n " << n << " k " << k << " ta " << ta << " tb " << tb;
                }
            }
}

TEST(Threads, APartsCountFollowsSizeAndThreads) {
    EXPECT_EQ(blas::gemm_parts(1024, 100, 784, 1), 1u);
    EXPECT_EQ(blas::gemm_parts(1024, 100, 784, 2), 2u);
    EXPECT_EQ(blas::gemm_parts(1024, 100, 784, 8), 8u);
    EXPECT_EQ(blas::gemm_parts(16, 100, 784, 2), 1u);     // 1.25 M multiply-adds: below split_work
    EXPECT_EQ(blas::gemm_parts(20, 20, 1 << 20, 8), 1u);  // large, but 20 rows make one part of 16
    EXPECT_EQ(blas::gemm_parts(40, 20, 1 << 20, 8), 2u);
    const std::size_t big = std::size_t(1) << 40;
    EXPECT_EQ(blas::gemm_parts(big, big, big, 2), 2u);  // m·n·k overflows 64 bits: still large
}

TEST(Threads, RepeatedProductsAreBitIdentical) {
    WithThreads two(2);
    Generator gen(5);
    const Array<float> a = Tensorf::randn({256, 784}, gen).value(), w = Tensorf::randn({100, 784}, gen).value();
    Array<float> first = Array<float>::from_shape({256, 100}), again = first;
    gemm_into(a, false, w, true, first);
    for (int i = 0; i < 5; ++i) {
        gemm_into(a, false, w, true, again);
        ASSERT_TRUE(std::equal(first.begin(), first.end(), again.begin()));
    }
}

TEST(Threads, OpenBlasThreadCountComesBackAfterAProduct) {
    const int saved = openblas_get_num_threads();
    openblas_set_num_threads(2);
    Generator gen(2);
    const Tensord a = Tensord::randn({300, 200}, gen), b = Tensord::randn({200, 200}, gen);
    for (int threads : {1, 2}) {
        WithThreads count(threads);
        (void)matmul(a, b);
        EXPECT_EQ(openblas_get_num_threads(), 2);
    }
    openblas_set_num_threads(saved);
}

TEST(Threads, TwoUserThreadsMayMultiplyAtOnce) {
    WithThreads two(2);
    Generator gen(8);
    const Array<double> a = Tensord::randn({200, 150}, gen).value(), b = Tensord::randn({150, 120}, gen).value();
    const Array<double> expect = loop_product(a, false, b, false);
    std::atomic<int> wrong{0};
    auto work = [&] {
        for (int i = 0; i < 20; ++i) {
            Array<double> c = Array<double>::from_shape({200, 120});
            gemm_into(a, false, b, false, c);
            if (!test::all_close(c, expect, 1e-11, 1e-11)) ++wrong;
        }
    };
    std::thread other(work);
    work();
    other.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST(Threads, AForkedChildRunsOnFreshWorkers) {
    WithThreads two(2);
    std::atomic<int> warm{0};
    parallel::run(2, [&](std::size_t) { ++warm; });  // the parent's worker exists before the fork
    const pid_t child = fork();
    ASSERT_NE(child, -1);
    if (child == 0) {
        std::atomic<int> parts{0};
        parallel::run(2, [&](std::size_t) { ++parts; });  // would wait forever on the parent's (absent) worker
        _exit(parts.load() == 2 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace dg
