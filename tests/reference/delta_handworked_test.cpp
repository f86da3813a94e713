// Tiny networks whose deltas are worked out by hand in the test from the notes' formulas (or are exact numbers),
// pinning the conventions: 1/m and 1/(m·n) factors, W as [n_out, n_in], the L2 term, stable softmax / bce.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>

#include "nn/reference/delta_backprop.hpp"
#include "reference/reference_test_util.hpp"

namespace dg::reference {
namespace {

using test::sigma;

using test::mat;
using test::vec;

LayerParams<double> layer(Array<double> W, Array<double> b, ActivationKind f) { return {std::move(W), std::move(b), f, {}}; }

// x → z1 = w1 x + b1 → a1 = σ(z1) → z2 = w2 a1 + b2 → a2 = σ(z2), loss ½(a2 − y)².
TEST(DeltaHandworked, OneOneOneSigmoidNetFollowsTheNotes) {
    const double x = 0.5, w1 = 0.3, b1 = -0.1, w2 = -0.8, b2 = 0.2, y = 1.0;
    MlpParams<double> net{{layer(mat({{w1}}), vec({b1}), ActivationKind::sigmoid), layer(mat({{w2}}), vec({b2}), ActivationKind::sigmoid)}};
    const BackpropResult<double> r = delta_backprop<double>(net, mat({{x}}), mat({{y}}), Loss::mse_half);

    const double z1 = w1 * x + b1, a1 = sigma(z1), z2 = w2 * a1 + b2, a2 = sigma(z2);
    const double delta2 = (a2 - y) * a2 * (1 - a2);    // δ(2) = ∂l/∂a ⊙ σ'(z2), σ' = σ(1 − σ)
    const double delta1 = w2 * delta2 * a1 * (1 - a1);  // δ(1) = W(2)^T δ(2) ⊙ σ'(z1)
    EXPECT_NEAR(r.loss, 0.5 * (a2 - y) * (a2 - y), 1e-15);
    EXPECT_NEAR(r.layers[0].z(0, 0), z1, 1e-15);
    EXPECT_NEAR(r.layers[1].a(0, 0), a2, 1e-15);
    EXPECT_NEAR(r.layers[1].delta(0, 0), delta2, 1e-15);
    EXPECT_NEAR(r.layers[0].delta(0, 0), delta1, 1e-15);
    EXPECT_NEAR(r.layers[1].dW(0, 0), delta2 * a1, 1e-15);  // ΔW(2) = δ(2) a(1)^T
    EXPECT_NEAR(r.layers[1].db(0), delta2, 1e-15);
    EXPECT_NEAR(r.layers[0].dW(0, 0), delta1 * x, 1e-15);  // ΔW(1) = δ(1) x^T
    EXPECT_NEAR(r.layers[0].db(0), delta1, 1e-15);
    // The same numbers as literals (computed independently in Python), so a shared mistake cannot hide.
    EXPECT_NEAR(r.loss, 0.15252172904831282, 1e-14);
    EXPECT_NEAR(r.layers[1].delta(0, 0), -0.13656570052467634, 1e-14);
    EXPECT_NEAR(r.layers[0].delta(0, 0), 0.02729607650264829, 1e-14);
    EXPECT_NEAR(r.layers[1].dW(0, 0), -0.06998956596793898, 1e-14);
    EXPECT_NEAR(r.layers[0].dW(0, 0), 0.013648038251324145, 1e-14);
    EXPECT_EQ(&r.a(0), &r.input);
    EXPECT_DOUBLE_EQ(r.a(0)(0, 0), x);
}

// One identity layer W = [1, 2], b = 0.5 on the batch X = I₂ (two samples as rows): ŷ = [1.5, 2.5], y = [0, 1].
TEST(DeltaHandworked, BatchFactorsOfBothMeanSquaredErrors) {
    MlpParams<double> net{{layer(mat({{1.0, 2.0}}), vec({0.5}), ActivationKind::identity)}};
    const Array<double> X = mat({{1.0, 0.0}, {0.0, 1.0}}), Y = mat({{0.0}, {1.0}});

    // mse: mean of (ŷ − y)² over m·n = 2 elements = (1.5² + 1.5²)/2; δ = 2(ŷ − y)/(m·n) = 1.5.
    const BackpropResult<double> mse = delta_backprop(net, X, Y, Loss::mse);
    EXPECT_DOUBLE_EQ(mse.loss, 2.25);
    EXPECT_DOUBLE_EQ(mse.layers[0].delta(0, 0), 1.5);
    EXPECT_DOUBLE_EQ(mse.layers[0].delta(1, 0), 1.5);
    EXPECT_DOUBLE_EQ(mse.layers[0].dW(0, 0), 1.5);  // δ^T X = [1.5, 1.5]
    EXPECT_DOUBLE_EQ(mse.layers[0].dW(0, 1), 1.5);
    EXPECT_DOUBLE_EQ(mse.layers[0].db(0), 3.0);  // Σ over the batch

    // mse_half: (1/m) Σ ½‖ŷ − y‖² = (½·2.25 + ½·2.25)/2; δ = (ŷ − y)/m = 0.75.
    const BackpropResult<double> half = delta_backprop(net, X, Y, Loss::mse_half);
    EXPECT_DOUBLE_EQ(half.loss, 1.125);
    EXPECT_DOUBLE_EQ(half.layers[0].delta(0, 0), 0.75);
    EXPECT_DOUBLE_EQ(half.layers[0].dW(0, 1), 0.75);
    EXPECT_DOUBLE_EQ(half.layers[0].db(0), 1.5);
}

// z = [0, ln 2, 0] gives softmax = [¼, ½, ¼]; with y = e₂: loss = ln 2, δ = [¼, −½, ¼], ΔW = δ^T x.
TEST(DeltaHandworked, SoftmaxCrossEntropy) {
    MlpParams<double> net{{layer(xt::zeros<double>({3, 2}), vec({0.0, std::log(2.0), 0.0}), ActivationKind::identity)}};
    const BackpropResult<double> r = delta_backprop<double>(net, mat({{1.0, 2.0}}), mat({{0.0, 1.0, 0.0}}), Loss::softmax_ce);
    EXPECT_NEAR(r.loss, std::log(2.0), 1e-15);
    EXPECT_NEAR(r.layers[0].a(0, 1), 0.5, 1e-15);
    const double delta[] = {0.25, -0.5, 0.25};
    for (std::size_t j = 0; j < 3; ++j) {
        EXPECT_NEAR(r.layers[0].delta(0, j), delta[j], 1e-15);
        EXPECT_NEAR(r.layers[0].dW(j, 0), delta[j] * 1.0, 1e-15);
        EXPECT_NEAR(r.layers[0].dW(j, 1), delta[j] * 2.0, 1e-15);
        EXPECT_NEAR(r.layers[0].db(j), delta[j], 1e-15);
    }
}

// z = 0 for both samples, p = ½, y = [1, 0]: loss = ln 2, δ = (p − y)/(m·n) = [−¼, ¼].
TEST(DeltaHandworked, BinaryCrossEntropy) {
    MlpParams<double> net{{layer(mat({{0.0}}), vec({0.0}), ActivationKind::sigmoid)}};
    const BackpropResult<double> r = delta_backprop<double>(net, mat({{3.0}, {-1.0}}), mat({{1.0}, {0.0}}), Loss::bce);
    EXPECT_NEAR(r.loss, std::log(2.0), 1e-15);
    EXPECT_DOUBLE_EQ(r.layers[0].delta(0, 0), -0.25);
    EXPECT_DOUBLE_EQ(r.layers[0].delta(1, 0), 0.25);
    EXPECT_DOUBLE_EQ(r.layers[0].dW(0, 0), -0.25 * 3.0 + 0.25 * -1.0);
    EXPECT_DOUBLE_EQ(r.layers[0].db(0), 0.0);
}

// 1-2-1 with a relu hidden layer: one hidden unit active, one not, so only the active one gets a gradient.
TEST(DeltaHandworked, ReluBlocksTheInactiveUnit) {
    MlpParams<double> net{{layer(mat({{1.0}, {-1.0}}), vec({0.0, 0.0}), ActivationKind::relu),
                           layer(mat({{2.0, 3.0}}), vec({0.0}), ActivationKind::identity)}};
    const BackpropResult<double> r = delta_backprop<double>(net, mat({{2.0}}), mat({{1.0}}), Loss::mse_half);
    // z1 = [2, −2], a1 = [2, 0], ŷ = 4, δ(2) = 3, δ(1) = [2·3·1, 3·3·0] = [6, 0], ΔW(1) = δ(1)^T x = [12, 0].
    EXPECT_DOUBLE_EQ(r.loss, 4.5);
    EXPECT_DOUBLE_EQ(r.layers[1].delta(0, 0), 3.0);
    EXPECT_DOUBLE_EQ(r.layers[1].dW(0, 0), 6.0);
    EXPECT_DOUBLE_EQ(r.layers[1].dW(0, 1), 0.0);
    EXPECT_DOUBLE_EQ(r.layers[0].delta(0, 0), 6.0);
    EXPECT_DOUBLE_EQ(r.layers[0].delta(0, 1), 0.0);
    EXPECT_DOUBLE_EQ(r.layers[0].dW(0, 0), 12.0);
    EXPECT_DOUBLE_EQ(r.layers[0].dW(1, 0), 0.0);
}

// The L2 penalty λ/(2m) Σ‖W‖² adds (λ/m) W to ΔW only: biases and deltas are untouched.
TEST(DeltaHandworked, L2PenaltyOnWeightsOnly) {
    MlpParams<double> net{{layer(mat({{0.5, -1.0}, {2.0, 0.25}}), vec({0.1, -0.2}), ActivationKind::tanh),
                           layer(mat({{1.5, -0.5}}), vec({0.3}), ActivationKind::identity)}};
    const Array<double> X = mat({{0.2, -0.4}, {1.0, 0.5}, {-0.3, 0.8}}), Y = mat({{0.1}, {-0.2}, {0.4}});
    const double lambda = 0.6, m = 3;
    const BackpropResult<double> plain = delta_backprop(net, X, Y, Loss::mse_half, 0.0);
    const BackpropResult<double> l2 = delta_backprop(net, X, Y, Loss::mse_half, lambda);
    const double norm2 = 0.25 + 1.0 + 4.0 + 0.0625 + 2.25 + 0.25;
    EXPECT_NEAR(l2.penalty, lambda / (2 * m) * norm2, 1e-15);
    EXPECT_NEAR(l2.loss - plain.loss, lambda / (2 * m) * norm2, 1e-15);
    EXPECT_DOUBLE_EQ(plain.penalty, 0.0);
    for (std::size_t l = 0; l < 2; ++l) {
        const Array<double> extra = l2.layers[l].dW - plain.layers[l].dW;
        for (std::size_t k = 0; k < extra.size(); ++k) {
            EXPECT_NEAR(extra.data()[k], lambda / m * net.layers[l].W.data()[k], 1e-15);
        }
        EXPECT_EQ(l2.layers[l].db, plain.layers[l].db);
        EXPECT_EQ(l2.layers[l].delta, plain.layers[l].delta);
    }
}

// Large logits: the log-sum-exp / log1p forms stay finite and exact where a naive formula gives inf or NaN.
TEST(DeltaHandworked, LossesStayFiniteForLargeLogits) {
    MlpParams<double> ce{{layer(xt::zeros<double>({2, 1}), vec({1000.0, 0.0}), ActivationKind::identity)}};
    const BackpropResult<double> r = delta_backprop<double>(ce, mat({{1.0}}), mat({{0.0, 1.0}}), Loss::softmax_ce);
    EXPECT_DOUBLE_EQ(r.loss, 1000.0);  // −log softmax₂ = logsumexp − 0 = 1000 + log(1 + e^{−1000})
    EXPECT_DOUBLE_EQ(r.layers[0].delta(0, 0), 1.0);
    EXPECT_DOUBLE_EQ(r.layers[0].delta(0, 1), -1.0);

    MlpParams<float> bce{{{mat<float>({{0.0f}}), vec<float>({-800.0f}), ActivationKind::identity, {}}}};
    const BackpropResult<float> b = delta_backprop<float>(bce, mat<float>({{1.0f}}), mat<float>({{1.0f}}), Loss::bce);
    EXPECT_FLOAT_EQ(b.loss, 800.0f);  // −log σ(−800) = 800 + log1p(e^{−800})
    EXPECT_FLOAT_EQ(b.layers[0].delta(0, 0), -1.0f);
    EXPECT_FLOAT_EQ(b.layers[0].a(0, 0), 0.0f);

    const Array<float> z = vec<float>({-1000.0f, 1000.0f});
    const Array<float> s = activate(ActivationKind::sigmoid, z, 0.0f);
    EXPECT_EQ(s(0), 0.0f);
    EXPECT_EQ(s(1), 1.0f);
    const Array<float> sp = activate(ActivationKind::softplus, z, 0.0f);
    EXPECT_EQ(sp(0), 0.0f);
    EXPECT_EQ(sp(1), 1000.0f);
}

}  // namespace
}  // namespace dg::reference
