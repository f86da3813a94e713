// Initializers: sample mean and variance on a large draw within tolerances derived from the sample size,
// bounds, reproducibility (same seed, same values; float = rounded double), fans, and argument errors.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/engine.hpp"
#include "nn/nn.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

using test::all_close;

// Asserts mean 0 and variance `var` within 5 standard errors for n draws: the mean's standard error is
// √(var/n); the sample variance's is √((E[x⁴] − var²)/n), with E[x⁴] = 3var² (normal) or 9var²/5 (uniform).
void expect_moments(const Array<double>& w, double var, bool normal) {
    const double n = static_cast<double>(w.size());
    const double fourth = normal ? 3 * var * var : 9 * var * var / 5;
    EXPECT_NEAR(xt::mean(w)(), 0.0, 5 * std::sqrt(var / n));
    EXPECT_NEAR(xt::mean(w * w)(), var, 5 * std::sqrt((fourth - var * var) / n));
}

Tensor<double> param(const Shape& shape) { return Tensor<double>::zeros(shape, /*requires_grad=*/true); }

TEST(Init, NormalHasTheRequestedMeanAndSigma) {
    Generator gen(1);
    Tensor<double> t = init::normal_(param({1000, 500}), gen, 0.0, 0.01);
    expect_moments(t.value(), 1e-4, true);
    Tensor<double> shifted = init::normal_(param({200000}), gen, 3.0, 2.0);
    EXPECT_NEAR(xt::mean(shifted.value())(), 3.0, 5 * 2.0 / std::sqrt(200000.0));
}

TEST(Init, UniformStaysInItsRangeWithVarianceASquaredOverThree) {
    Generator gen(2);
    Tensor<double> t = init::uniform_(param({1000, 500}), gen, -0.01, 0.01);
    EXPECT_GE(xt::amin(t.value())(), -0.01);
    EXPECT_LT(xt::amax(t.value())(), 0.01);
    expect_moments(t.value(), 1e-4 / 3, false);
    // Init::uniform(a) is the notes' rand(−a, a).
    Generator g2(2);
    EXPECT_TRUE(all_close(init::apply_(param({1000, 500}), Init::uniform(0.01), g2), t, 0, 0));
}

TEST(Init, XavierUsesFanInPlusFanOut) {
    Generator gen(3);
    // fan_in 600, fan_out 400: var = 2/(600+400) for both, uniform bound √(6/1000).
    Tensor<double> u = init::xavier_uniform_(param({400, 600}), gen);
    EXPECT_LE(xt::amax(xt::abs(u.value()))(), std::sqrt(6.0 / 1000));
    expect_moments(u.value(), 2.0 / 1000, false);
    Tensor<double> n = init::xavier_normal_(param({400, 600}), gen);
    expect_moments(n.value(), 2.0 / 1000, true);
    Tensor<double> g = init::xavier_normal_(param({400, 600}), gen, 2.0);  // gain² scales the variance
    expect_moments(g.value(), 4 * 2.0 / 1000, true);
}

TEST(Init, KaimingUsesFanInAndGainSqrtTwo) {
    Generator gen(4);
    Tensor<double> u = init::kaiming_uniform_(param({500, 800}), gen);
    EXPECT_LE(xt::amax(xt::abs(u.value()))(), std::sqrt(2.0) * std::sqrt(3.0 / 800));
    expect_moments(u.value(), 2.0 / 800, false);
    Tensor<double> n = init::kaiming_normal_(param({500, 800}), gen);
    expect_moments(n.value(), 2.0 / 800, true);
}

TEST(Init, FansOfHigherRankShapesIncludeTheReceptiveField) {
    EXPECT_EQ(fans({8, 3, 5, 5}, "test"), (std::pair<std::size_t, std::size_t>{75, 200}));
    EXPECT_EQ(fans({10, 20}, "test"), (std::pair<std::size_t, std::size_t>{20, 10}));
    EXPECT_THROW_MSG(fans({10}, "xavier_uniform_"), ValueError, "xavier_uniform_", "at least 2 dimensions", "[10]");
    Generator gen(0);
    EXPECT_THROW_MSG(init::kaiming_normal_(param({10}), gen), ValueError, "kaiming_normal_", "[10]");
}

TEST(Init, ZerosAndConstant) {
    Tensor<double> t = init::constant_(param({3, 2}), 0.5);
    EXPECT_TRUE(all_close(t, {3, 2}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5}));
    init::zeros_(t);  // t is a handle: filled in place
    EXPECT_TRUE(all_close(t, {3, 2}, {0, 0, 0, 0, 0, 0}));
    EXPECT_TRUE(t.requires_grad());  // still a parameter
}

TEST(Init, SameSeedSameValuesAndFloatIsRoundedDouble) {
    Generator a(99), b(99), c(99);
    const Tensor<double> x = init::xavier_normal_(param({30, 20}), a);
    const Tensor<double> y = init::xavier_normal_(param({30, 20}), b);
    const Tensor<float> f = init::xavier_normal_(Tensor<float>::zeros({30, 20}, true), c);
    EXPECT_TRUE(all_close(x, y, 0, 0));
    for (std::size_t i = 0; i < x.numel(); ++i) ASSERT_EQ(f.at(i), static_cast<float>(x.at(i))) << i;
    Generator d(100);
    EXPECT_FALSE(all_close(init::xavier_normal_(param({30, 20}), d), x, 0, 0));
}

TEST(Init, FillsParametersInPlaceWithoutTouchingGradMode) {
    Generator gen(5);
    Tensor<double> p = param({4, 4});
    const auto v0 = p.version();
    init::normal_(p, gen, 0, 1);
    EXPECT_GT(p.version(), v0);  // an in-place change the engine knows about
    EXPECT_TRUE(grad_enabled());
    EXPECT_NE(xt::amax(xt::abs(p.value()))(), 0.0);
}

TEST(Init, BadArgumentsAreValueErrors) {
    Generator gen(6);
    EXPECT_THROW_MSG(init::normal_(param({2}), gen, 0, -1), ValueError, "normal_", "stddev", "-1");
    EXPECT_THROW_MSG(init::uniform_(param({2}), gen, 1, -1), ValueError, "uniform_", "low (1) exceeds high (-1)");
    EXPECT_THROW_MSG(init::normal_(param({2}), gen, std::nan(""), 1), ValueError, "mean must be finite");
    EXPECT_THROW_MSG(init::xavier_uniform_(param({2, 2}), gen, -2), ValueError, "gain");
    EXPECT_THROW_MSG(init::zeros_(Tensor<double>()), ValueError, "undefined");
}

TEST(Init, LayersTakeAnInitChoice) {
    Generator gen(7);
    LinearOptions options;
    options.weight_init = Init::normal(0.01);  // the notes' N(0, σ)
    options.bias_init = Init::constant(0.1);
    Linear<double> fc(500, 400, gen, options);
    expect_moments(fc.weight().value(), 1e-4, true);
    EXPECT_TRUE(all_close(fc.bias().value(), Array<double>(xt::ones<double>({400}) * 0.1), 0, 0));
    // fan_in_uniform on a bias uses the layer's fan_in (PyTorch's bias init).
    options.bias_init = Init::fan_in_uniform();
    Linear<double> fc2(100, 2000, gen, options);
    EXPECT_LE(xt::amax(xt::abs(fc2.bias().value()))(), 0.1);
    EXPECT_GT(xt::amax(xt::abs(fc2.bias().value()))(), 0.099);
    EXPECT_EQ(Init::normal(0.01).str(), "normal(mean=0, σ=0.01)");
}

}  // namespace
}  // namespace dg::nn
