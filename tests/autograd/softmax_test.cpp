// The softmax family: softmax and log_softmax over each axis (values, stability, gradcheck, gradgradcheck)
// and the fused softmax cross-entropy (value by hand, agreement with the unfused formula, gradients).
#include <cmath>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

TEST(Softmax, ValuesByHand) {
    const Tensord x({{0.0, std::log(3.0)}, {1.0, 1.0}});
    EXPECT_TRUE(all_close(softmax(x), {2, 2}, {0.25, 0.75, 0.5, 0.5}, 1e-15));
    EXPECT_TRUE(all_close(softmax(x, 0), {2, 2}, {1 / (1 + M_E), 3 / (3 + M_E), M_E / (1 + M_E), M_E / (3 + M_E)},
                         1e-15));
    EXPECT_TRUE(all_close(log_softmax(x), {2, 2}, {std::log(0.25), std::log(0.75), std::log(0.5), std::log(0.5)}, 1e-15));
}

TEST(Softmax, EachAxisSumsToOneAndMatchesLogSoftmax) {
    const Tensord x = dg::test::randn({2, 3, 4}, 1);
    for (int axis = -3; axis < 3; ++axis) {
        SCOPED_TRACE("axis " + std::to_string(axis));
        const Tensord s = softmax(x, axis);
        const Array<double> total = xt::sum(s.value(), {static_cast<std::size_t>(axis < 0 ? axis + 3 : axis)});
        EXPECT_TRUE(all_close(total, Array<double>(xt::ones<double>(total.shape())), 1e-15));
        EXPECT_TRUE(all_close(Array<double>(xt::log(s.value())), log_softmax(x, axis).value(), 1e-14));
        // Against the textbook formula exp(x) / Σ exp(x) (no overflow at these magnitudes).
        const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
        const Array<double> e = xt::exp(x.value());
        // xtensor 0.24's lazy keep_dims reducer broadcasts wrongly (e / sum(e, keep_dims) gives inf): evaluate it.
        const Array<double> den = xt::sum(e, {a}, xt::keep_dims | immediate);
        const Array<double> naive = e / den;
        EXPECT_TRUE(all_close(s.value(), naive, 1e-15, 1e-13));
    }
}

TEST(Softmax, StableForHugeLogits) {
    const Tensord x({{1000.0, 1000.0 + std::log(3.0)}, {-1000.0, -1000.0}});
    EXPECT_TRUE(all_close(softmax(x), {2, 2}, {0.25, 0.75, 0.5, 0.5}, 1e-12));
    EXPECT_TRUE(all_close(log_softmax(x), {2, 2}, {std::log(0.25), std::log(0.75), std::log(0.5), std::log(0.5)}, 1e-12));
    EXPECT_NEAR(softmax_cross_entropy(x, {1, 0}).item(), -(std::log(0.75) + std::log(0.5)) / 2, 1e-12);
}

TEST(Softmax, GradcheckAndGradgradcheckEachAxis) {
    for (int axis = -3; axis < 3; ++axis) {
        SCOPED_TRACE("axis " + std::to_string(axis));
        const Fn sm = [axis](const std::vector<Tensord>& x) { return softmax(x[0], axis); };
        const Fn lsm = [axis](const std::vector<Tensord>& x) { return log_softmax(x[0], axis); };
        EXPECT_GRADCHECK(sm, dg::test::randn({2, 3, 4}, 2));
        EXPECT_GRADCHECK(lsm, dg::test::randn({2, 3, 4}, 3));
        EXPECT_GRADGRADCHECK(sm, dg::test::randn({2, 3, 4}, 4));
        EXPECT_GRADGRADCHECK(lsm, dg::test::randn({2, 3, 4}, 5));
    }
    // 1-d and 2-d defaults (axis = -1)
    EXPECT_GRADCHECK([](const std::vector<Tensord>& x) { return softmax(x[0]); }, dg::test::randn({5}, 6));
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& x) { return log_softmax(x[0]); }, dg::test::randn({3, 5}, 7));
}

TEST(Softmax, SoftmaxGradientByHand) {
    // Row [0, log 3] -> y = [1/4, 3/4]; with g = [1, 0]: gx = y*(g - Σ g*y) = [1/4*(3/4), 3/4*(-1/4)]
    Tensord x({{0.0, std::log(3.0)}}, true);
    softmax(x).backward(Tensord({{1.0, 0.0}}));
    EXPECT_TRUE(all_close(x.grad(), {1, 2}, {3.0 / 16, -3.0 / 16}, 1e-15));
}

TEST(SoftmaxCrossEntropy, ValueByHandAndUnfusedAgreement) {
    const Tensord logits({{0.0, std::log(3.0), 0.0}, {2.0, 2.0, 2.0}});
    EXPECT_NEAR(softmax_cross_entropy(logits, {1, 2}).item(), -(std::log(0.6) + std::log(1.0 / 3)) / 2, 1e-15);
    const Tensord z = dg::test::randn({6, 4}, 8);
    const std::vector<std::size_t> target = {0, 3, 3, 1, 2, 0};
    const Tensord unfused = neg(mean(gather_rows(log_softmax(z, 1), target)));
    EXPECT_NEAR(softmax_cross_entropy(z, target).item(), unfused.item(), 1e-14);
}

TEST(SoftmaxCrossEntropy, GradientByHand) {
    // glogits = (softmax - onehot) / batch
    Tensord logits({{0.0, std::log(3.0)}, {1.0, 1.0}}, true);
    softmax_cross_entropy(logits, {0, 1}).backward();
    EXPECT_TRUE(all_close(logits.grad(), {2, 2}, {(0.25 - 1) / 2, 0.75 / 2, 0.5 / 2, (0.5 - 1) / 2}, 1e-15));
}

TEST(SoftmaxCrossEntropy, GradcheckAndGradgradcheck) {
    const std::vector<std::size_t> target = {2, 0, 1, 2, 2};
    const Fn f = [target](const std::vector<Tensord>& x) { return softmax_cross_entropy(x[0], target); };
    EXPECT_GRADCHECK(f, dg::test::randn({5, 3}, 9));
    EXPECT_GRADGRADCHECK(f, dg::test::randn({5, 3}, 10));
    // Through a linear layer, as in training.
    const Fn g = [target](const std::vector<Tensord>& x) {
        return softmax_cross_entropy(linear(x[0], x[1], x[2]), target);
    };
    EXPECT_GRADCHECK(g, dg::test::randn({5, 4}, 11), dg::test::randn({3, 4}, 12), dg::test::randn({3}, 13));
    EXPECT_GRADGRADCHECK(g, dg::test::randn({5, 4}, 14), dg::test::randn({3, 4}, 15), dg::test::randn({3}, 16));
}

TEST(SoftmaxCrossEntropy, UpstreamGradientScales) {
    // d(3·CE)/dlogits = 3·(softmax - onehot)/batch: the upstream gradient is not assumed to be 1.
    Tensord logits = dg::test::randn({4, 3}, 17);
    const std::vector<std::size_t> t = {0, 1, 2, 1};
    (softmax_cross_entropy(logits, t) * 3.0).backward();
    const Array<double> expected_once = [&] {
        Tensord l2 = logits.detach().set_requires_grad();
        softmax_cross_entropy(l2, t).backward();
        return Array<double>(l2.grad().value());
    }();
    EXPECT_TRUE(all_close(logits.grad().value(), Array<double>(3.0 * expected_once), 1e-15));
}

TEST(SoftmaxCrossEntropy, SavedProbabilitiesAgreeWithTheDifferentiablePath) {
    // A plain backward reads the probabilities the forward pass saved; with create_graph the gradient is built as
    // a graph, (softmax(logits) - onehot) * g / batch. Both must give the same numbers, for g ≠ 1 too.
    Tensord logits = dg::test::randn({6, 5}, 18);
    logits.set_requires_grad();
    const std::vector<std::size_t> t = {4, 0, 2, 2, 1, 3};
    const Tensord loss = softmax_cross_entropy(logits, t) * 2.5;
    const Tensord plain = grad<double>({loss}, {logits}, {}, /*retain_graph=*/true, /*create_graph=*/false, false)[0];
    const Tensord graphed = grad<double>({loss}, {logits}, {}, true, /*create_graph=*/true, false)[0];
    EXPECT_FALSE(plain.requires_grad());
    EXPECT_TRUE(graphed.requires_grad());
    EXPECT_TRUE(all_close(plain.value(), graphed.value(), 1e-15, 1e-15));
}
