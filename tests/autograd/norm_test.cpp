// batch_norm (training and evaluation, [N, C] and [N, C, H, W], affine or not, running statistics) and layer_norm:
// values against loops, gradcheck and gradgradcheck in double, errors.
#include <cmath>
#include <functional>
#include <vector>

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

/// Per channel c of x [N, C, S...]: the mean and the biased variance over the N·S values.
void channel_moments(const Array<double>& x, std::vector<double>& mean, std::vector<double>& var) {
    const std::size_t n = x.shape()[0], c = x.shape()[1], s = x.size() / (n * c);
    mean.assign(c, 0);
    var.assign(c, 0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < c; ++j)
            for (std::size_t k = 0; k < s; ++k) mean[j] += x.data()[(i * c + j) * s + k] / double(n * s);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < c; ++j)
            for (std::size_t k = 0; k < s; ++k) {
                const double d = x.data()[(i * c + j) * s + k] - mean[j];
                var[j] += d * d / double(n * s);
            }
}

/// (x − mean_c)/√(var_c + eps)·gamma_c + beta_c for each element of x [N, C, S...].
Array<double> normalise(const Array<double>& x, const std::vector<double>& mean, const std::vector<double>& var,
                        const Array<double>& gamma, const Array<double>& beta, double eps) {
    const std::size_t n = x.shape()[0], c = x.shape()[1], s = x.size() / (n * c);
    Array<double> y = Array<double>::from_shape(x.shape());
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < c; ++j)
            for (std::size_t k = 0; k < s; ++k) {
                const std::size_t at = (i * c + j) * s + k;
                y.data()[at] = (x.data()[at] - mean[j]) / std::sqrt(var[j] + eps) * gamma(j) + beta(j);
            }
    return y;
}

}  // namespace

TEST(BatchNorm, TrainingValuesAndRunningStatistics) {
    for (const Shape& shape : {Shape{5, 3}, Shape{4, 3, 2, 5}}) {
        SCOPED_TRACE(shape_str(shape));
        const Tensord x = dg::test::randn(shape, 1, false), gamma = dg::test::randn({3}, 2, false),
                      beta = dg::test::randn({3}, 3, false);
        const Tensord rm = Tensord({0.5, -1.0, 2.0}), rv = Tensord({1.0, 2.0, 0.5});
        const Tensord y = batch_norm(x, gamma, beta, rm, rv, true, 0.2, 1e-3);
        std::vector<double> mean, var;
        channel_moments(x.value(), mean, var);
        EXPECT_TRUE(all_close(y.value(), normalise(x.value(), mean, var, gamma.value(), beta.value(), 1e-3), 1e-12,
                              1e-12));
        // r = 0.8·r + 0.2·stat, the variance unbiased (× M/(M − 1), M values per channel).
        const double m = double(x.numel() / 3), old_m[] = {0.5, -1.0, 2.0}, old_v[] = {1.0, 2.0, 0.5};
        for (std::size_t j = 0; j < 3; ++j) {
            EXPECT_NEAR(rm.value()(j), 0.8 * old_m[j] + 0.2 * mean[j], 1e-14);
            EXPECT_NEAR(rv.value()(j), 0.8 * old_v[j] + 0.2 * var[j] * m / (m - 1), 1e-14);
        }
        // Without affine parameters each channel comes out with mean 0 and variance var/(var + eps).
        const Tensord plain = batch_norm(x, Tensord(), Tensord(), Tensord(), Tensord(), true, 0.1, 1e-3);
        std::vector<double> pm, pv;
        channel_moments(plain.value(), pm, pv);
        for (std::size_t j = 0; j < 3; ++j) {
            EXPECT_NEAR(pm[j], 0.0, 1e-14);
            EXPECT_NEAR(pv[j], var[j] / (var[j] + 1e-3), 1e-13);
        }
    }
}

TEST(BatchNorm, EvaluationUsesTheRunningStatistics) {
    const Tensord x = dg::test::randn({4, 3, 2, 2}, 1, false), gamma = dg::test::randn({3}, 2, false),
                  beta = dg::test::randn({3}, 3, false);
    const Tensord rm = Tensord({0.5, -1.0, 2.0}), rv = Tensord({1.0, 2.0, 0.5});
    const Tensord y = batch_norm(x, gamma, beta, rm, rv, false);
    EXPECT_TRUE(all_close(y.value(), normalise(x.value(), {0.5, -1.0, 2.0}, {1.0, 2.0, 0.5}, gamma.value(),
                                               beta.value(), 1e-5),
                          1e-12, 1e-12));
    EXPECT_TRUE(all_close(rm, {3}, {0.5, -1.0, 2.0}));  // evaluation leaves them alone
    EXPECT_TRUE(all_close(rv, {3}, {1.0, 2.0, 0.5}));
}

TEST(BatchNorm, Gradcheck) {
    const Tensord rm = Tensord({0.1, -0.2, 0.3}), rv = Tensord({1.5, 0.5, 2.0});
    for (const Shape& shape : {Shape{5, 3}, Shape{3, 3, 2, 3}}) {
        SCOPED_TRACE(shape_str(shape));
        for (bool training : {true, false}) {
            SCOPED_TRACE(training);
            // Evaluation reads the running statistics; training updates them on every call, harmlessly here (they
            // are not an input of the check). Copies, so the evaluation runs see the values they started with.
            const Fn affine = [&, training](const std::vector<Tensord>& in) {
                return batch_norm(in[0], in[1], in[2], rm.detach(), rv.detach(), training, 0.1, 1e-3);
            };
            EXPECT_GRADCHECK(affine, dg::test::randn(shape, 1), dg::test::randn({3}, 2), dg::test::randn({3}, 3));
            const Fn plain = [&, training](const std::vector<Tensord>& in) {
                return batch_norm(in[0], Tensord(), Tensord(), rm.detach(), rv.detach(), training, 0.1, 1e-3);
            };
            EXPECT_GRADCHECK(plain, dg::test::randn(shape, 4));
        }
    }
}

TEST(BatchNorm, GradgradcheckInTrainingAndEvaluation) {
    const Tensord rm = Tensord({0.1, -0.2, 0.3}), rv = Tensord({1.5, 0.5, 2.0});
    for (const Shape& shape : {Shape{4, 3}, Shape{2, 3, 2, 2}}) {
        SCOPED_TRACE(shape_str(shape));
        for (bool training : {true, false}) {
            SCOPED_TRACE(training);
            const Fn f = [&, training](const std::vector<Tensord>& in) {
                return batch_norm(in[0], in[1], in[2], rm.detach(), rv.detach(), training, 0.1, 1e-3);
            };
            EXPECT_GRADGRADCHECK(f, dg::test::randn(shape, 5), dg::test::randn({3}, 6), dg::test::randn({3}, 7));
            // Curvature downstream: the second derivative also flows back through the normalisation.
            const Fn g = [&, training](const std::vector<Tensord>& in) {
                return tanh(batch_norm(in[0], Tensord(), Tensord(), Tensord(rm.detach()), Tensord(rv.detach()),
                                       training, 0.1, 1e-3));
            };
            EXPECT_GRADGRADCHECK(g, dg::test::randn(shape, 8));
        }
    }
}

TEST(BatchNorm, Errors) {
    const Tensord x = dg::test::randn({4, 3, 2, 2}, 1, false), c3 = dg::test::randn({3}, 2, false);
    EXPECT_THROW_MSG(batch_norm(dg::test::randn({4}, 1, false), c3, c3, Tensord(), Tensord(), true), ShapeError,
                     "batch_norm", "expected input [N, C] or [N, C, H, W]", "got [4]");
    EXPECT_THROW_MSG(batch_norm(x, dg::test::randn({4}, 2, false), c3, Tensord(), Tensord(), true), ShapeError,
                     "batch_norm", "expected gamma [3]", "got [4]");
    EXPECT_THROW_MSG(batch_norm(x, c3, c3, Tensord(), Tensord(), false), ValueError, "batch_norm",
                     "evaluation mode needs running_mean and running_var");
    EXPECT_THROW_MSG(batch_norm(dg::test::randn({1, 3}, 1, false), c3, c3, Tensord(), Tensord(), true), ValueError,
                     "batch_norm", "more than 1 value per channel", "[1, 3]");
    EXPECT_THROW_MSG(batch_norm(x, c3, c3, c3.detach(), Tensord(), true), ValueError, "batch_norm", "or neither");
    EXPECT_THROW_MSG(batch_norm(x, c3, c3, Tensord(), Tensord(), true, 0.1, -1.0), ValueError, "batch_norm", "eps");
}

TEST(LayerNorm, ValuesByLoop) {
    // Each of the 2·3 slices [4, 5] standardised by its own mean and biased variance, then scaled and shifted.
    const Tensord x = dg::test::randn({2, 3, 4, 5}, 1, false), gamma = dg::test::randn({4, 5}, 2, false),
                  beta = dg::test::randn({4, 5}, 3, false);
    const Tensord y = layer_norm(x, {4, 5}, gamma, beta, 1e-3);
    for (std::size_t r = 0; r < 6; ++r) {
        const double* xs = x.value().data() + r * 20;
        double mean = 0, var = 0;
        for (std::size_t i = 0; i < 20; ++i) mean += xs[i] / 20;
        for (std::size_t i = 0; i < 20; ++i) var += (xs[i] - mean) * (xs[i] - mean) / 20;
        for (std::size_t i = 0; i < 20; ++i)
            EXPECT_NEAR(y.value().data()[r * 20 + i],
                        (xs[i] - mean) / std::sqrt(var + 1e-3) * gamma.value().data()[i] + beta.value().data()[i],
                        1e-12);
    }
}

TEST(LayerNorm, GradcheckAndGradgradcheck) {
    const Fn affine = [](const std::vector<Tensord>& in) { return layer_norm(in[0], {2, 3}, in[1], in[2], 1e-3); };
    EXPECT_GRADCHECK(affine, dg::test::randn({3, 2, 3}, 1), dg::test::randn({2, 3}, 2), dg::test::randn({2, 3}, 3));
    EXPECT_GRADGRADCHECK(affine, dg::test::randn({3, 2, 3}, 4), dg::test::randn({2, 3}, 5), dg::test::randn({2, 3}, 6));
    const Fn plain = [](const std::vector<Tensord>& in) { return tanh(layer_norm(in[0], {4}, {}, {}, 1e-3)); };
    EXPECT_GRADCHECK(plain, dg::test::randn({3, 4}, 7));
    EXPECT_GRADGRADCHECK(plain, dg::test::randn({3, 4}, 8));
}

TEST(LayerNorm, FloatAgreesWithDouble) {
    const Tensord x = dg::test::randn({8, 64}, 1, false);
    const Tensorf xf(Array<float>(xt::cast<float>(x.value())));
    EXPECT_TRUE(all_close(Array<double>(xt::cast<double>(layer_norm(xf, {64}).value())), layer_norm(x, {64}).value(),
                          1e-5, 1e-5));
}

TEST(LayerNorm, Errors) {
    const Tensord x = dg::test::randn({2, 3, 4}, 1, false);
    EXPECT_THROW_MSG(layer_norm(x, {3}), ShapeError, "layer_norm", "normalized_shape [3]", "input [2, 3, 4]");
    EXPECT_THROW_MSG(layer_norm(x, {}), ShapeError, "layer_norm", "normalized_shape []");
    EXPECT_THROW_MSG(layer_norm(x, {4}, dg::test::randn({3}, 2, false)), ShapeError, "layer_norm", "expected gamma [4]",
                     "got [3]");
}
