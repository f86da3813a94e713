// conv2d, conv2d_input_grad, conv2d_weight_grad: values against a naive loop over strides, paddings, dilations, groups
// and odd sizes (several images per GEMM, and split over two threads), gradcheck and gradgradcheck in double, errors.
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

/// One configuration: input [n, c, h, w], c_out output channels, kernel kh × kw, and the options.
struct Case {
    std::size_t n, c, h, w, c_out, kh, kw;
    Conv2dOptions opt;

    Shape input() const { return {n, c, h, w}; }
    Shape weight() const { return {c_out, c / opt.groups, kh, kw}; }
    std::string str() const {
        return shape_str(input()) + " * " + shape_str(weight()) + " stride (" + std::to_string(opt.stride.h) + "," +
               std::to_string(opt.stride.w) + ") pad (" + std::to_string(opt.padding.h) + "," +
               std::to_string(opt.padding.w) + ") dil (" + std::to_string(opt.dilation.h) + "," +
               std::to_string(opt.dilation.w) + ") groups " + std::to_string(opt.groups);
    }
};

// Strides, paddings (on one axis only, too), dilations, groups, non-square kernels and odd sizes; a 1x1 kernel; a
// kernel as large as the padded input.
const std::vector<Case> cases = {
    {2, 3, 5, 6, 4, 3, 3, {}},
    {1, 2, 7, 5, 3, 3, 2, {2, 1}},
    {2, 2, 6, 7, 2, 2, 3, {{1, 2}, {0, 2}}},
    {1, 3, 7, 7, 2, 3, 3, {1, 2, 2}},
    {2, 4, 5, 5, 6, 3, 3, {1, 1, 1, 2}},
    {1, 6, 6, 5, 3, 2, 2, {{2, 1}, {1, 0}, {1, 2}, 3}},
    {3, 2, 4, 4, 3, 1, 1, {}},
    {1, 1, 3, 3, 1, 5, 5, {1, 1}},
    {2, 3, 9, 8, 2, 3, 3, {3, 2, {2, 1}}},
};

/// The definition of the convolution, one term at a time: calls f(n, o, oy, ox, ic, c, i, j, iy, ix) for every product
/// x[n, ic, iy, ix] · w[o, c, i, j] that y[n, o, oy, ox] sums, ic = g·cg + c with g the group of o; iy = oy·sh − ph +
/// i·dh and ix likewise, positions in the padding skipped. Returns the output shape.
template <class F>
Shape for_each_term(const Shape& x, const Shape& w, const Conv2dOptions& o, F f) {
    const std::size_t N = x[0], H = x[2], W = x[3], O = w[0], cg = w[1], KH = w[2], KW = w[3], og = O / o.groups;
    const std::size_t OH = (H + 2 * o.padding.h - o.dilation.h * (KH - 1) - 1) / o.stride.h + 1;
    const std::size_t OW = (W + 2 * o.padding.w - o.dilation.w * (KW - 1) - 1) / o.stride.w + 1;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t oc = 0; oc < O; ++oc)
            for (std::size_t oy = 0; oy < OH; ++oy)
                for (std::size_t ox = 0; ox < OW; ++ox)
                    for (std::size_t c = 0; c < cg; ++c)
                        for (std::size_t i = 0; i < KH; ++i)
                            for (std::size_t j = 0; j < KW; ++j) {
                                const long iy = long(oy * o.stride.h + i * o.dilation.h) - long(o.padding.h);
                                const long ix = long(ox * o.stride.w + j * o.dilation.w) - long(o.padding.w);
                                if (iy < 0 || ix < 0 || iy >= long(H) || ix >= long(W)) continue;
                                f(n, oc, oy, ox, (oc / og) * cg + c, c, i, j, std::size_t(iy), std::size_t(ix));
                            }
    return {N, O, OH, OW};
}

/// y = conv(x, w) + b by the definition.
Array<double> naive_conv(const Array<double>& x, const Array<double>& w, const Array<double>* b,
                         const Conv2dOptions& o) {
    Array<double> y = xt::zeros<double>(for_each_term(shape_of(x), shape_of(w), o, [](auto...) {}));
    for_each_term(shape_of(x), shape_of(w), o, [&](auto n, auto oc, auto oy, auto ox, auto ic, auto c, auto i, auto j,
                                                   auto iy, auto ix) { y(n, oc, oy, ox) += x(n, ic, iy, ix) * w(oc, c, i, j); });
    if (b)
        for (std::size_t n = 0; n < y.shape()[0]; ++n)
            for (std::size_t oc = 0; oc < y.shape()[1]; ++oc) xt::view(y, n, oc) += (*b)(oc);
    return y;
}

/// Σ y ⊙ R is linear in x and in w: its gradients, the adjoint products conv2d_input_grad(R, w) and
/// conv2d_weight_grad(x, R), are the same terms with R's entry in place of y's.
void naive_grads(const Array<double>& x, const Array<double>& w, const Array<double>& R, const Conv2dOptions& o,
                 Array<double>& gx, Array<double>& gw) {
    gx = xt::zeros<double>(x.shape());
    gw = xt::zeros<double>(w.shape());
    for_each_term(shape_of(x), shape_of(w), o,
                  [&](auto n, auto oc, auto oy, auto ox, auto ic, auto c, auto i, auto j, auto iy, auto ix) {
                      gx(n, ic, iy, ix) += R(n, oc, oy, ox) * w(oc, c, i, j);
                      gw(oc, c, i, j) += R(n, oc, oy, ox) * x(n, ic, iy, ix);
                  });
}

}  // namespace

TEST(Conv, ValuesByHand) {
    // x = 1..9 as a 3x3 image, w = [[1, 0], [0, -1]]: y[i, j] = x[i, j] − x[i+1, j+1] = −4 everywhere, + bias 0.5.
    const Tensord x(Array<double>(xt::arange<double>(1, 10).reshape({1, 1, 3, 3})));
    Array<double> kernel{{1.0, 0.0}, {0.0, -1.0}};
    kernel.reshape({1, 1, 2, 2});
    const Tensord w(kernel);
    EXPECT_TRUE(all_close(conv2d(x, w, Tensord({0.5})), {1, 1, 2, 2}, {-3.5, -3.5, -3.5, -3.5}));
    // Padding 1, stride 2 on the padded 5x5 image: y[0,0] = 0·1 − x[0,0] = −1, y[0,1] = 0 − x[0,2] = −3,
    // y[1,0] = 0 − x[2,0] = −7 and y[1,1] = x[1,1] − x[2,2] = −4.
    EXPECT_TRUE(all_close(conv2d(x, w, Conv2dOptions{2, 1}), {1, 1, 2, 2}, {-1, -3, -7, -4}));
}

TEST(Conv, ValuesMatchTheNaiveLoop) {
    std::uint64_t seed = 10;
    for (const Case& k : cases) {
        SCOPED_TRACE(k.str());
        const Tensord x = dg::test::randn(k.input(), seed++, false), w = dg::test::randn(k.weight(), seed++, false);
        const Tensord b = dg::test::randn({k.c_out}, seed++, false);
        EXPECT_TRUE(all_close(conv2d(x, w, b, k.opt).value(), naive_conv(x.value(), w.value(), &b.value(), k.opt),
                              1e-12, 1e-12));
        EXPECT_TRUE(all_close(conv2d(x, w, k.opt).value(), naive_conv(x.value(), w.value(), nullptr, k.opt), 1e-12,
                              1e-12));
        const Tensord y = conv2d(x, w, k.opt);
        const Tensord R = dg::test::randn(y.shape(), seed++, false);
        Array<double> gx, gw;
        naive_grads(x.value(), w.value(), R.value(), k.opt, gx, gw);
        EXPECT_TRUE(all_close(conv2d_input_grad(R, w, x.shape(), k.opt).value(), gx, 1e-12, 1e-12));
        EXPECT_TRUE(all_close(conv2d_weight_grad(x, R, w.shape(), k.opt).value(), gw, 1e-12, 1e-12));
    }
}

TEST(Conv, ManyImagesPerGemmAndTwoThreadsAgreeWithTheLoop) {
    // 40 images of 12x12: several images share a GEMM (and the last chunk is shorter), and the work is large enough to
    // be split over two threads. Both thread counts give the loop's values.
    const Conv2dOptions opt{1, 1};
    const Tensord x = dg::test::randn({40, 6, 12, 12}, 1, false), w = dg::test::randn({16, 6, 5, 5}, 2, false);
    const Tensord b = dg::test::randn({16}, 3, false);
    const Array<double> expect = naive_conv(x.value(), w.value(), &b.value(), opt);
    const Tensord R = dg::test::randn(shape_of(expect), 4, false);
    Array<double> gx, gw;
    naive_grads(x.value(), w.value(), R.value(), opt, gx, gw);
    for (int threads : {1, 2}) {
        SCOPED_TRACE(threads);
        const test::WithThreads count(threads);
        EXPECT_TRUE(all_close(conv2d(x, w, b, opt).value(), expect, 1e-11, 1e-11));
        EXPECT_TRUE(all_close(conv2d_input_grad(R, w, x.shape(), opt).value(), gx, 1e-11, 1e-11));
        EXPECT_TRUE(all_close(conv2d_weight_grad(x, R, w.shape(), opt).value(), gw, 1e-11, 1e-11));
    }
}

TEST(Conv, NonFiniteValuesReachOnlyTheGradientsTheyTakePartIn) {
    // With stride 1 the GEMMs run on a wider grid whose unused columns read the start of the next row: an ∞ there must
    // not leak into taps or positions that never meet it. x[0, 0, 1, 0] = ∞ is read by taps (0, 0) and (1, 0) only.
    Array<double> xv = xt::arange<double>(1, 13).reshape({1, 1, 3, 4});
    xv(0, 0, 1, 0) = std::numeric_limits<double>::infinity();
    const Tensord x(xv), w = dg::test::randn({1, 1, 2, 2}, 1, false);
    const Tensord R = dg::test::randn({1, 1, 2, 3}, 2, false);
    Array<double> gx, gw;
    naive_grads(x.value(), w.value(), R.value(), {}, gx, gw);
    const Array<double> got = conv2d_weight_grad(x, R, w.shape()).value();
    for (std::size_t j = 0; j < 2; ++j) {
        EXPECT_TRUE(std::isinf(got(0, 0, j, 0))) << j;
        EXPECT_NEAR(got(0, 0, j, 1), gw(0, 0, j, 1), 1e-12) << j;  // taps (0, 1), (1, 1): finite, as the loop's
    }
    // w[0, 0, 0, 1] = ∞ reaches the input positions tap (0, 1) reads: columns 1 to 3; column 0 stays finite.
    Array<double> wv = w.value();
    wv(0, 0, 0, 1) = std::numeric_limits<double>::infinity();
    const Tensord x2 = dg::test::randn({1, 1, 3, 4}, 3, false), winf(wv);
    naive_grads(x2.value(), wv, R.value(), {}, gx, gw);
    const Array<double> gx_got = conv2d_input_grad(R, winf, x2.shape()).value();
    for (std::size_t y = 0; y < 3; ++y) EXPECT_NEAR(gx_got(0, 0, y, 0), gx(0, 0, y, 0), 1e-12) << y;
}

TEST(Conv, FloatAgreesWithDouble) {
    const Conv2dOptions opt{2, 2, 1, 2};
    const Tensord x = dg::test::randn({3, 4, 11, 9}, 5, false), w = dg::test::randn({6, 2, 5, 3}, 6, false);
    const Tensorf xf(Array<float>(xt::cast<float>(x.value()))), wf(Array<float>(xt::cast<float>(w.value())));
    const Array<double> y = conv2d(x, w, opt).value();
    EXPECT_TRUE(all_close(Array<double>(xt::cast<double>(conv2d(xf, wf, opt).value())), y, 1e-4, 1e-4));
}

TEST(Conv, Gradcheck) {
    std::uint64_t seed = 100;
    for (const Case& k : cases) {
        SCOPED_TRACE(k.str());
        const Conv2dOptions opt = k.opt;
        const Fn with_bias = [opt](const std::vector<Tensord>& in) { return conv2d(in[0], in[1], in[2], opt); };
        EXPECT_GRADCHECK(with_bias, dg::test::randn(k.input(), seed++), dg::test::randn(k.weight(), seed++),
                         dg::test::randn({k.c_out}, seed++));
    }
}

TEST(Conv, GradgradcheckThroughItsOwnGradientOps) {
    // conv2d is bilinear in (x, w): its second derivatives are the cross terms, and the R (grad_out) input checks the
    // backward ops' own backward. A tanh on top adds curvature in each argument.
    std::uint64_t seed = 200;
    for (const Case& k : {cases[1], cases[3], cases[5], cases[8]}) {
        SCOPED_TRACE(k.str());
        const Conv2dOptions opt = k.opt;
        const Fn f = [opt](const std::vector<Tensord>& in) { return conv2d(in[0], in[1], in[2], opt); };
        EXPECT_GRADGRADCHECK(f, dg::test::randn(k.input(), seed++), dg::test::randn(k.weight(), seed++),
                             dg::test::randn({k.c_out}, seed++));
        const Fn g = [opt](const std::vector<Tensord>& in) { return tanh(conv2d(tanh(in[0]), in[1], opt)); };
        EXPECT_GRADGRADCHECK(g, dg::test::randn(k.input(), seed++), dg::test::randn(k.weight(), seed++));
    }
}

TEST(Conv, GradientOpsGradcheckAndGradgradcheck) {
    const Case k = cases[5];
    const Conv2dOptions opt = k.opt;
    const Shape in_shape = k.input(), w_shape = k.weight();
    const Shape out_shape = conv2d(dg::test::randn(in_shape, 1, false), dg::test::randn(w_shape, 2, false), opt).shape();
    const Fn input_grad = [opt, in_shape](const std::vector<Tensord>& in) {
        return conv2d_input_grad(in[0], in[1], in_shape, opt);
    };
    const Fn weight_grad = [opt, w_shape](const std::vector<Tensord>& in) {
        return conv2d_weight_grad(in[0], in[1], w_shape, opt);
    };
    EXPECT_GRADCHECK(input_grad, dg::test::randn(out_shape, 3), dg::test::randn(w_shape, 4));
    EXPECT_GRADCHECK(weight_grad, dg::test::randn(in_shape, 5), dg::test::randn(out_shape, 6));
    EXPECT_GRADGRADCHECK(input_grad, dg::test::randn(out_shape, 7), dg::test::randn(w_shape, 8));
    EXPECT_GRADGRADCHECK(weight_grad, dg::test::randn(in_shape, 9), dg::test::randn(out_shape, 10));
}

TEST(Conv, BackwardGivesTheGradientOps) {
    // The gradients backward accumulates are exactly the two ops and the bias sum.
    const Conv2dOptions opt{2, 1};
    const Tensord x = dg::test::randn({2, 3, 6, 5}, 1), w = dg::test::randn({4, 3, 3, 3}, 2), b = dg::test::randn({4}, 3);
    const Tensord y = conv2d(x, w, b, opt);
    const Tensord R = dg::test::randn(y.shape(), 4, false);
    sum(mul(y, R)).backward();
    EXPECT_TRUE(all_close(x.grad(), conv2d_input_grad(R, w, x.shape(), opt)));
    EXPECT_TRUE(all_close(w.grad(), conv2d_weight_grad(x, R, w.shape(), opt)));
    Array<double> gb = xt::sum(R.value(), {0, 2, 3});
    EXPECT_TRUE(all_close(b.grad().value(), gb, 1e-12, 1e-12));
}

TEST(Conv, Errors) {
    const Tensord x = dg::test::randn({8, 4, 32, 32}, 1, false), w = dg::test::randn({6, 3, 5, 5}, 2, false);
    EXPECT_THROW_MSG(conv2d(x, w), ShapeError, "conv2d: expected input [N, C, H, W] with C = 3",
                     "got [8, 4, 32, 32]");
    EXPECT_THROW_MSG(conv2d(dg::test::randn({4, 32, 32}, 1, false), w), ShapeError, "conv2d", "[N, C, H, W]",
                     "got [4, 32, 32]");
    EXPECT_THROW_MSG(conv2d(x, dg::test::randn({6, 4, 5}, 2, false)), ShapeError, "conv2d",
                     "weight [C_out, C_in/groups, kH, kW]", "got [6, 4, 5]");
    EXPECT_THROW_MSG(conv2d(x, dg::test::randn({6, 2, 3, 3}, 2, false), Conv2dOptions{1, 0, 1, 4}), ShapeError,
                     "conv2d", "C_out = 6", "groups = 4");
    EXPECT_THROW_MSG(conv2d(x, dg::test::randn({6, 4, 3, 3}, 2, false), Conv2dOptions{0}), ValueError, "conv2d",
                     "stride", "at least 1");
    EXPECT_THROW_MSG(conv2d(x, dg::test::randn({6, 4, 3, 3}, 2, false), Conv2dOptions{1, 0, {1, 0}}), ValueError,
                     "conv2d", "dilation");
    EXPECT_THROW_MSG(conv2d(dg::test::randn({1, 4, 4, 4}, 1, false), dg::test::randn({6, 4, 3, 3}, 2, false),
                            Conv2dOptions{1, 0, 2}),
                     ShapeError, "conv2d", "smaller than the dilated kernel (5 x 5)");
    EXPECT_THROW_MSG(conv2d(x, dg::test::randn({6, 4, 3, 3}, 2, false), dg::test::randn({5}, 3, false)), ShapeError,
                     "conv2d", "bias [6]", "got [5]");
    const Tensord w4 = dg::test::randn({6, 4, 3, 3}, 2, false);
    EXPECT_THROW_MSG(conv2d_input_grad(dg::test::randn({8, 6, 29, 30}, 3, false), w4, x.shape()), ShapeError,
                     "conv2d_input_grad", "expected gradient [8, 6, 30, 30]", "got [8, 6, 29, 30]");
    EXPECT_THROW_MSG(conv2d_weight_grad(x, dg::test::randn({8, 5, 30, 30}, 3, false), w4.shape()), ShapeError,
                     "conv2d_weight_grad", "expected gradient [8, 6, 30, 30]");
}
