// Joining and taking parts: concat (several axes), stack, narrow, slice with a step (Python's bounds), split and
// chunk — values by hand, gradcheck and gradgradcheck, errors.
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/make_tensor.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

TEST(Join, ConcatAlongSeveralAxes) {
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

TEST(Join, ConcatWithAConstantInput) {
    Tensord a({1.0, 2.0}, true);
    const Tensord k({3.0});
    concat<double>({k, a, a}, 0).backward(Tensord({10.0, 20.0, 30.0, 40.0, 50.0}));
    EXPECT_TRUE(all_close(a.grad(), {2}, {60.0, 80.0}));  // used twice: both slices accumulate
}

TEST(Join, NarrowValuesAndGradcheck) {
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
        // Squared, so there is a second derivative to check (narrow itself is linear).
        const Fn g = [c](const std::vector<Tensord>& x) { return narrow(x[0] * x[0], c.axis, c.start, c.length); };
        EXPECT_GRADGRADCHECK(g, t);
    }
}


TEST(Join, StackAlongEachAxis) {
    const Tensord a({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}), b({{7.0, 8.0, 9.0}, {10.0, 11.0, 12.0}});
    EXPECT_TRUE(all_close(stack<double>({a, b}, 0), {2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
    EXPECT_TRUE(all_close(stack<double>({a, b}, 1), {2, 2, 3}, {1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12}));
    EXPECT_TRUE(all_close(stack<double>({a, b}, -1), {2, 3, 2}, {1, 7, 2, 8, 3, 9, 4, 10, 5, 11, 6, 12}));
    EXPECT_TRUE(all_close(stack<double>({Tensord::scalar(1.0), Tensord::scalar(2.0)}), {2}, {1, 2}));
    for (int axis = -3; axis < 3; ++axis) {
        SCOPED_TRACE("axis " + std::to_string(axis));
        const Fn f = [axis](const std::vector<Tensord>& x) { return stack(x, axis); };
        EXPECT_GRADCHECK(f, dg::test::randn({2, 3}, 40), dg::test::randn({2, 3}, 41), dg::test::randn({2, 3}, 42));
        const Fn g = [axis](const std::vector<Tensord>& x) { return stack<double>({x[0] * x[0], tanh(x[1])}, axis); };
        EXPECT_GRADGRADCHECK(g, dg::test::randn({2, 3}, 43), dg::test::randn({2, 3}, 44));
    }
}

TEST(Join, StackSendsEachInputItsSlice) {
    Tensord a({1.0, 2.0}, true);
    const Tensord k({3.0, 4.0});
    stack<double>({a, k, a}, 1).backward(dg::test::make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(all_close(a.grad(), {2}, {1 + 3, 4 + 6}));  // used twice: columns 0 and 2
}

TEST(Join, StackErrors) {
    EXPECT_THROW_MSG(stack<double>({}), ValueError, "stack", "no tensors");
    EXPECT_THROW_MSG(stack<double>({Tensord::ones({2, 3}), Tensord::ones({3, 2})}), ShapeError, "stack", "tensor 1",
                     "[3, 2]", "[2, 3]");
    EXPECT_THROW_MSG(stack<double>({Tensord::ones({2, 3})}, 3), ValueError, "stack", "axis 3", "-3 to 2");
}

TEST(Join, SliceWithAStepAndPythonBounds) {
    const Tensord v({0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0});
    EXPECT_TRUE(all_close(slice(v, 0, 1, 6, 2), {3}, {1, 3, 5}));
    EXPECT_TRUE(all_close(slice(v, 0, 0, 7, 3), {3}, {0, 3, 6}));
    EXPECT_TRUE(all_close(slice(v, 0, 2, 5), {3}, {2, 3, 4}));
    EXPECT_TRUE(all_close(slice(v, 0, -3, 7), {3}, {4, 5, 6}));     // v[-3:]
    EXPECT_TRUE(all_close(slice(v, 0, 1, -1, 2), {3}, {1, 3, 5}));  // v[1:-1:2]
    EXPECT_TRUE(all_close(slice(v, 0, -100, 2), {2}, {0, 1}));      // clamped below
    EXPECT_TRUE(all_close(slice(v, 0, 5, 100), {2}, {5, 6}));       // clamped above
    EXPECT_TRUE(all_close(slice(v, 0, 5, 2), {0}, {}));             // empty
    EXPECT_TRUE(all_close(slice(v, 0, 9, 12), {0}, {}));
    const Tensord a({{1.0, 2.0, 3.0, 4.0}, {5.0, 6.0, 7.0, 8.0}, {9.0, 10.0, 11.0, 12.0}});
    EXPECT_TRUE(all_close(slice(a, 1, 0, 4, 2), {3, 2}, {1, 3, 5, 7, 9, 11}));
    EXPECT_TRUE(all_close(slice(a, 0, 0, 3, 2), {2, 4}, {1, 2, 3, 4, 9, 10, 11, 12}));
    EXPECT_TRUE(all_close(slice(a, -1, -1, 4), {3, 1}, {4, 8, 12}));
}

TEST(Join, SliceScattersItsGradientIntoZeros) {
    Tensord v({1.0, 2.0, 3.0, 4.0, 5.0}, true);
    slice(v, 0, 0, 5, 2).backward(Tensord({10.0, 20.0, 30.0}));
    EXPECT_TRUE(all_close(v.grad(), {5}, {10, 0, 20, 0, 30}));
    v.zero_grad();
    sum(slice(v, 0, 4, 1)).backward();  // an empty slice: a gradient of zeros
    EXPECT_TRUE(all_close(v.grad(), {5}, {0, 0, 0, 0, 0}));
    const Tensord t = dg::test::randn({4, 5, 3}, 45);
    struct Case {
        int axis;
        std::ptrdiff_t start, stop, step;
    };
    for (const Case c :
         {Case{0, 0, 4, 2}, Case{1, 1, 5, 3}, Case{1, -4, -1, 1}, Case{-1, 0, 3, 2}, Case{0, -10, 10, 1}}) {
        SCOPED_TRACE("axis " + std::to_string(c.axis) + " " + std::to_string(c.start) + ":" + std::to_string(c.stop) +
                     ":" + std::to_string(c.step));
        const Fn f = [c](const std::vector<Tensord>& x) { return slice(x[0], c.axis, c.start, c.stop, c.step); };
        EXPECT_GRADCHECK(f, t);
        const Fn g = [c](const std::vector<Tensord>& x) { return slice(x[0] * x[0], c.axis, c.start, c.stop, c.step); };
        EXPECT_GRADGRADCHECK(g, t);
    }
}

TEST(Join, SliceErrors) {
    const Tensord a = dg::test::randn({3, 4}, 46);
    EXPECT_THROW_MSG(slice(a, 0, 0, 3, 0), ValueError, "slice", "step", "got 0");
    EXPECT_THROW_MSG(slice(a, 1, 3, 0, -1), ValueError, "slice", "step", "got -1");
    EXPECT_THROW_MSG(slice(a, 2, 0, 1), ValueError, "slice", "axis 2");
}

TEST(Join, SplitBySizesAndByOneSize) {
    const Tensord a({{1.0, 2.0, 3.0, 4.0, 5.0}, {6.0, 7.0, 8.0, 9.0, 10.0}});
    const auto p = split(a, std::vector<std::size_t>{2, 3}, 1);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_TRUE(all_close(p[0], {2, 2}, {1, 2, 6, 7}));
    EXPECT_TRUE(all_close(p[1], {2, 3}, {3, 4, 5, 8, 9, 10}));
    const auto q = split(a, 2, -1);  // parts of 2, the last one shorter
    ASSERT_EQ(q.size(), 3u);
    EXPECT_TRUE(all_close(q[0], {2, 2}, {1, 2, 6, 7}));
    EXPECT_TRUE(all_close(q[1], {2, 2}, {3, 4, 8, 9}));
    EXPECT_TRUE(all_close(q[2], {2, 1}, {5, 10}));
    const auto r = split(a, 1);  // along axis 0 by default
    ASSERT_EQ(r.size(), 2u);
    EXPECT_TRUE(all_close(r[1], {1, 5}, {6, 7, 8, 9, 10}));
    const auto e = split(Tensord::ones({0, 3}), 2);  // an empty axis: one empty part, as torch.split
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].shape(), (Shape{0, 3}));
    // The parts' gradients come back to their places in x.
    const Fn f = [](const std::vector<Tensord>& x) {
        const auto parts = split(x[0], std::vector<std::size_t>{1, 3, 1}, 1);
        return parts[0] * 2.0 + sum(parts[1] * parts[1], 1, true) - tanh(parts[2]);
    };
    EXPECT_GRADCHECK(f, dg::test::randn({3, 5}, 47));
    EXPECT_GRADGRADCHECK(f, dg::test::randn({3, 5}, 48));
    const Fn g = [](const std::vector<Tensord>& x) { return concat(split(x[0] * x[0], 2, 0), 1); };
    EXPECT_GRADCHECK(g, dg::test::randn({4, 3}, 49));
    EXPECT_GRADGRADCHECK(g, dg::test::randn({4, 3}, 50));
}

TEST(Join, ChunkAsTorch) {
    const Tensord v = dg::test::make_tensor({7}, {0, 1, 2, 3, 4, 5, 6});
    const auto c = chunk(v, 3);  // ceil(7/3) = 3: [0,1,2] [3,4,5] [6]
    ASSERT_EQ(c.size(), 3u);
    EXPECT_TRUE(all_close(c[0], {3}, {0, 1, 2}));
    EXPECT_TRUE(all_close(c[2], {1}, {6}));
    EXPECT_EQ(chunk(dg::test::make_tensor({6}, {0, 1, 2, 3, 4, 5}), 4).size(), 3u);  // ceil(6/4) = 2: fewer than 4
    EXPECT_EQ(chunk(v, 10).size(), 7u);
    const auto m = chunk(dg::test::randn({2, 6}, 51), 2, -1);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[1].shape(), (Shape{2, 3}));
    const Fn f = [](const std::vector<Tensord>& x) {
        const auto parts = chunk(x[0], 2, 1);
        return parts[0] * parts[1];
    };
    EXPECT_GRADCHECK(f, dg::test::randn({3, 4}, 52));
    EXPECT_GRADGRADCHECK(f, dg::test::randn({3, 4}, 53));
}

TEST(Join, SplitAndChunkErrors) {
    const Tensord a = dg::test::randn({3, 5}, 54);
    EXPECT_THROW_MSG(split(a, std::vector<std::size_t>{2, 2}, 1), ShapeError, "split", "[2, 2]", "add up to 4",
                     "expected 5", "[3, 5]");
    EXPECT_THROW_MSG(split(a, 0, 1), ValueError, "split", "at least 1");
    EXPECT_THROW_MSG(split(a, 2, 2), ValueError, "split", "axis 2");
    EXPECT_THROW_MSG(chunk(a, 0), ValueError, "chunk", "at least 1");
    EXPECT_THROW_MSG(chunk(a, 2, -3), ValueError, "chunk", "axis -3");
}
