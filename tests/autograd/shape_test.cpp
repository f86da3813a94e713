// Shape ops: transpose, reshape, broadcast_to, concat (several axes), narrow, index_select with repeated
// indices, gather_rows, index_add, scatter_rows — values by hand, gradcheck and gradgradcheck.
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
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

TEST(Shape, ConcatAlongSeveralAxes) {
    const Tensord a({{1.0, 2.0}, {3.0, 4.0}}), b({{5.0, 6.0}});
    EXPECT_TRUE(all_close(concat<double>({a, b}, 0), {3, 2}, {1, 2, 3, 4, 5, 6}));
    const Tensord c = dg::test::make_tensor({2, 1}, {7.0, 8.0});
    EXPECT_TRUE(all_close(concat<double>({a, c}, 1), {2, 3}, {1, 2, 7, 3, 4, 8}));
    EXPECT_TRUE(all_close(concat<double>({c, a, c}, -1), {2, 4}, {7, 1, 2, 7, 8, 3, 4, 8}));
    // Gradcheck on 3-d tensors along each axis (three inputs of different extents along it).
    for (int axis = -3; axis < 3; ++axis) {
        SCOPED_TRACE("axis " + std::to_string(axis));
        const std::size_t ax = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
        Shape s0 = {2, 3, 2}, s1 = s0, s2 = s0;
        s1[ax] = 1;
        s2[ax] = 3;
        const Fn f = [axis](const std::vector<Tensord>& x) { return concat(x, axis); };
        EXPECT_GRADCHECK(f, dg::test::randn(s0, 9), dg::test::randn(s1, 10), dg::test::randn(s2, 11));
        const Fn g = [axis](const std::vector<Tensord>& x) {
            return concat<double>({x[0] * x[0], x[1], tanh(x[2])}, axis);
        };
        EXPECT_GRADGRADCHECK(g, dg::test::randn(s0, 12), dg::test::randn(s1, 13), dg::test::randn(s2, 14));
    }
}

TEST(Shape, ConcatWithAConstantInput) {
    Tensord a({1.0, 2.0}, true);
    const Tensord k({3.0});
    concat<double>({k, a, a}, 0).backward(Tensord({10.0, 20.0, 30.0, 40.0, 50.0}));
    EXPECT_TRUE(all_close(a.grad(), {2}, {60.0, 80.0}));  // used twice: both slices accumulate
}

TEST(Shape, NarrowValuesAndGradcheck) {
    const Tensord a({{1.0, 2.0, 3.0, 4.0}, {5.0, 6.0, 7.0, 8.0}});
    EXPECT_TRUE(all_close(narrow(a, 1, 1, 2), {2, 2}, {2, 3, 6, 7}));
    EXPECT_TRUE(all_close(narrow(a, 0, 1, 1), {1, 4}, {5, 6, 7, 8}));
    EXPECT_TRUE(all_close(narrow(a, -1, 0, 4), {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}));
    const Tensord t = dg::test::randn({3, 5, 2}, 15);
    struct Case {
        int axis;
        std::size_t start, length;
    };
    for (const Case c : {Case{0, 1, 2}, Case{1, 0, 2}, Case{1, 3, 2}, Case{1, 1, 3}, Case{-1, 1, 1}, Case{2, 0, 2}}) {
        SCOPED_TRACE("axis " + std::to_string(c.axis) + " start " + std::to_string(c.start));
        const Fn f = [c](const std::vector<Tensord>& x) { return narrow(x[0], c.axis, c.start, c.length); };
        EXPECT_GRADCHECK(f, t);
        EXPECT_GRADGRADCHECK(f, t);
    }
}

TEST(Shape, IndexSelectWithRepeatedIndices) {
    Tensord x({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, true);
    const std::vector<std::size_t> idx = {2, 0, 2, 2};
    const Tensord y = index_select(x, idx);
    EXPECT_TRUE(all_close(y, {4, 2}, {5, 6, 1, 2, 5, 6, 5, 6}));
    y.backward(Tensord({{1.0, 10.0}, {2.0, 20.0}, {3.0, 30.0}, {4.0, 40.0}}));
    EXPECT_TRUE(all_close(x.grad(), {3, 2}, {2, 20, 0, 0, 8, 80}));  // row 2 picked three times
    const Fn f = [idx](const std::vector<Tensord>& v) { return index_select(v[0], idx); };
    EXPECT_GRADCHECK(f, dg::test::randn({3, 2}, 16));
    EXPECT_GRADGRADCHECK(f, dg::test::randn({3, 2}, 17));
    const std::vector<std::size_t> idx1 = {1, 1, 0};
    EXPECT_GRADCHECK([idx1](const std::vector<Tensord>& v) { return index_select(v[0], idx1); },
                     dg::test::randn({4}, 18));
    EXPECT_GRADCHECK([idx1](const std::vector<Tensord>& v) { return index_select(v[0], idx1); },
                     dg::test::randn({2, 3, 2}, 19));
}

TEST(Shape, IndexAddAccumulatesRepeatedRows) {
    Tensord src({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, true);
    const std::vector<std::size_t> idx = {1, 3, 1};
    const Tensord y = index_add<double>({4, 2}, idx, src);
    EXPECT_TRUE(all_close(y, {4, 2}, {0, 0, 6, 8, 0, 0, 3, 4}));
    const Fn f = [idx](const std::vector<Tensord>& v) { return index_add<double>({4, 2}, idx, v[0]); };
    EXPECT_GRADCHECK(f, src);
    EXPECT_GRADGRADCHECK([idx](const std::vector<Tensord>& v) { return index_add<double>({4, 2}, idx, v[0] * v[0]); },
                         src);
}

TEST(Shape, GatherRowsAndScatterRows) {
    Tensord x({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, true);
    const std::vector<std::size_t> idx = {2, 0};
    const Tensord y = gather_rows(x, idx);
    EXPECT_TRUE(all_close(y, {2}, {3, 4}));
    y.backward(Tensord({7.0, 9.0}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {0, 0, 7, 9, 0, 0}));
    const Tensord s = scatter_rows<double>({2, 3}, idx, Tensord({7.0, 9.0}));
    EXPECT_TRUE(all_close(s, {2, 3}, {0, 0, 7, 9, 0, 0}));
    const std::vector<std::size_t> idx4 = {1, 1, 0, 2};
    EXPECT_GRADCHECK([idx4](const std::vector<Tensord>& v) { return gather_rows(v[0], idx4); },
                     dg::test::randn({4, 3}, 20));
    EXPECT_GRADGRADCHECK([idx4](const std::vector<Tensord>& v) { return gather_rows(v[0] * v[0], idx4); },
                         dg::test::randn({4, 3}, 21));
    EXPECT_GRADCHECK([idx4](const std::vector<Tensord>& v) { return scatter_rows<double>({4, 3}, idx4, v[0]); },
                     dg::test::randn({4}, 22));
    EXPECT_GRADGRADCHECK(
        [idx4](const std::vector<Tensord>& v) { return scatter_rows<double>({4, 3}, idx4, v[0] * v[0]); },
        dg::test::randn({4}, 23));
}
