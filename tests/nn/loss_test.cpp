// Losses: each value against a hand computation, each gradchecked in double, every reduction, stability at
// extreme logits, the L2 penalty's value and gradient, and errors naming the loss and the shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.hpp"
#include "nn/nn.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn {
namespace {

using test::all_close;
using Fn = std::function<Tensor<double>(const std::vector<Tensor<double>>&)>;
constexpr Reduction kReductions[] = {Reduction::none, Reduction::mean, Reduction::sum};

// ---- MSE --------------------------------------------------------------------------------------------------

TEST(Mse, BothConventionsMatchHandValues) {
    const Tensor<double> yhat({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, true);
    const Tensor<double> y({{0.0, 2.0, 5.0}, {4.0, 4.0, 4.0}});
    // d = [[1, 0, −2], [0, 1, 2]], Σd² = 10, m = 2 rows of n = 3.
    const Tensor<double> half = mse_half(yhat, y);
    EXPECT_DOUBLE_EQ(half.item(), 10.0 / (2 * 2));  // (1/m) Σ ½‖ŷ − y‖²
    half.backward();
    EXPECT_TRUE(all_close(yhat.grad(), {2, 3}, {0.5, 0, -1, 0, 0.5, 1}));  // (ŷ − y)/m
    EXPECT_DOUBLE_EQ(mse(yhat, y).item(), 10.0 / 6);
    EXPECT_DOUBLE_EQ(mse(yhat, y, Reduction::sum).item(), 10.0);
    EXPECT_TRUE(all_close(mse(yhat, y, Reduction::none), {2, 3}, {1, 0, 4, 0, 1, 4}));
}

TEST(Mse, Gradchecks) {
    const Tensor<double> y = test::randn({4, 3}, 2, false);
    EXPECT_GRADCHECK(Fn([&y](const auto& in) { return mse_half(in[0], y); }), test::randn({4, 3}, 1));
    for (Reduction r : kReductions)
        EXPECT_GRADCHECK(Fn([&y, r](const auto& in) { return mse(in[0], y, r); }), test::randn({4, 3}, 1));
    // The gradient with respect to the target too.
    EXPECT_GRADCHECK(Fn([](const auto& in) { return mse_half(in[0], in[1]); }), test::randn({4, 3}, 1),
                     test::randn({4, 3}, 3));
}

TEST(Mse, ShapesMustMatchExactly) {
    const Tensor<double> a = Tensor<double>::zeros({3, 1}), b = Tensor<double>::zeros({3});
    EXPECT_THROW_MSG(mse(a, b), ShapeError, "mse: input has shape [3, 1] but target has [3]");
    EXPECT_THROW_MSG(mse_half(a, b), ShapeError, "mse_half", "[3, 1]", "[3]");
    EXPECT_THROW_MSG(mse(Tensor<double>::zeros({0, 2}), Tensor<double>::zeros({0, 2})), ValueError, "mse", "empty");
}

// ---- cross-entropy and NLL --------------------------------------------------------------------------------

// logits [[1, 2, 3], [1, 1, 1]], targets {2, 0}: −log softmax = [log(1 + e^−1 + e^−2), log 3].
const double ce0 = std::log(1 + std::exp(-1.0) + std::exp(-2.0));
const double ce1 = std::log(3.0);

TEST(CrossEntropy, ClassIndexTargetsMatchHandValues) {
    const Tensor<double> logits({{1.0, 2.0, 3.0}, {1.0, 1.0, 1.0}}, true);
    const std::vector<std::size_t> t{2, 0};
    const Tensor<double> loss = cross_entropy(logits, t);
    EXPECT_NEAR(loss.item(), (ce0 + ce1) / 2, 1e-15);
    EXPECT_NEAR(cross_entropy(logits, t, Reduction::sum).item(), ce0 + ce1, 1e-15);
    EXPECT_TRUE(all_close(cross_entropy(logits, t, Reduction::none), {2}, {ce0, ce1}, 1e-15));
    loss.backward();
    // (softmax − onehot)/m
    const double s = 1 + std::exp(-1.0) + std::exp(-2.0);
    EXPECT_TRUE(all_close(logits.grad(), {2, 3},
                         {std::exp(-2.0) / s / 2, std::exp(-1.0) / s / 2, (1 / s - 1) / 2, (1. / 3 - 1) / 2, 1. / 6,
                          1. / 6},
                         1e-15));
    // The same targets as a [m] tensor of integral values, and as one-hot probabilities.
    EXPECT_NEAR(cross_entropy(logits, Tensor<double>({2.0, 0.0})).item(), (ce0 + ce1) / 2, 1e-15);
    EXPECT_NEAR(cross_entropy(logits, Tensor<double>({{0.0, 0.0, 1.0}, {1.0, 0.0, 0.0}})).item(), (ce0 + ce1) / 2,
                1e-15);
}

TEST(CrossEntropy, SoftTargets) {
    const Tensor<double> logits({{1.0, 2.0, 3.0}, {1.0, 1.0, 1.0}});
    const Tensor<double> y({{0.2, 0.3, 0.5}, {0.5, 0.5, 0.0}});
    const double l0 = 0.2 * (ce0 + 2) + 0.3 * (ce0 + 1) + 0.5 * ce0;  // −log p_c = ce0 + (3 − logit_c)
    const double l1 = ce1;
    EXPECT_NEAR(cross_entropy(logits, y).item(), (l0 + l1) / 2, 1e-14);
    EXPECT_TRUE(all_close(cross_entropy(logits, y, Reduction::none), {2}, {l0, l1}, 1e-14));
}

TEST(CrossEntropy, Gradchecks) {
    const std::vector<std::size_t> t{0, 3, 1, 3, 2};
    const Tensor<double> soft = softmax(test::randn({5, 4}, 8, false), 1);
    for (Reduction r : kReductions) {
        EXPECT_GRADCHECK(Fn([&t, r](const auto& in) { return cross_entropy(in[0], t, r); }), test::randn({5, 4}, 7));
        EXPECT_GRADCHECK(Fn([&soft, r](const auto& in) { return cross_entropy(in[0], soft, r); }),
                         test::randn({5, 4}, 7));
        EXPECT_GRADCHECK(Fn([&t, r](const auto& in) { return nll(in[0], t, r); }), test::randn({5, 4}, 7));
    }
}

TEST(CrossEntropy, StableForLogitsOfPlusMinusAThousand) {
    const Tensor<double> logits({{1000.0, -1000.0, 0.0}, {-1000.0, 1000.0, 1000.0}}, true);
    const std::vector<std::size_t> t{1, 0};
    const Tensor<double> loss = cross_entropy(logits, t, Reduction::none);
    // Row 0: logsumexp = 1000, target −1000 → 2000. Row 1: logsumexp = 1000 + log 2, target −1000.
    EXPECT_TRUE(all_close(loss, {2}, {2000, 2000 + std::log(2.0)}, 1e-12));
    EXPECT_DOUBLE_EQ(cross_entropy(logits, std::vector<std::size_t>{0, 1}, Reduction::none).at(0), 0.0);
    sum(loss).backward();
    EXPECT_TRUE(all_close(logits.grad(), {2, 3}, {1, -1, 0, -1, 0.5, 0.5}, 1e-15));
    // Probability targets and float logits stay finite as well.
    const Tensor<double> onehot({{0.0, 1.0, 0.0}, {1.0, 0.0, 0.0}});
    EXPECT_NEAR(cross_entropy(logits.detach(), onehot).item(), (4000 + std::log(2.0)) / 2, 1e-9);
    const Tensor<float> lf({{1000.0f, -1000.0f, 0.0f}}, true);
    const Tensor<float> lossf = cross_entropy(lf, std::vector<std::size_t>{1});
    EXPECT_FLOAT_EQ(lossf.item(), 2000.0f);
    lossf.backward();
    for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(std::isfinite(lf.grad().at(i)));
}

TEST(CrossEntropy, ClassTargetErrorsNameTheLossAndShapes) {
    const Tensor<double> logits = Tensor<double>::zeros({2, 3});
    EXPECT_THROW_MSG(cross_entropy(logits, std::vector<std::size_t>{0, 3}), ValueError,
                     "cross_entropy: class index 3 at row 1 is out of range for 3 classes", "[2, 3]");
    EXPECT_THROW_MSG(cross_entropy(logits, Tensor<double>({0.0, 2.5})), ValueError,
                     "cross_entropy: class index 2.5 at row 1 is not a non-negative integer");
    EXPECT_THROW_MSG(cross_entropy(logits, Tensor<double>({-1.0, 0.0})), ValueError, "cross_entropy", "-1");
    EXPECT_THROW_MSG(cross_entropy(logits, Tensor<double>({0.0, 3.0})), ValueError, "class index 3");
    EXPECT_THROW_MSG(cross_entropy(logits, std::vector<std::size_t>{0}), ShapeError, "cross_entropy", "[2, 3]",
                     "1 class targets");
    EXPECT_THROW_MSG(cross_entropy(logits, Tensor<double>::zeros({2, 4})), ShapeError, "cross_entropy", "[2, 3]",
                     "[2, 4]");
    EXPECT_THROW_MSG(cross_entropy(Tensor<double>::zeros({3}), std::vector<std::size_t>{0}), ShapeError,
                     "cross_entropy: input has shape [3], expected [batch, classes]");
    EXPECT_THROW_MSG(nll(logits, std::vector<std::size_t>{5, 0}), ValueError, "nll: class index 5");
    EXPECT_THROW_MSG(nll(logits, Tensor<double>({0.5, 0.0})), ValueError, "nll", "not a non-negative integer");
}

TEST(Nll, PicksTheTargetLogProbability) {
    const Tensor<double> lp({{-1.0, -2.0}, {-0.5, -3.0}}, true);
    const Tensor<double> loss = nll(lp, std::vector<std::size_t>{1, 0});
    EXPECT_DOUBLE_EQ(loss.item(), (2 + 0.5) / 2);
    loss.backward();
    EXPECT_TRUE(all_close(lp.grad(), {2, 2}, {0, -0.5, -0.5, 0}));
    EXPECT_DOUBLE_EQ(nll(lp, Tensor<double>({1.0, 0.0}), Reduction::sum).item(), 2.5);
    // nll of log_softmax is cross_entropy.
    const Tensor<double> logits = test::randn({4, 5}, 3, false);
    const std::vector<std::size_t> t{4, 0, 2, 2};
    EXPECT_NEAR(nll(log_softmax(logits, 1), t).item(), cross_entropy(logits, t).item(), 1e-14);
}

// ---- BCE ----------------------------------------------------------------------------------------------------

TEST(Bce, MatchesHandValues) {
    const Tensor<double> p({0.9, 0.2, 0.5}, true);
    const Tensor<double> y({1.0, 0.0, 1.0});
    const Tensor<double> loss = bce(p, y);
    EXPECT_NEAR(loss.item(), -(std::log(0.9) + std::log(0.8) + std::log(0.5)) / 3, 1e-15);
    loss.backward();
    // d/dp = (p − y)/(p(1−p)) / n
    EXPECT_TRUE(all_close(p.grad(), {3}, {-1 / 0.9 / 3, 1 / 0.8 / 3, -1 / 0.5 / 3}, 1e-15));
    EXPECT_TRUE(all_close(bce(p.detach(), y, Reduction::none), {3}, {-std::log(0.9), -std::log(0.8), -std::log(0.5)},
                         1e-15));
    EXPECT_NEAR(bce(p.detach(), y, Reduction::sum).item(), -(std::log(0.9) + std::log(0.8) + std::log(0.5)), 1e-15);
}

TEST(Bce, Gradchecks) {
    const Tensor<double> y = test::uniform({3, 4}, 4, 0, 1, false);
    for (Reduction r : kReductions)
        EXPECT_GRADCHECK(Fn([&y, r](const auto& in) { return bce(in[0], y, r); }), test::uniform({3, 4}, 5, 0.1, 0.9));
}

TEST(Bce, LogsAreFlooredAtTheEdges) {
    const Tensor<double> p({0.0, 1.0, 0.0, 1.0}, true);
    const Tensor<double> y({0.0, 1.0, 1.0, 0.0});
    const Tensor<double> loss = bce(p, y, Reduction::none);
    // Right answers at the edges cost 0; wrong ones cost the floor, 100 in double (PyTorch's −100 clamp).
    EXPECT_TRUE(all_close(loss, {4}, {0, 0, 100, 100}, 1e-12));
    sum(loss).backward();
    for (std::size_t i = 0; i < 4; ++i) EXPECT_TRUE(std::isfinite(p.grad().at(i))) << i;
    const Tensor<float> pf({0.0f, 1.0f});
    const Tensor<float> lossf = bce(pf, Tensor<float>({1.0f, 0.0f}), Reduction::none);
    // In float the floor is the smallest normal float: −log(FLT_MIN) ≈ 87.34.
    EXPECT_NEAR(lossf.at(0), -std::log(static_cast<double>(std::numeric_limits<float>::min())), 1e-3);
    EXPECT_NEAR(lossf.at(1), 87.3365, 1e-3);
}

TEST(Bce, RejectsValuesOutsideTheUnitInterval) {
    EXPECT_THROW_MSG(bce(Tensor<double>({0.5, 1.2}), Tensor<double>({0.0, 1.0})), ValueError,
                     "bce: probability 1.2 at index 1 is outside [0, 1]", "[2]");
    EXPECT_THROW_MSG(bce(Tensor<double>({0.5}), Tensor<double>({2.0})), ValueError, "bce: target 2");
    EXPECT_THROW_MSG(bce(Tensor<double>({0.5}), Tensor<double>({std::nan("")})), ValueError, "bce: target nan");
    EXPECT_THROW_MSG(bce(Tensor<double>({0.5, 0.5}), Tensor<double>({1.0})), ShapeError, "bce", "[2]", "[1]");
}

TEST(BceWithLogits, MatchesHandValuesAndBceOfSigmoid) {
    const Tensor<double> x({2.0, -1.0, 0.0}, true);
    const Tensor<double> y({1.0, 0.0, 1.0});
    const Tensor<double> loss = bce_with_logits(x, y);
    // softplus(x) − x·y: log1p(e^−2), log1p(e^−1), log 2
    EXPECT_NEAR(loss.item(), (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + std::log(2.0)) / 3, 1e-15);
    EXPECT_NEAR(loss.item(), bce(sigmoid(x.detach()), y).item(), 1e-15);
    loss.backward();
    // (σ(x) − y)/n, exact at x = 0 as well
    const auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    EXPECT_TRUE(all_close(x.grad(), {3}, {(sig(2) - 1) / 3, sig(-1) / 3, (0.5 - 1) / 3}, 1e-15));
}

TEST(BceWithLogits, Gradchecks) {
    const Tensor<double> y = test::uniform({3, 4}, 6, 0, 1, false);
    for (Reduction r : kReductions)
        EXPECT_GRADCHECK(Fn([&y, r](const auto& in) { return bce_with_logits(in[0], y, r); }), test::randn({3, 4}, 7));
}

TEST(BceWithLogits, StableForLogitsOfPlusMinusAHundred) {
    const Tensor<double> x({100.0, -100.0, 100.0, -100.0}, true);
    const Tensor<double> y({0.0, 1.0, 1.0, 0.0});
    const Tensor<double> loss = bce_with_logits(x, y, Reduction::none);
    EXPECT_TRUE(all_close(loss, {4}, {100, 100, std::exp(-100.0), std::exp(-100.0)}, 1e-13, 1e-12));
    sum(loss).backward();
    EXPECT_TRUE(all_close(x.grad(), {4}, {1, -1, 0, 0}, 1e-40));
    const Tensor<float> xf({100.0f, -100.0f});
    const Tensor<float> lf = bce_with_logits(xf, Tensor<float>({0.0f, 1.0f}), Reduction::none);
    EXPECT_FLOAT_EQ(lf.at(0), 100.0f);
    EXPECT_FLOAT_EQ(lf.at(1), 100.0f);
}

// ---- Huber --------------------------------------------------------------------------------------------------

TEST(Huber, QuadraticInsideLinearOutside) {
    const Tensor<double> yhat({0.5, -2.0, 3.0}, true);
    const Tensor<double> y = Tensor<double>::zeros({3});
    // δ = 1: ½·0.25, 1·(2 − ½), 1·(3 − ½)
    EXPECT_TRUE(all_close(huber(yhat, y, 1.0, Reduction::none), {3}, {0.125, 1.5, 2.5}));
    const Tensor<double> loss = huber(yhat, y, 1.0);
    EXPECT_DOUBLE_EQ(loss.item(), 4.125 / 3);
    loss.backward();
    EXPECT_TRUE(all_close(yhat.grad(), {3}, {0.5 / 3, -1. / 3, 1. / 3}));
    // δ = 2: |−2| sits on the boundary (½·4 = 2 either way); 3 → 2·(3 − 1) = 4.
    EXPECT_DOUBLE_EQ(huber(yhat.detach(), y, 2.0, Reduction::sum).item(), 0.125 + 2 + 4);
    EXPECT_THROW_MSG(huber(yhat, y, 0.0), ValueError, "huber: delta must be positive", "0");
}

TEST(Huber, Gradchecks) {
    const Tensor<double> y = Tensor<double>::zeros({3, 4});
    // away_from_zero keeps |d| in [0.1, 2]; δ = 0.7 is a kink it can straddle only by chance: move it off.
    const Tensor<double> x = test::away_from_zero({3, 4}, 9);
    for (double v : x.value()) ASSERT_GT(std::abs(std::abs(v) - 0.7), 1e-3);
    for (Reduction r : kReductions)
        EXPECT_GRADCHECK(Fn([&y, r](const auto& in) { return huber(in[0], y, 0.7, r); }), x);
}

// ---- L2 -----------------------------------------------------------------------------------------------------

TEST(L2Penalty, ValueAndGradientAreLambdaOverTwoM) {
    const Tensor<double> w1({{1.0, 2.0}, {3.0, 4.0}}, true);  // ‖W1‖² = 30
    const Tensor<double> w2({{0.5, -1.0}}, true);              // ‖W2‖² = 1.25
    const Tensor<double> penalty = l2_penalty<double>({w1, w2}, 0.1, 4);
    EXPECT_DOUBLE_EQ(penalty.item(), 0.1 / (2 * 4) * 31.25);
    penalty.backward();
    EXPECT_TRUE(all_close(w1.grad(), {2, 2}, {0.025, 0.05, 0.075, 0.1}));  // (λ/m)·W
    EXPECT_TRUE(all_close(w2.grad(), {1, 2}, {0.0125, -0.025}));
    EXPECT_GRADCHECK(Fn([](const auto& in) { return l2_penalty<double>({in[0], in[1]}, 0.3, 5); }),
                     test::randn({3, 2}, 1), test::randn({2, 3}, 2));
    EXPECT_DOUBLE_EQ(l2_penalty(std::vector<Tensor<double>>{}, 0.1, 4).item(), 0.0);
    EXPECT_THROW_MSG(l2_penalty<double>({w1}, -1, 4), ValueError, "l2_penalty: lambda", "-1");
    EXPECT_THROW_MSG(l2_penalty<double>({w1}, 0.1, 0), ValueError, "l2_penalty", "batch size");
}

TEST(L2Penalty, OverAModuleCountsWeightsNotBiases) {
    Generator gen(1);
    MlpOptions options;
    options.linear.bias_init = Init::constant(100.0);  // biases that would dominate if they were counted
    Mlp<double> mlp("3-4-2:tanh", gen, options);
    const Array<double>& w1 = mlp.layers()[0].weight().value();
    const Array<double>& w2 = mlp.layers()[1].weight().value();
    const double squares = xt::sum(w1 * w1)() + xt::sum(w2 * w2)();
    const Tensor<double> penalty = l2_penalty(mlp, 0.5, 8);
    EXPECT_NEAR(penalty.item(), 0.5 / 16 * squares, 1e-15);
    penalty.backward();
    EXPECT_TRUE(all_close(mlp.layers()[1].weight().grad().value(), Array<double>(w2 * (0.5 / 8)), 1e-16));
    EXPECT_FALSE(mlp.layers()[0].bias().has_grad());
    EXPECT_FALSE(mlp.layers()[1].bias().has_grad());
}

}  // namespace
}  // namespace dg::nn
