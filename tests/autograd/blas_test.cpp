// blas::gemm's matrix-vector path: a product with one row or one column goes to gemv (autograd/blas.cpp). It must
// equal the plain loop for every transpose, padded row strides, beta = 0 over NaN, beta ≠ 0, and split over threads.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

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

void check_product(std::size_t m, std::size_t n, std::size_t k, bool ta, bool tb, double beta, int threads) {
    SCOPED_TRACE("m " + std::to_string(m) + " n " + std::to_string(n) + " k " + std::to_string(k) + " ta " +
                 std::to_string(ta) + " tb " + std::to_string(tb) + " beta " + std::to_string(beta) + " threads " +
                 std::to_string(threads));
    const Strided a = ta ? filled_matrix(k, m, 3, 1) : filled_matrix(m, k, 2, 1);
    const Strided b = tb ? filled_matrix(n, k, 1, 2) : filled_matrix(k, n, 5, 2);
    Strided c = filled_matrix(m, n, 4, 3);
    if (beta == 0)
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c.data[i * c.ld + j] = std::nan("");  // beta = 0 ignores it
    // The loop, walking the larger operand's storage in order (the long cases stay fast).
    const auto opa = [&](std::size_t i, std::size_t l) { return ta ? a.at(l, i) : a.at(i, l); };
    const auto opb = [&](std::size_t l, std::size_t j) { return tb ? b.at(j, l) : b.at(l, j); };
    std::vector<double> s(m * n, 0.0), expect(m * n);
    if (m >= n) {
        for (std::size_t r = 0; r < a.rows; ++r)
            for (std::size_t q = 0; q < a.cols; ++q)
                for (std::size_t j = 0; j < n; ++j) s[(ta ? q : r) * n + j] += a.at(r, q) * opb(ta ? r : q, j);
    } else {
        for (std::size_t r = 0; r < b.rows; ++r)
            for (std::size_t q = 0; q < b.cols; ++q)
                for (std::size_t i = 0; i < m; ++i) s[i * n + (tb ? r : q)] += opa(i, tb ? q : r) * b.at(r, q);
    }
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) expect[i * n + j] = 0.5 * s[i * n + j] + (beta == 0 ? 0.0 : beta * c.at(i, j));
    {
        const test::WithThreads count(threads);
        blas::gemm(ta, tb, m, n, k, 0.5, a.data.data(), a.ld, b.data.data(), b.ld, beta, c.data.data(), c.ld);
    }
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            ASSERT_NEAR(c.at(i, j), expect[i * n + j], 1e-12 * (1 + std::abs(expect[i * n + j]))) << i << ", " << j;
    for (std::size_t i = 0; i < m; ++i)  // the padding of C is untouched
        for (std::size_t j = n; j < c.ld; ++j) ASSERT_TRUE(std::isnan(c.data[i * c.ld + j]));
}

TEST(Blas, ProductsWithOneRowOrOneColumnEqualTheLoop) {
    // [m, n, k]: one row, one column, both, and a row of one element per k.
    const std::vector<std::array<std::size_t, 3>> sizes = {{1, 100, 784}, {100, 1, 784}, {1, 1, 50}, {1, 37, 1}};
    for (const auto& [m, n, k] : sizes)
        for (bool ta : {false, true})
            for (bool tb : {false, true})
                for (double beta : {0.0, 2.0})
                    for (int threads : {1, 2}) check_product(m, n, k, ta, tb, beta, threads);
}

TEST(Blas, ALongRowOrColumnIsSplitOverTheThreadsAndStillEqualsTheLoop) {
    // m·n·k = split_work: two parts with 2 threads, each part a matrix-vector product of its own.
    for (const auto& [m, n, k] : std::vector<std::array<std::size_t, 3>>{{1, 4096, 2048}, {4096, 1, 2048}}) {
        EXPECT_EQ(blas::gemm_parts(m, n, k, 2), 2u);
        // Both storage orders of the long operand, and both strides of the vector.
        check_product(m, n, k, false, false, 0.0, 2);
        check_product(m, n, k, true, true, 0.0, 2);
    }
}

}  // namespace
}  // namespace dg
