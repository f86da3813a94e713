// Linear algebra: matmul (matrix·matrix, matrix·vector, vector·matrix, vector·vector, batched with broadcast batch
// dims), gemm with all four transpose flag combinations, linear with and without bias — values against loops,
// gradcheck, gradgradcheck, errors.
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

namespace {

/// Plain triple loop over 2-d arrays, with optional transposes.
Array<double> loop_matmul(const Array<double>& a, const Array<double>& b, bool ta = false, bool tb = false) {
    const std::size_t n = ta ? a.shape()[1] : a.shape()[0], k = ta ? a.shape()[0] : a.shape()[1];
    const std::size_t m = tb ? b.shape()[0] : b.shape()[1];
    Array<double> c = xt::zeros<double>({n, m});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
            for (std::size_t l = 0; l < k; ++l) c(i, j) += (ta ? a(l, i) : a(i, l)) * (tb ? b(j, l) : b(l, j));
    return c;
}

}  // namespace

TEST(Linalg, MatmulValuesByHand) {
    const Tensord a({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}});
    const Tensord b({{1.0, 0.0, -1.0}, {2.0, 1.0, 0.5}});
    EXPECT_TRUE(all_close(matmul(a, b), {3, 3}, {5, 2, 0, 11, 4, -1, 17, 6, -2}));
    EXPECT_TRUE(all_close(matmul(a, Tensord({1.0, -1.0})), {3}, {-1, -1, -1}));
    EXPECT_TRUE(all_close(matmul(Tensord({1.0, 0.0, 2.0}), a), {2}, {11, 14}));
    EXPECT_TRUE(all_close(matmul(Tensord({1.0, 2.0}), Tensord({3.0, 4.0})), {}, {11}));
}

TEST(Linalg, MatmulGradcheckAllRankCombinations) {
    const Fn f = [](const std::vector<Tensord>& x) { return matmul(x[0], x[1]); };
    const std::vector<std::pair<Shape, Shape>> shapes = {
        {{3, 4}, {4, 5}}, {{3, 4}, {4}}, {{4}, {4, 5}}, {{4}, {4}}, {{1, 4}, {4, 1}}, {{5, 1}, {1, 3}}};
    for (const auto& [sa, sb] : shapes) {
        SCOPED_TRACE(shape_str(sa) + " x " + shape_str(sb));
        EXPECT_GRADCHECK(f, dg::test::randn(sa, 1), dg::test::randn(sb, 2));
        EXPECT_GRADGRADCHECK(f, dg::test::randn(sa, 3), dg::test::randn(sb, 4));
        // Nonlinear outer function: the Hessian has cross terms between a and b.
        const Fn g = [](const std::vector<Tensord>& x) { return tanh(matmul(x[0], x[1])); };
        EXPECT_GRADGRADCHECK(g, dg::test::randn(sa, 5), dg::test::randn(sb, 6));
    }
}

TEST(Linalg, BatchedMatmulValuesByHand) {
    // Two 2x2 matrices times one: [[1,2],[3,4]]·[[1,1],[0,1]] = [[1,3],[3,7]]; [[0,1],[1,0]]·B swaps B's rows.
    const Tensord a({{{1.0, 2.0}, {3.0, 4.0}}, {{0.0, 1.0}, {1.0, 0.0}}});
    const Tensord b({{1.0, 1.0}, {0.0, 1.0}});
    EXPECT_TRUE(all_close(matmul(a, b), {2, 2, 2}, {1, 3, 3, 7, 0, 1, 1, 1}));
    // One matrix times a batch of two: B·a[0] = [[4,6],[3,4]], B·a[1] = [[1,1],[1,0]].
    EXPECT_TRUE(all_close(matmul(b, a), {2, 2, 2}, {4, 6, 3, 4, 1, 1, 1, 0}));
    // Batch against batch, and vectors on either side of a batch.
    EXPECT_TRUE(all_close(matmul(a, a), {2, 2, 2}, {7, 10, 15, 22, 1, 0, 0, 1}));
    EXPECT_TRUE(all_close(matmul(a, Tensord({1.0, -1.0})), {2, 2}, {-1, -1, -1, 1}));
    EXPECT_TRUE(all_close(matmul(Tensord({1.0, -1.0}), a), {2, 2}, {-2, -2, -1, 1}));
}

TEST(Linalg, BatchedMatmulBroadcastsBatchDimsLikeALoop) {
    // [2,1,3,4]·[3,4,5] -> [2,3,3,5]: c[i,j] = a[i,0]·b[j].
    const Tensord a = dg::test::randn({2, 1, 3, 4}, 40), b = dg::test::randn({3, 4, 5}, 41);
    const Tensord c = matmul(a, b);
    ASSERT_EQ(c.shape(), (Shape{2, 3, 3, 5}));
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j) {
            const Array<double> ai = xt::view(a.value(), i, 0), bj = xt::view(b.value(), j);
            const Array<double> cij = xt::view(c.value(), i, j);
            EXPECT_TRUE(all_close(cij, loop_matmul(ai, bj), 1e-13, 1e-12)) << i << ", " << j;
        }
}

TEST(Linalg, BatchedMatmulGradcheckAndGradgradcheck) {
    // Folded into one GEMM ([.., n, k]·[k, m]), one GEMM per matrix, broadcast batch dims on either or both sides,
    // and 1-d operands against batches.
    const Fn f = [](const std::vector<Tensord>& x) { return matmul(x[0], x[1]); };
    const Fn g = [](const std::vector<Tensord>& x) { return tanh(matmul(x[0], x[1])); };
    const std::vector<std::pair<Shape, Shape>> shapes = {
        {{2, 3, 4}, {4, 5}},       {{2, 3, 4}, {2, 4, 5}}, {{3, 4}, {2, 4, 5}}, {{2, 1, 3, 4}, {3, 4, 2}},
        {{1, 3, 4}, {2, 4, 2}},    {{4}, {2, 4, 5}},       {{2, 3, 4}, {4}},    {{2, 2, 3, 4}, {4, 2}}};
    for (const auto& [sa, sb] : shapes) {
        SCOPED_TRACE(shape_str(sa) + " x " + shape_str(sb));
        EXPECT_GRADCHECK(f, dg::test::randn(sa, 42), dg::test::randn(sb, 43));
        EXPECT_GRADGRADCHECK(f, dg::test::randn(sa, 44), dg::test::randn(sb, 45));
        EXPECT_GRADGRADCHECK(g, dg::test::randn(sa, 46), dg::test::randn(sb, 47));
    }
}

TEST(Linalg, BatchedMatmulGradientOfABroadcastOperandIsSummedOverTheBatch) {
    // l = Σ a·b[i] over a batch of 3: dl/da = Σ_i 1·b[i]ᵀ = ones·(Σ_i b[i])ᵀ.
    Tensord a = dg::test::randn({2, 4}, 48), b = dg::test::randn({3, 4, 5}, 49);
    sum(matmul(a, b)).backward();
    const Array<double> bsum = xt::sum(b.value(), {0}, immediate);  // [4, 5]
    const Array<double> row = xt::sum(bsum, {1}, immediate);        // [4]
    ASSERT_EQ(a.grad().shape(), (Shape{2, 4}));
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(a.grad().value()(i, k), row(k), 1e-13);
    // db[i] = aᵀ·ones: each column is the column sums of a.
    const Array<double> acol = xt::sum(a.value(), {0}, immediate);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(b.grad().value()(i, k, 2), acol(k), 1e-13);
}

TEST(Linalg, MatmulRecordsGemmForMatricesAndOneGemmPerMatrixForBatches) {
    const Tensord a = dg::test::randn({2, 3, 4}, 50), b = dg::test::randn({2, 4, 5}, 51);
    EXPECT_STREQ(matmul(a, b).op(), "bmm");
    EXPECT_STREQ(matmul(dg::test::randn({3, 4}, 52), dg::test::randn({4, 5}, 53)).op(), "matmul");
    // A batch times one matrix is folded into a single GEMM between two reshapes.
    const Tensord folded = matmul(a, dg::test::randn({4, 5}, 54));
    EXPECT_STREQ(folded.op(), "reshape");
    EXPECT_STREQ(folded.node()->inputs[0].op(), "matmul");
}

TEST(Linalg, BatchedMatmulErrorsNameTheShapes) {
    EXPECT_THROW_MSG(matmul(dg::test::randn({2, 3, 4}, 1), dg::test::randn({2, 5, 2}, 2)), ShapeError, "matmul",
                     "[2, 3, 4]", "[2, 5, 2]", "4 != 5");
    EXPECT_THROW_MSG(matmul(dg::test::randn({2, 3, 4}, 1), dg::test::randn({3, 4, 2}, 2)), ShapeError,
                     "matmul (batch dims)", "[2]", "[3]", "do not broadcast");
    EXPECT_THROW_MSG(matmul(dg::test::randn({5}, 1), dg::test::randn({2, 4, 2}, 2)), ShapeError, "matmul", "[5]",
                     "5 != 4");
    EXPECT_THROW_MSG(matmul(Tensord::scalar(2.0), dg::test::randn({2, 2}, 2)), ShapeError, "matmul", "[]");
}

TEST(Linalg, GemmAllTransposeFlags) {
    // op(a) is [3,4] and op(b) is [4,2] in every case; stored shapes follow the flags.
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            SCOPED_TRACE(std::string("ta=") + std::to_string(ta) + " tb=" + std::to_string(tb));
            const Shape sa = ta ? Shape{4, 3} : Shape{3, 4};
            const Shape sb = tb ? Shape{2, 4} : Shape{4, 2};
            const Tensord a = dg::test::randn(sa, 10), b = dg::test::randn(sb, 11);
            const Tensord c = gemm(a, b, ta, tb);
            EXPECT_TRUE(all_close(c.value(), loop_matmul(a.value(), b.value(), ta, tb), 1e-13, 1e-12));
            const Fn f = [ta, tb](const std::vector<Tensord>& x) { return gemm(x[0], x[1], ta, tb); };
            EXPECT_GRADCHECK(f, a, b);
            EXPECT_GRADGRADCHECK(f, a, b);
            const Fn g = [ta, tb](const std::vector<Tensord>& x) { return sigmoid(gemm(x[0], x[1], ta, tb)); };
            EXPECT_GRADGRADCHECK(g, a, b);
        }
}

TEST(Linalg, GemmSquareTransposeFlagsAreNotInterchangeable) {
    // Square operands: a wrong flag would still have valid shapes, so compare values.
    const Tensord a = dg::test::randn({3, 3}, 12), b = dg::test::randn({3, 3}, 13);
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            EXPECT_TRUE(all_close(gemm(a, b, ta, tb).value(), loop_matmul(a.value(), b.value(), ta, tb), 1e-13, 1e-12));
            const Fn f = [ta, tb](const std::vector<Tensord>& x) { return gemm(x[0], x[1], ta, tb); };
            EXPECT_GRADCHECK(f, a, b);
        }
}

TEST(Linalg, LinearValuesAndGradientsByHand) {
    // y = x·Wᵀ + b
    Tensord x({{1.0, 2.0}, {3.0, -1.0}}, true);
    Tensord w({{0.5, -1.0}, {2.0, 1.0}, {0.0, 3.0}}, true);
    Tensord b({0.1, 0.2, 0.3}, true);
    const Tensord y = linear(x, w, b);
    EXPECT_TRUE(all_close(y, {2, 3}, {-1.4, 4.2, 6.3, 2.6, 5.2, -2.7}, 1e-14));
    EXPECT_TRUE(all_close(linear(x, w), {2, 3}, {-1.5, 4.0, 6.0, 2.5, 5.0, -3.0}, 1e-14));
    sum(y).backward();
    EXPECT_TRUE(all_close(x.grad(), {2, 2}, {2.5, 3.0, 2.5, 3.0}));   // Σ_out W
    EXPECT_TRUE(all_close(w.grad(), {3, 2}, {4, 1, 4, 1, 4, 1}));     // Σ_batch x
    EXPECT_TRUE(all_close(b.grad(), {3}, {2, 2, 2}));                 // batch size
}

TEST(Linalg, LinearGradcheckWithAndWithoutBias) {
    const Tensord x = dg::test::randn({5, 3}, 20), w = dg::test::randn({4, 3}, 21), b = dg::test::randn({4}, 22);
    const Fn with_bias = [](const std::vector<Tensord>& v) { return linear(v[0], v[1], v[2]); };
    const Fn without = [](const std::vector<Tensord>& v) { return linear(v[0], v[1]); };
    EXPECT_GRADCHECK(with_bias, x, w, b);
    EXPECT_GRADCHECK(without, x, w);
    EXPECT_GRADGRADCHECK(with_bias, x, w, b);
    const Fn deep = [](const std::vector<Tensord>& v) { return tanh(linear(v[0], v[1], v[2])); };
    EXPECT_GRADGRADCHECK(deep, x, w, b);
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& v) { return sigmoid(linear(v[0], v[1])); }, x, w);
    // Same values as the unfused formula.
    EXPECT_TRUE(all_close(linear(x, w, b).value(), (matmul(x, transpose(w)) + b).value(), 1e-13, 1e-12));
}

TEST(Linalg, LinearWithOnlySomeInputsRequiringGrad) {
    Tensord x = dg::test::randn({2, 3}, 30, false), w = dg::test::randn({4, 3}, 31), b = dg::test::randn({4}, 32, false);
    sum(linear(x, w, b)).backward();
    EXPECT_TRUE(w.has_grad());
    EXPECT_FALSE(x.has_grad());
    EXPECT_FALSE(b.has_grad());
    // gW = gᵀ·x with g = ones: each row of gW is the column sums of x.
    const Array<double> col = xt::sum(x.value(), {0});
    for (std::size_t o = 0; o < 4; ++o)
        for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(w.grad().value()(o, i), col(i), 1e-14);
}
