// blas::gemm against the plain loop: the matrix-vector path (a product with one row or one column goes to gemv),
// deltagrad's own kernel and OpenBLAS's, for every transpose, padded row strides, beta = 0 over NaN, beta ≠ 0, and
// split over threads; and the choice of kernel.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "autograd/kernels/blas.hpp"
#include "autograd/array/errors.hpp"
#include "autograd/kernels/gemm_kernel.hpp"
#include "autograd/ops.hpp"
#include "support/with_threads.hpp"

namespace dg {
namespace {

struct Strided {
    std::size_t rows, cols, ld;  // as stored, row-major, ld >= cols
    std::vector<double> data;
    double at(std::size_t r, std::size_t c) const { return data[r * ld + c]; }
};

// A rows×cols matrix with row stride cols + pad, of irregular values in [-1, 1] (an integer hash: cheap for the 8M
// elements of the long cases); the padding holds NaN, so reading it would show.
Strided filled_matrix(std::size_t rows, std::size_t cols, std::size_t pad, std::uint64_t seed) {
    Strided s{rows, cols, cols + pad, std::vector<double>(rows * (cols + pad), std::nan(""))};
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) {
            const std::uint64_t h = (r * 0x9E3779B97F4A7C15ull) ^ (c * 0xC2B2AE3D27D4EB4Full) ^ (seed * 0x165667B19E3779F9ull);
            s.data[r * s.ld + c] = static_cast<double>((h >> 33) % 2001) / 1000.0 - 1.0;
        }
    return s;
}

// The kernel blas::gemm runs for the scope, restored afterwards.
struct WithKernel {
    blas::Kernel saved = blas::gemm_kernel();
    explicit WithKernel(blas::Kernel k) { blas::set_gemm_kernel(k); }
    ~WithKernel() { blas::set_gemm_kernel(saved); }
    WithKernel(const WithKernel&) = delete;
    WithKernel& operator=(const WithKernel&) = delete;
};

// C = 0.5·op(A)·op(B) + beta·C by blas::gemm in T, on `threads` threads with `kernel`, against the loop in double
// on the same (T-rounded) values. The bound: double 1e-12 relative; float the classic γ(k+2)·|alpha|·Σ|a||b|
// (u = 2^-24, k + 2 roundings: the sum, alpha, beta·C), doubled, plus one rounding of beta·C.
// With `direct`, blas::own_gemm itself is called, whatever the size; with `dots`, blas::own_gemm_dots (ta false, tb
// true).
template <class T>
void check_product(std::size_t m, std::size_t n, std::size_t k, bool ta, bool tb, double beta, int threads,
                   blas::Kernel kernel = blas::gemm_kernel(), bool direct = false, bool dots = false) {
    SCOPED_TRACE(std::string(sizeof(T) == 4 ? "float" : "double") + " m " + std::to_string(m) + " n " +
                 std::to_string(n) + " k " + std::to_string(k) + " ta " + std::to_string(ta) + " tb " +
                 std::to_string(tb) + " beta " + std::to_string(beta) + " threads " + std::to_string(threads) +
                 " kernel " + (dots ? "own_gemm_dots directly" : direct ? "own_gemm directly" : blas::kernel_name(kernel)));
    const Strided a = ta ? filled_matrix(k, m, 3, 1) : filled_matrix(m, k, 2, 1);
    const Strided b = tb ? filled_matrix(n, k, 1, 2) : filled_matrix(k, n, 5, 2);
    Strided c = filled_matrix(m, n, 4, 3);
    if (beta == 0)
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c.data[i * c.ld + j] = std::nan("");  // beta = 0 ignores it
    // The loop, walking the larger operand's storage in order (the long cases stay fast); the inputs are multiples
    // of 1/1000 in [-1, 1], so rounding them to T is done by the cast below and the loop sees the same values.
    const auto in_t = [](double v) { return static_cast<double>(static_cast<T>(v)); };
    const auto opa = [&](std::size_t i, std::size_t l) { return in_t(ta ? a.at(l, i) : a.at(i, l)); };
    const auto opb = [&](std::size_t l, std::size_t j) { return in_t(tb ? b.at(j, l) : b.at(l, j)); };
    std::vector<double> s(m * n, 0.0), size(m * n, 0.0), expect(m * n);
    const auto add = [&](std::size_t i, std::size_t j, double x, double y) {
        s[i * n + j] += x * y;
        size[i * n + j] += std::abs(x * y);
    };
    if (m >= n) {
        for (std::size_t r = 0; r < a.rows; ++r)
            for (std::size_t q = 0; q < a.cols; ++q)
                for (std::size_t j = 0; j < n; ++j) add(ta ? q : r, j, in_t(a.at(r, q)), opb(ta ? r : q, j));
    } else {
        for (std::size_t r = 0; r < b.rows; ++r)
            for (std::size_t q = 0; q < b.cols; ++q)
                for (std::size_t i = 0; i < m; ++i) add(i, tb ? r : q, opa(i, tb ? q : r), in_t(b.at(r, q)));
    }
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            expect[i * n + j] = 0.5 * s[i * n + j] + (beta == 0 ? 0.0 : beta * in_t(c.at(i, j)));
    std::vector<T> at(a.data.begin(), a.data.end()), bt(b.data.begin(), b.data.end()), ct(c.data.begin(), c.data.end());
    {
        const test::WithThreads count(threads);
        const WithKernel use(kernel);
        if (dots)
            blas::own_gemm_dots<T>(m, n, k, T(0.5), at.data(), a.ld, bt.data(), b.ld, T(beta), ct.data(), c.ld);
        else if (direct)
            blas::own_gemm<T>(ta, tb, m, n, k, T(0.5), at.data(), a.ld, bt.data(), b.ld, T(beta), ct.data(), c.ld);
        else
            blas::gemm<T>(ta, tb, m, n, k, T(0.5), at.data(), a.ld, bt.data(), b.ld, T(beta), ct.data(), c.ld);
    }
    const double u = std::numeric_limits<float>::epsilon() / 2;
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const double e = expect[i * n + j];
            const double old_c = beta == 0 ? 0.0 : beta * in_t(c.at(i, j));
            const double bound = sizeof(T) == 8 ? 1e-12 * (1 + std::abs(e))
                                                : 2 * double(k + 2) * u * 0.5 * size[i * n + j] + 2 * u * std::abs(old_c);
            ASSERT_NEAR(double(ct[i * c.ld + j]), e, bound) << i << ", " << j;
        }
    for (std::size_t i = 0; i < m; ++i)  // the padding of C is untouched
        for (std::size_t j = n; j < c.ld; ++j) ASSERT_TRUE(std::isnan(ct[i * c.ld + j]));
}

TEST(Blas, ProductsWithOneRowOrOneColumnEqualTheLoop) {
    // [m, n, k]: one row, one column, both, and a row of one element per k.
    const std::vector<std::array<std::size_t, 3>> sizes = {{1, 100, 784}, {100, 1, 784}, {1, 1, 50}, {1, 37, 1}};
    for (const auto& [m, n, k] : sizes)
        for (bool ta : {false, true})
            for (bool tb : {false, true})
                for (double beta : {0.0, 2.0})
                    for (int threads : {1, 2}) check_product<double>(m, n, k, ta, tb, beta, threads);
}

TEST(Blas, ALongRowOrColumnIsSplitOverTheThreadsAndStillEqualsTheLoop) {
    // m·n·k = split_work: two parts with 2 threads, each part a matrix-vector product of its own.
    for (const auto& [m, n, k] : std::vector<std::array<std::size_t, 3>>{{1, 4096, 2048}, {4096, 1, 2048}}) {
        EXPECT_EQ(blas::gemm_parts(m, n, k, 2), 2u);
        // Both storage orders of the long operand, and both strides of the vector.
        check_product<double>(m, n, k, false, false, 0.0, 2);
        check_product<double>(m, n, k, true, true, 0.0, 2);
    }
}

TEST(Blas, AnEmptyInnerDimensionLeavesBetaTimesC) {
    // k = 0: op(A)·op(B) is all zeros, so C becomes beta·C (zeros over NaN when beta = 0), with no BLAS call.
    for (bool ta : {false, true})
        for (double beta : {0.0, 2.0}) {
            check_product<double>(7, 5, 0, ta, !ta, beta, 1);
            check_product<float>(7, 5, 0, ta, ta, beta, 1);
        }
}

// deltagrad's own kernel (gemm_kernel.hpp), by blas::gemm: every transpose, the last short tile (m not a multiple
// of its 6 or 12 rows), a last panel of one vector or less (n = 33, 47, 100 floats with AVX-512) and one between
// one and two (57 floats, 47 doubles), depths across the 512-deep panels, a wide product half a tile high (6 × 1030),
// beta 0 over NaN and beta ≠ 0, strided operands, both types, and a product split over 2 threads. (The A·Bᵀ cases of
// 25 × 100 × 784 and 31 × 64 × 1100 go to the dot-product form: the main kernel meets them in the tests that call it
// directly.)
TEST(Blas, OwnKernelEqualsTheLoop) {
    const std::vector<std::array<std::size_t, 3>> sizes = {
        {12, 32, 16}, {13, 33, 17}, {25, 100, 784}, {100, 47, 513}, {20, 57, 40}, {31, 64, 1100}, {6, 1030, 25},
        {24, 70, 600}};  // the last: two tiles high, op(B) read in place across depths (with AVX-512)
    for (const auto& [m, n, k] : sizes)
        for (bool ta : {false, true})
            for (bool tb : {false, true})
                for (double beta : {0.0, 2.0}) {
                    ASSERT_TRUE(blas::own_gemm_fits<float>(m, n, k) && blas::own_gemm_fits<double>(m, n, k));
                    check_product<float>(m, n, k, ta, tb, beta, 1, blas::Kernel::deltagrad);
                    check_product<double>(m, n, k, ta, tb, beta, 1, blas::Kernel::deltagrad);
                }
}

TEST(Blas, OwnKernelCalledDirectlyTakesAnySize) {
    // Below a tile, a panel and the least depth blas::gemm gives it: one element, one row, one column, k = 1.
    const std::vector<std::array<std::size_t, 3>> sizes = {{1, 1, 1}, {1, 40, 3}, {40, 1, 2}, {5, 7, 1}, {13, 35, 1}};
    for (const auto& [m, n, k] : sizes)
        for (bool ta : {false, true})
            for (bool tb : {false, true})
                for (double beta : {0.0, 2.0}) {
                    check_product<float>(m, n, k, ta, tb, beta, 1, blas::Kernel::deltagrad, true);
                    check_product<double>(m, n, k, ta, tb, beta, 1, blas::Kernel::deltagrad, true);
                }
}

// The kernel is compiled for several instruction sets and runs the widest this CPU has (gemm_kernel.cpp), whatever the
// build's -march: each one this CPU runs equals the loop, with its own tile height and panel width.
TEST(Blas, OwnKernelEqualsTheLoopWithEveryInstructionSetThisCpuRuns) {
    const std::vector<std::string> isas = blas::own_gemm_isas();
    ASSERT_FALSE(isas.empty());
    EXPECT_EQ(isas.back(), "generic");  // the build's baseline runs everywhere
    EXPECT_EQ(blas::own_gemm_isa(), isas.front());  // the default: the widest
    struct Restore {
        std::string isa = blas::own_gemm_isa();
        ~Restore() { blas::set_own_gemm_isa(isa); }
    } restore;
    for (const std::string& isa : isas) {
        SCOPED_TRACE(isa);
        blas::set_own_gemm_isa(isa);
        EXPECT_EQ(blas::own_gemm_isa(), isa);
        EXPECT_EQ(blas::own_gemm_vector_bytes(), isa == "avx512" ? 64u : isa == "avx2" ? 32u : 16u);
        // A last short tile, a last panel of one vector or less and of one to two, depths across the panels, and a
        // product two tiles high or less whatever the set's tile (op(B) read in place).
        for (const auto& [m, n, k] :
             std::vector<std::array<std::size_t, 3>>{{13, 33, 17}, {25, 100, 784}, {31, 57, 1100}, {12, 100, 600}})
            for (bool ta : {false, true})
                for (bool tb : {false, true}) {
                    check_product<float>(m, n, k, ta, tb, ta ? 2.0 : 0.0, 1, blas::Kernel::deltagrad, true);
                    check_product<double>(m, n, k, ta, tb, tb ? 2.0 : 0.0, 1, blas::Kernel::deltagrad, true);
                }
    }
    try {
        blas::set_own_gemm_isa("avx1024");
        ADD_FAILURE() << "no ValueError for an unknown instruction set";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("\"avx1024\""), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("generic"), std::string::npos) << e.what();
    }
}

// The dot-product form (own_gemm_dots) by blas::gemm: the products it takes (A·Bᵀ at least 256 deep, a side under 32),
// LeNet-5's weight gradients among them; tiles cut short in rows and columns; depths across its 4 KiB slabs and not a
// whole number of vectors; beta 0 over NaN and beta ≠ 0; both types; strided operands (check_product pads them).
TEST(Blas, DotFormEqualsTheLoop) {
    const std::vector<std::array<std::size_t, 3>> sizes = {
        {6, 25, 3584}, {16, 150, 560}, {31, 5, 257}, {3, 40, 1025}, {33, 17, 2050}};
    for (const auto& [m, n, k] : sizes)
        for (double beta : {0.0, 2.0}) {
            ASSERT_TRUE(blas::own_gemm_dots_fits<float>(false, true, m, n, k));
            check_product<float>(m, n, k, false, true, beta, 1, blas::Kernel::deltagrad);
            check_product<double>(m, n, k, false, true, beta, 1, blas::Kernel::deltagrad);
        }
}

TEST(Blas, DotFormCalledDirectlyTakesAnySize) {
    // Below its least depth, one element, one row, one column, shorter than a vector, every instruction set.
    struct Restore {
        std::string isa = blas::own_gemm_isa();
        ~Restore() { blas::set_own_gemm_isa(isa); }
    } restore;
    const std::vector<std::array<std::size_t, 3>> sizes = {{1, 1, 1}, {1, 9, 3}, {7, 1, 17}, {5, 7, 33}, {9, 13, 600}};
    for (const std::string& isa : blas::own_gemm_isas()) {
        SCOPED_TRACE(isa);
        blas::set_own_gemm_isa(isa);
        for (const auto& [m, n, k] : sizes)
            for (double beta : {0.0, 2.0}) {
                check_product<float>(m, n, k, false, true, beta, 1, blas::Kernel::deltagrad, false, true);
                check_product<double>(m, n, k, false, true, beta, 1, blas::Kernel::deltagrad, false, true);
            }
    }
}

TEST(Blas, DotFormTakesLongNarrowProductsOfRows) {
    EXPECT_TRUE(blas::own_gemm_dots_fits<float>(false, true, 6, 25, 3584));  // LeNet-5's conv1 weight gradient
    EXPECT_TRUE(blas::own_gemm_dots_fits<float>(false, true, 64, 31, 256));
    EXPECT_FALSE(blas::own_gemm_dots_fits<float>(false, true, 6, 25, 255));   // shallower
    EXPECT_FALSE(blas::own_gemm_dots_fits<float>(false, true, 32, 32, 4096)); // no side under 32
    EXPECT_FALSE(blas::own_gemm_dots_fits<float>(true, true, 6, 25, 3584));   // A not read along its rows
    EXPECT_FALSE(blas::own_gemm_dots_fits<float>(false, false, 6, 25, 3584)); // B not read along its rows
}

TEST(Blas, OwnKernelSplitOverTwoThreadsEqualsTheLoop) {
    // A 784-100-10 step's two large products at batch 256: 20 M multiply-adds, two parts with 2 threads.
    ASSERT_EQ(blas::gemm_parts(256, 100, 784, 2), 2u);
    for (int threads : {1, 2}) {
        check_product<float>(256, 100, 784, false, true, 0.0, threads, blas::Kernel::deltagrad);
        check_product<float>(100, 784, 256, true, false, 1.0, threads, blas::Kernel::deltagrad);
    }
}

// Kernel::mixed: deltagrad's in-place form (LeNet-5's forward convolutions, a short tile and a last short panel), its
// dot form with a side of at least 32 (conv2's weight gradient, a batch-16 forward), OpenBLAS's for the dot form's
// narrow products (conv1's weight gradient) and the rest.
TEST(Blas, MixedKernelEqualsTheLoop) {
    const std::vector<std::array<std::size_t, 3>> sizes = {{6, 3584, 25}, {16, 560, 150}, {13, 100, 40},
                                                           {100, 47, 513}, {16, 150, 560}, {16, 100, 784},
                                                           {6, 25, 3584}};
    for (const auto& [m, n, k] : sizes)
        for (bool ta : {false, true})
            for (bool tb : {false, true}) {
                check_product<float>(m, n, k, ta, tb, tb ? 0.0 : 2.0, 1, blas::Kernel::mixed);
                check_product<double>(m, n, k, ta, tb, ta ? 0.0 : 2.0, 1, blas::Kernel::mixed);
            }
}

TEST(Blas, InPlaceFormTakesUntransposedProductsAtMostTwoTilesHigh) {
    const std::size_t tile = blas::own_gemm_vector_bytes() == 64 ? 12 : 6;
    EXPECT_TRUE(blas::own_gemm_in_place_fits<float>(false, 6, 3584, 25));   // LeNet-5's conv1 forward
    EXPECT_TRUE(blas::own_gemm_in_place_fits<float>(false, 2 * tile, 560, 150));
    EXPECT_FALSE(blas::own_gemm_in_place_fits<float>(false, 2 * tile + 1, 560, 150));  // three tiles high
    EXPECT_FALSE(blas::own_gemm_in_place_fits<float>(true, 16, 560, 150));  // B transposed: packed
    EXPECT_FALSE(blas::own_gemm_in_place_fits<float>(false, 16, 10, 150));  // the kernel does not take it
}

TEST(Blas, OpenBlasKernelEqualsTheLoopOnTheSameProducts) {
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            check_product<float>(25, 100, 784, ta, tb, 2.0, 1, blas::Kernel::openblas);
            check_product<double>(100, 47, 513, ta, tb, 0.0, 2, blas::Kernel::openblas);
        }
}

TEST(Blas, OwnKernelTakesProductsOfAtLeastOneTile) {
    const std::size_t width = blas::own_gemm_vector_bytes() * 2 / sizeof(float);  // two vectors of floats
    EXPECT_TRUE(blas::own_gemm_fits<float>(256, 100, 784));
    EXPECT_FALSE(blas::own_gemm_fits<float>(256, 10, 100));  // the 10-class layer: mostly padding
    EXPECT_FALSE(blas::own_gemm_fits<float>(256, width - 1, 100));
    EXPECT_TRUE(blas::own_gemm_fits<float>(256, width, 100));
    EXPECT_FALSE(blas::own_gemm_fits<float>(5, 100, 100));
    // At least 1024 wide (a convolution's forward over a few images), half a tile high is enough.
    const std::size_t tile = blas::own_gemm_vector_bytes() == 64 ? 12 : 6;
    EXPECT_FALSE(blas::own_gemm_fits<float>(tile / 2, 1023, 25));
    EXPECT_TRUE(blas::own_gemm_fits<float>(tile / 2, 1024, 25));
    EXPECT_FALSE(blas::own_gemm_fits<float>(tile / 2 - 1, 3584, 25));
    EXPECT_FALSE(blas::own_gemm_fits<float>(100, 784, 15));  // a weight gradient of a batch under 16
    EXPECT_TRUE(blas::own_gemm_fits<float>(100, 784, 16));
}

TEST(Blas, KernelChoiceFollowsDgGemmElseTheWiderVectors) {
    using blas::Kernel;
    using blas::detail::kernel_for;
    EXPECT_EQ(kernel_for("openblas", "Haswell", 64), Kernel::openblas);
    EXPECT_EQ(kernel_for("deltagrad", "Cooperlake", 32), Kernel::deltagrad);
    EXPECT_EQ(kernel_for("mixed", "Haswell", 64), Kernel::mixed);
    // Unset: deltagrad's AVX-512 kernel against OpenBLAS's AVX2 ones, else mixed (OpenBLAS's kernels for most).
    EXPECT_EQ(kernel_for(nullptr, "Haswell", 64), Kernel::deltagrad);
    EXPECT_EQ(kernel_for(nullptr, "Zen", 64), Kernel::deltagrad);
    EXPECT_EQ(kernel_for(nullptr, "Cooperlake", 64), Kernel::mixed);
    EXPECT_EQ(kernel_for(nullptr, "SKYLAKEX", 64), Kernel::mixed);
    EXPECT_EQ(kernel_for(nullptr, "SapphireRapids", 64), Kernel::mixed);
    EXPECT_EQ(kernel_for(nullptr, "Haswell", 32), Kernel::mixed);  // a build without AVX-512: not wider
    for (blas::Kernel k : {Kernel::openblas, Kernel::deltagrad, Kernel::mixed})
        EXPECT_EQ(kernel_for(blas::kernel_name(k), "Haswell", 64), k);
    try {
        kernel_for("mkl", "Haswell", 64);
        FAIL() << "no exception";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("DG_GEMM"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("\"mkl\""), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace dg
