// max_pool2d, avg_pool2d (and avg_pool2d_backward), flatten: values by hand and against naive loops over kernels,
// strides and paddings; ties, −∞ padding and NaN for max pooling; gradcheck and gradgradcheck in double; one and two
// threads; errors.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"
#include "support/with_threads.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

namespace {

struct PoolCase {
    Shape input;
    Size2 kernel, stride, padding;
    std::string str() const {
        return shape_str(input) + " kernel (" + std::to_string(kernel.h) + "," + std::to_string(kernel.w) +
               ") stride (" + std::to_string(stride.h) + "," + std::to_string(stride.w) + ") pad (" +
               std::to_string(padding.h) + "," + std::to_string(padding.w) + ")";
    }
};

// Side by side, overlapping (stride < kernel), gaps (stride > kernel), padding, non-square, odd sizes.
const std::vector<PoolCase> pool_cases = {
    {{2, 3, 4, 4}, 2, {}, 0},        {{1, 2, 7, 5}, 3, 2, 1},           {{2, 1, 6, 7}, {2, 3}, {1, 2}, {1, 1}},
    {{1, 2, 9, 8}, 2, 3, 0},         {{3, 2, 5, 5}, 3, 1, 1},           {{1, 1, 3, 3}, 3, {}, 0},
    {{1, 2, 8, 6}, {4, 2}, {2, 1}, {2, 1}},
    // 2x2 with stride 2 (its own loop, in blocks of 8 outputs, the last ending at the row's end, or one at a time
    // in rows under 8): 10, 8, 11 and 3 outputs a row, the last input column of an odd width unused.
    {{2, 2, 6, 20}, 2, {}, 0},       {{1, 1, 4, 16}, 2, {}, 0},         {{1, 2, 4, 23}, 2, {}, 0},
    {{1, 3, 7, 7}, 2, {}, 0},
};

Size2 resolved(Size2 stride, Size2 kernel) { return {stride.h ? stride.h : kernel.h, stride.w ? stride.w : kernel.w}; }

/// max or mean over each window of the padded input; max ignores the padding (−∞), mean counts it as zeros.
Array<double> naive_pool(const Array<double>& x, const PoolCase& k, bool is_max) {
    const Size2 s = resolved(k.stride, k.kernel);
    const std::size_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
    const std::size_t OH = (H + 2 * k.padding.h - k.kernel.h) / s.h + 1, OW = (W + 2 * k.padding.w - k.kernel.w) / s.w + 1;
    Array<double> y = xt::zeros<double>({N, C, OH, OW});
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t oy = 0; oy < OH; ++oy)
                for (std::size_t ox = 0; ox < OW; ++ox) {
                    double m = -std::numeric_limits<double>::infinity(), sum = 0;
                    for (std::size_t i = 0; i < k.kernel.h; ++i)
                        for (std::size_t j = 0; j < k.kernel.w; ++j) {
                            const long iy = long(oy * s.h + i) - long(k.padding.h);
                            const long ix = long(ox * s.w + j) - long(k.padding.w);
                            if (iy < 0 || ix < 0 || iy >= long(H) || ix >= long(W)) continue;
                            m = std::max(m, x(n, c, iy, ix));
                            sum += x(n, c, iy, ix);
                        }
                    y(n, c, oy, ox) = is_max ? m : sum / double(k.kernel.h * k.kernel.w);
                }
    return y;
}

Tensord image(const std::vector<double>& values, const Shape& shape, bool requires_grad = true) {
    Array<double> a = Array<double>::from_shape(shape);
    std::copy(values.begin(), values.end(), a.begin());
    return Tensord(std::move(a), requires_grad);
}

}  // namespace

TEST(Pooling, MaxValuesAndGradientByHand) {
    const Tensord x = image({1, 2, 5, 3,  //
                             4, 0, 1, 1,  //
                             7, 8, 2, 9,  //
                             6, 5, 3, 2},
                            {1, 1, 4, 4});
    const Tensord y = max_pool2d(x, 2);
    EXPECT_TRUE(all_close(y, {1, 1, 2, 2}, {4, 5, 8, 9}));
    sum(mul(y, image({1, 2, 3, 4}, {1, 1, 2, 2}, false))).backward();
    EXPECT_TRUE(all_close(x.grad(), {1, 1, 4, 4}, {0, 0, 2, 0, 1, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0}));
}

TEST(Pooling, MaxTiesGoToTheFirstAndPaddingIsMinusInfinity) {
    // One 3x3 window of equal values: the gradient goes to the first one in row-major order, as PyTorch's.
    const Tensord x = image({2, 2, 2, 2, 2, 2, 2, 2, 2}, {1, 1, 3, 3});
    max_pool2d(x, 3).backward(Tensord::ones({1, 1, 1, 1}));
    EXPECT_TRUE(all_close(x.grad(), {1, 1, 3, 3}, {1, 0, 0, 0, 0, 0, 0, 0, 0}));
    // The 2x2, stride-2 windows (their own loop): [[1, 5], [5, 1]] sends it to (0, 1), the first 5.
    const Tensord pair = image({1, 5, 5, 1}, {1, 1, 2, 2});
    max_pool2d(pair, 2).backward(Tensord::ones({1, 1, 1, 1}));
    EXPECT_TRUE(all_close(pair.grad(), {1, 1, 2, 2}, {0, 1, 0, 0}));
    // Padding never wins, even over negative values: the padded 2x2 windows of a negative image hold its own values.
    const Tensord neg = image({-1, -2, -3, -4}, {1, 1, 2, 2});
    EXPECT_TRUE(all_close(max_pool2d(neg, 2, 1, 1), {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -3, -3, -4}));
}

TEST(Pooling, MaxPropagatesNaN) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const Tensord y = max_pool2d(image({1, nan, 3, 4}, {1, 1, 2, 2}, false), 2);
    EXPECT_TRUE(std::isnan(y.item()));
}

TEST(Pooling, AvgValuesByHandCountPadding) {
    const Tensord x = image({1, 2, 3, 4}, {1, 1, 2, 2});
    EXPECT_TRUE(all_close(avg_pool2d(x, 2), {1, 1, 1, 1}, {2.5}));
    // Padding 1, stride 2, 2x2 windows: each window holds one real value and three zeros that count: v / 4.
    EXPECT_TRUE(all_close(avg_pool2d(x, 2, 2, 1), {1, 1, 2, 2}, {0.25, 0.5, 0.75, 1.0}));
}

TEST(Pooling, ValuesMatchTheNaiveLoop) {
    std::uint64_t seed = 1;
    for (const PoolCase& k : pool_cases) {
        SCOPED_TRACE(k.str());
        const Tensord x = dg::test::randn(k.input, seed++, false);
        EXPECT_TRUE(all_close(max_pool2d(x, k.kernel, k.stride, k.padding).value(), naive_pool(x.value(), k, true)));
        EXPECT_TRUE(all_close(avg_pool2d(x, k.kernel, k.stride, k.padding).value(), naive_pool(x.value(), k, false),
                              1e-14, 1e-13));
    }
}

TEST(Pooling, Gradcheck) {
    std::uint64_t seed = 20;
    for (const PoolCase& k : pool_cases) {
        SCOPED_TRACE(k.str());
        const Fn maxf = [k](const std::vector<Tensord>& in) { return max_pool2d(in[0], k.kernel, k.stride, k.padding); };
        const Fn avgf = [k](const std::vector<Tensord>& in) { return avg_pool2d(in[0], k.kernel, k.stride, k.padding); };
        // Distinct values 0.1 apart: a ±1e-6 step never changes a window's arg-max.
        EXPECT_GRADCHECK(maxf, dg::test::distinct(k.input, seed++));
        EXPECT_GRADCHECK(avgf, dg::test::randn(k.input, seed++));
    }
}

TEST(Pooling, Gradgradcheck) {
    std::uint64_t seed = 40;
    for (const PoolCase& k : {pool_cases[1], pool_cases[2], pool_cases[6], pool_cases[7]}) {
        SCOPED_TRACE(k.str());
        // avg pooling is linear: its backward (avg_pool2d_backward) and that one's backward (avg_pool2d) are checked
        // through R; the tanh adds curvature in x.
        const Fn avgf = [k](const std::vector<Tensord>& in) {
            return avg_pool2d(tanh(in[0]), k.kernel, k.stride, k.padding);
        };
        EXPECT_GRADGRADCHECK(avgf, dg::test::randn(k.input, seed++));
        // max pooling routes the gradient through the saved arg-max (scatter) and back (gather).
        const Fn maxf = [k](const std::vector<Tensord>& in) {
            return max_pool2d(tanh(in[0]), k.kernel, k.stride, k.padding);
        };
        EXPECT_GRADGRADCHECK(maxf, dg::test::distinct(k.input, seed++));
    }
    const PoolCase k = pool_cases[1];
    const Shape in_shape = k.input;
    const Shape out_shape = avg_pool2d(dg::test::randn(in_shape, 1, false), k.kernel, k.stride, k.padding).shape();
    const Fn back = [k, in_shape](const std::vector<Tensord>& in) {
        return avg_pool2d_backward(in[0], in_shape, k.kernel, k.stride, k.padding);
    };
    EXPECT_GRADCHECK(back, dg::test::randn(out_shape, 60));
    EXPECT_GRADGRADCHECK([&](const std::vector<Tensord>& in) { return tanh(back(in)); }, dg::test::randn(out_shape, 61));
}

TEST(Pooling, AvgBackwardIsTheAdjoint) {
    // ⟨avg_pool2d(x), g⟩ = ⟨x, avg_pool2d_backward(g)⟩.
    const PoolCase k = pool_cases[4];
    const Tensord x = dg::test::randn(k.input, 1, false);
    const Tensord y = avg_pool2d(x, k.kernel, k.stride, k.padding);
    const Tensord g = dg::test::randn(y.shape(), 2, false);
    const double lhs = sum(mul(y, g)).item();
    const double rhs = sum(mul(x, avg_pool2d_backward(g, x.shape(), k.kernel, k.stride, k.padding))).item();
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::abs(lhs) + 1e-12);
}

TEST(Pooling, TwoThreadsGiveTheSameBits) {
    // 64 x 6 x 28 x 28 (LeNet-5's first pooling): large enough to be split over the planes.
    Tensord x = dg::test::randn({64, 6, 28, 28}, 7);
    Array<double> y1, g1, a1, ga1;
    for (int threads : {1, 2}) {
        const test::WithThreads count(threads);
        x.zero_grad();
        const Tensord y = max_pool2d(x, 2), a = avg_pool2d(x, 3, 2, 1);
        add(sum(mul(y, y)), sum(mul(a, a))).backward();
        if (threads == 1) {
            y1 = y.value();
            a1 = a.value();
            g1 = x.grad().value();
            continue;
        }
        EXPECT_EQ(y.value(), y1);
        EXPECT_EQ(a.value(), a1);
        EXPECT_EQ(x.grad().value(), g1);
    }
}

TEST(Pooling, Errors) {
    const Tensord x = dg::test::randn({2, 3, 8, 8}, 1, false);
    EXPECT_THROW_MSG(max_pool2d(x, 2, 2, 2), ValueError, "max_pool2d", "padding (2, 2) must be at most half the kernel");
    EXPECT_THROW_MSG(avg_pool2d(x, 0), ValueError, "avg_pool2d", "kernel must be at least 1 x 1");
    EXPECT_THROW_MSG(max_pool2d(dg::test::randn({3, 8, 8}, 1, false), 2), ShapeError, "max_pool2d",
                     "expected input [N, C, H, W]", "got [3, 8, 8]");
    EXPECT_THROW_MSG(avg_pool2d(dg::test::randn({1, 1, 2, 5}, 1, false), 3), ShapeError, "avg_pool2d",
                     "smaller than the kernel");
    EXPECT_THROW_MSG(avg_pool2d_backward(dg::test::randn({2, 3, 3, 4}, 1, false), x.shape(), 2), ShapeError,
                     "avg_pool2d_backward", "expected gradient [2, 3, 4, 4]", "got [2, 3, 3, 4]");
}

TEST(Flatten, ShapesValuesAndGradient) {
    const Tensord x = dg::test::randn({2, 3, 4, 5}, 1);
    EXPECT_EQ(flatten(x).shape(), (Shape{2, 60}));
    EXPECT_EQ(flatten(x, 0).shape(), (Shape{120}));
    EXPECT_EQ(flatten(x, 1, 2).shape(), (Shape{2, 12, 5}));
    EXPECT_EQ(flatten(x, -2).shape(), (Shape{2, 3, 20}));
    EXPECT_EQ(flatten(x, 2, 2).shape(), x.shape());
    EXPECT_EQ(flatten(x).value(), Array<double>(xt::reshape_view(x.value(), {2, 60})));
    EXPECT_EQ(flatten(Tensord::scalar(3.0)).shape(), (Shape{1}));
    const Fn f = [](const std::vector<Tensord>& in) { return flatten(in[0], 1); };
    EXPECT_GRADCHECK(f, dg::test::randn({2, 3, 2, 2}, 2));
    EXPECT_THROW_MSG(flatten(x, 2, 1), ValueError, "flatten", "start_dim 2 comes after end_dim 1");
    EXPECT_THROW_MSG(flatten(x, 4), ValueError, "flatten", "axis 4 out of range");
}
