// Reductions sum / mean / max / min: over all elements and over each axis of a 3-d tensor, negative axes,
// keepdim on and off — forward values against loops, gradcheck and gradgradcheck, and the tie rule.
#include <functional>
#include <limits>
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

namespace {

enum class Kind { Sum, Mean, Max, Min };
const char* kind_name(Kind k) {
    switch (k) {
        case Kind::Sum: return "sum";
        case Kind::Mean: return "mean";
        case Kind::Max: return "max";
        default: return "min";
    }
}

Tensord reduce_all(Kind k, const Tensord& x) {
    switch (k) {
        case Kind::Sum: return sum(x);
        case Kind::Mean: return mean(x);
        case Kind::Max: return max(x);
        default: return min(x);
    }
}
Tensord reduce_axis(Kind k, const Tensord& x, int axis, bool keepdim) {
    switch (k) {
        case Kind::Sum: return sum(x, axis, keepdim);
        case Kind::Mean: return mean(x, axis, keepdim);
        case Kind::Max: return max(x, axis, keepdim);
        default: return min(x, axis, keepdim);
    }
}

/// The reduction along `axis` of a [2,3,4] array, by explicit loops.
Array<double> loop_reduce(Kind k, const Array<double>& x, std::size_t axis, bool keepdim) {
    Shape out = shape_of(x);
    const std::size_t n = out[axis];
    out[axis] = 1;
    Array<double> r = Array<double>::from_shape(out);
    for (std::size_t i = 0; i < out[0]; ++i)
        for (std::size_t j = 0; j < out[1]; ++j)
            for (std::size_t l = 0; l < out[2]; ++l) {
                double acc = k == Kind::Max ? -INFINITY : k == Kind::Min ? INFINITY : 0.0;
                for (std::size_t t = 0; t < n; ++t) {
                    std::size_t idx[3] = {i, j, l};
                    idx[axis] = t;
                    const double v = x(idx[0], idx[1], idx[2]);
                    acc = k == Kind::Max ? std::max(acc, v) : k == Kind::Min ? std::min(acc, v) : acc + v;
                }
                r(i, j, l) = k == Kind::Mean ? acc / n : acc;
            }
    if (!keepdim) {
        Shape squeezed;
        for (std::size_t d = 0; d < 3; ++d)
            if (d != axis) squeezed.push_back(out[d]);
        r.reshape(squeezed);
    }
    return r;
}

const Kind kKinds[] = {Kind::Sum, Kind::Mean, Kind::Max, Kind::Min};

}  // namespace

TEST(Reduce, AllElementsForwardValues) {
    const Tensord x({{1.0, -2.0, 3.5}, {0.5, 7.0, -4.0}});
    EXPECT_TRUE(all_close(sum(x), {}, {6.0}));
    EXPECT_TRUE(all_close(mean(x), {}, {1.0}));
    EXPECT_TRUE(all_close(max(x), {}, {7.0}));
    EXPECT_TRUE(all_close(min(x), {}, {-4.0}));
    EXPECT_EQ(sum(x).dim(), 0u);
}

TEST(Reduce, EachAxisForwardMatchesLoops) {
    const Tensord x = dg::test::distinct({2, 3, 4}, 1);
    for (Kind k : kKinds)
        for (int axis = -3; axis < 3; ++axis)
            for (bool keepdim : {false, true}) {
                SCOPED_TRACE(std::string(kind_name(k)) + " axis " + std::to_string(axis) + " keepdim " +
                             std::to_string(keepdim));
                const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
                EXPECT_TRUE(all_close(reduce_axis(k, x, axis, keepdim).value(), loop_reduce(k, x.value(), a, keepdim),
                                     1e-14, 1e-13));
            }
}

TEST(Reduce, AllElementsGradcheckAndGradgradcheck) {
    for (Kind k : kKinds) {
        SCOPED_TRACE(kind_name(k));
        const Fn f = [k](const std::vector<Tensord>& x) { return reduce_all(k, x[0]); };
        // distinct values: max/min have a unique arg, so finite differences see a smooth function
        EXPECT_GRADCHECK(f, dg::test::distinct({2, 3, 4}, 2));
        EXPECT_GRADGRADCHECK(f, dg::test::distinct({2, 3, 4}, 3));
        // The reduction composed with a nonlinearity so the second derivative is not trivially zero.
        const Fn g = [k](const std::vector<Tensord>& x) { return reduce_all(k, x[0] * x[0] * x[0]); };
        EXPECT_GRADGRADCHECK(g, dg::test::distinct({2, 3, 4}, 4));
    }
}

TEST(Reduce, EachAxisGradcheckAndGradgradcheck) {
    for (Kind k : kKinds)
        for (int axis = -3; axis < 3; ++axis)
            for (bool keepdim : {false, true}) {
                SCOPED_TRACE(std::string(kind_name(k)) + " axis " + std::to_string(axis) + " keepdim " +
                             std::to_string(keepdim));
                const Fn f = [=](const std::vector<Tensord>& x) { return reduce_axis(k, x[0], axis, keepdim); };
                EXPECT_GRADCHECK(f, dg::test::distinct({2, 3, 4}, 5));
                const Fn g = [=](const std::vector<Tensord>& x) {
                    return tanh(reduce_axis(k, x[0] * x[0], axis, keepdim));
                };
                EXPECT_GRADGRADCHECK(g, dg::test::distinct({2, 3, 4}, 6));
            }
}

TEST(Reduce, OneDimensionalAndMatrixAxes) {
    const Tensord v({3.0, 1.0, 2.0}, true);
    EXPECT_TRUE(all_close(sum(v, 0), {}, {6.0}));
    EXPECT_TRUE(all_close(sum(v, -1, true), {1}, {6.0}));
    EXPECT_TRUE(all_close(max(v, 0), {}, {3.0}));
    const Tensord m({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, true);
    EXPECT_TRUE(all_close(mean(m, 0), {2}, {3.0, 4.0}));
    EXPECT_TRUE(all_close(mean(m, -1, true), {3, 1}, {1.5, 3.5, 5.5}));
    EXPECT_TRUE(all_close(min(m, 1), {3}, {1.0, 3.0, 5.0}));
}

TEST(Reduce, MeanGradientIsOneOverCount) {
    Tensord x = dg::test::randn({3, 4}, 7);
    mean(x, 1).backward(Tensord({1.0, 2.0, 3.0}));
    Array<double> expected = {{0.25, 0.25, 0.25, 0.25}, {0.5, 0.5, 0.5, 0.5}, {0.75, 0.75, 0.75, 0.75}};
    EXPECT_TRUE(all_close(x.grad().value(), expected));
}

TEST(Reduce, MaxAndMinTiesShareTheGradient) {
    // Ties split the gradient equally, so the total that flows back is still g.
    Tensord x({{2.0, 5.0, 5.0}, {1.0, 1.0, 0.0}}, true);
    max(x).backward();
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {0, 0.5, 0.5, 0, 0, 0}));
    x.zero_grad();
    max(x, 1).backward(Tensord({1.0, 3.0}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {0, 0.5, 0.5, 1.5, 1.5, 0}));
    x.zero_grad();
    min(x, -1, true).backward(dg::test::make_tensor({2, 1}, {2.0, 4.0}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {2, 0, 0, 0, 0, 4}));
    x.zero_grad();
    min(x).backward();
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {0, 0, 0, 0, 0, 1}));
}

TEST(Reduce, SumOfBroadcastRoundTrips) {
    // sum over axis 0 of broadcast_to([4] -> [3,4]) is 3x the vector; its gradient is 3 everywhere.
    Tensord v({1.0, 2.0, 3.0, 4.0}, true);
    Tensord s = sum(broadcast_to(v, {3, 4}), 0);
    EXPECT_TRUE(all_close(s, {4}, {3, 6, 9, 12}));
    sum(s).backward();
    EXPECT_TRUE(all_close(v.grad(), {4}, {3, 3, 3, 3}));
}
