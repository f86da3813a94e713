// Shape ops: transpose, permute, reshape, unsqueeze, squeeze, broadcast_to (and sum_to, its adjoint) — values by
// hand, gradcheck and gradgradcheck, errors.
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/make_tensor.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

TEST(Shape, TransposeValuesAndGradcheck) {
    const Tensord a({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_TRUE(all_close(transpose(a), {3, 2}, {1, 4, 2, 5, 3, 6}));
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return transpose(x[0]); }, dg::test::randn({3, 4}, 1));
    // 3-d with a negative dim: [2,3,4] -> [4,3,2]
    const Tensord t = dg::test::randn({2, 3, 4}, 2);
    const Tensord u = transpose(t, 0, -1);
    EXPECT_EQ(u.shape(), (Shape{4, 3, 2}));
    EXPECT_DOUBLE_EQ(u.value()(3, 1, 0), t.value()(0, 1, 3));
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return transpose(x[0], 0, -1); }, t);
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return transpose(x[0], 1, 2); }, t);
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& x) { return transpose(x[0] * x[0], 0, 2); }, t);
}

TEST(Shape, PermuteValuesAndGradcheck) {
    const Tensord t = dg::test::randn({2, 3, 4}, 30);
    const Tensord p = permute(t, {2, 0, 1});
    ASSERT_EQ(p.shape(), (Shape{4, 2, 3}));
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(p.value()(k, i, j), t.value()(i, j, k));
    // Negative dims, and a permutation that is its own inverse checked against transpose.
    EXPECT_TRUE(all_close(permute(t, {-1, 1, 0}), transpose(t, 0, 2)));
    const Tensord a({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_TRUE(all_close(permute(a, {1, 0}), {3, 2}, {1, 4, 2, 5, 3, 6}));
    // The gradient goes back through the inverse permutation ({1, 2, 0} for {2, 0, 1}).
    for (const std::vector<int>& dims : {std::vector<int>{2, 0, 1}, {1, 2, 0}, {0, 2, 1}, {0, 1, 2}}) {
        SCOPED_TRACE(::testing::PrintToString(dims));
        const Fn f = [dims](const std::vector<Tensord>& x) { return permute(x[0], dims); };
        EXPECT_GRADCHECK(f, t);
        EXPECT_GRADGRADCHECK([dims](const std::vector<Tensord>& x) { return permute(x[0] * x[0], dims); }, t);
    }
}

TEST(Shape, PermuteRejectsWhatIsNotAPermutation) {
    const Tensord t = dg::test::randn({2, 3, 4}, 31);
    EXPECT_THROW_MSG(permute(t, {0, 0, 1}), ValueError, "permute", "[0, 0, 1]", "3 axes", "[2, 3, 4]");
    EXPECT_THROW_MSG(permute(t, {0, 1}), ValueError, "permute", "[0, 1]", "not a permutation");
    EXPECT_THROW_MSG(permute(t, {0, 1, 2, 0}), ValueError, "permute", "[0, 1, 2, 0]");
    EXPECT_THROW_MSG(permute(t, {0, 1, 3}), ValueError, "permute", "axis 3");
    EXPECT_THROW_MSG(permute(t, {2, -3, -3}), ValueError, "permute", "[2, -3, -3]");
}

TEST(Shape, ReshapeValuesAndGradcheck) {
    const Tensord a({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    const Tensord r = reshape(a, {3, 2});
    EXPECT_TRUE(all_close(r, {3, 2}, {1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(all_close(reshape(a, {6}), {6}, {1, 2, 3, 4, 5, 6}));
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return reshape(x[0], {4, 3}); }, dg::test::randn({2, 6}, 3));
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return reshape(x[0], {2, 3, 2}); },
                     dg::test::randn({12}, 4));
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& x) { return reshape(x[0] * x[0], {12}); },
                         dg::test::randn({3, 4}, 5));
}

TEST(Shape, ReshapeDoesNotAliasTheInput) {
    Tensord a({1.0, 2.0, 3.0, 4.0});
    Tensord r = reshape(a, {2, 2});
    {
        NoGradGuard ng;
        a.mutable_value()(0) = 100.0;
    }
    EXPECT_DOUBLE_EQ(r.at(0), 1.0);
}

TEST(Shape, BroadcastToValuesAndGradcheck) {
    Tensord v({1.0, 2.0, 3.0}, true);
    const Tensord b = broadcast_to(v, {2, 3});
    EXPECT_TRUE(all_close(b, {2, 3}, {1, 2, 3, 1, 2, 3}));
    b.backward(Tensord({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}));
    EXPECT_TRUE(all_close(v.grad(), {3}, {5, 7, 9}));
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{4}, {3, 4}}, {{3, 1}, {3, 4}}, {{1, 4}, {2, 3, 4}}, {{}, {2, 3}}, {{3, 1, 1}, {3, 2, 4}}};
    for (const auto& [from, to] : cases) {
        SCOPED_TRACE(shape_str(from) + " -> " + shape_str(to));
        const Shape target = to;
        const Fn f = [target](const std::vector<Tensord>& x) { return broadcast_to(x[0], target); };
        EXPECT_GRADCHECK(f, dg::test::randn(from, 6));
        const Fn g = [target](const std::vector<Tensord>& x) { return broadcast_to(x[0] * x[0], target); };
        EXPECT_GRADGRADCHECK(g, dg::test::randn(from, 7));
    }
}

TEST(Shape, SumToIsTheAdjointOfBroadcast) {
    const Tensord x = dg::test::randn({2, 3, 4}, 8);
    Array<double> expected = xt::sum(x.value(), {0, 2}, immediate);
    expected.reshape({3, 1});
    EXPECT_TRUE(all_close(sum_to(x, {3, 1}).value(), expected, 1e-14));
    EXPECT_TRUE(all_close(sum_to(x, {}), {}, {xt::sum(x.value())()}, 1e-13));
    EXPECT_GRADCHECK([](const std::vector<Tensord>& v) { return sum_to(v[0], {1, 4}); }, x);
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& v) { return sum_to(v[0] * v[0], {3, 1}); }, x);
}

TEST(Shape, SumToAlongLongRowsEqualsTheLoop) {
    // A reduced last axis is summed in 8 running sums (row_sum): rows of 8·4 + 5 values (a tail), and of 3 (tail only).
    for (std::size_t len : {37u, 3u}) {
        const Tensord x = dg::test::randn({2, 3, len}, 9);
        const Array<double> got = sum_to(x, {3, 1}).value();
        for (std::size_t c = 0; c < 3; ++c) {
            double want = 0;
            for (std::size_t b = 0; b < 2; ++b)
                for (std::size_t t = 0; t < len; ++t) want += x.value()(b, c, t);
            EXPECT_NEAR(got(c, 0), want, 1e-13) << "len " << len << ", channel " << c;
        }
    }
}


TEST(Shape, UnsqueezeAndSqueeze) {
    const Tensord a({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_TRUE(all_close(unsqueeze(a, 0), {1, 2, 3}, {1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(all_close(unsqueeze(a, 1), {2, 1, 3}, {1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(all_close(unsqueeze(a, 2), {2, 3, 1}, {1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(unsqueeze(a, -1).shape(), (Shape{2, 3, 1}));
    EXPECT_EQ(unsqueeze(a, -3).shape(), (Shape{1, 2, 3}));
    EXPECT_EQ(unsqueeze(Tensord::scalar(2.0), 0).shape(), (Shape{1}));
    const Tensord t = dg::test::randn({1, 3, 1, 2}, 32);
    EXPECT_EQ(squeeze(t).shape(), (Shape{3, 2}));
    EXPECT_EQ(squeeze(t, 0).shape(), (Shape{3, 1, 2}));
    EXPECT_EQ(squeeze(t, -2).shape(), (Shape{1, 3, 2}));
    EXPECT_EQ(squeeze(Tensord::ones({1, 1})).shape(), Shape{});
    EXPECT_TRUE(all_close(squeeze(t).value(), Array<double>(xt::view(t.value(), 0, xt::all(), 0, xt::all()))));
    for (int axis : {0, 1, -1}) {
        SCOPED_TRACE("axis " + std::to_string(axis));
        const Fn f = [axis](const std::vector<Tensord>& x) { return unsqueeze(x[0], axis); };
        EXPECT_GRADCHECK(f, dg::test::randn({2, 3}, 33));
        EXPECT_GRADGRADCHECK([axis](const std::vector<Tensord>& x) { return unsqueeze(x[0] * x[0], axis); },
                             dg::test::randn({2, 3}, 34));
    }
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return squeeze(x[0]); }, t);
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return squeeze(x[0], 2); }, t);
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& x) { return squeeze(x[0] * x[0]); }, t);
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& x) { return squeeze(x[0] * x[0], -2); }, t);
}

TEST(Shape, SqueezeOfAnAxisThatIsNotOneIsAnError) {
    const Tensord t = dg::test::randn({1, 3, 1}, 35);
    EXPECT_THROW_MSG(squeeze(t, 1), ShapeError, "squeeze", "axis 1", "[1, 3, 1]", "extent 3", "expected 1");
    EXPECT_THROW_MSG(squeeze(t, 3), ValueError, "squeeze", "axis 3");
    EXPECT_THROW_MSG(unsqueeze(t, 4), ValueError, "unsqueeze", "axis 4", "new axis of a 3-d tensor", "-4 to 3");
    EXPECT_THROW_MSG(unsqueeze(t, -5), ValueError, "unsqueeze", "axis -5");
}
