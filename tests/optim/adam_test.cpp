// Adam and AdamW: two hand-computed steps (textbook form with m̂ = m/(1-β1^t), v̂ = v/(1-β2^t)), L2 vs
// decoupled weight decay, and AMSGrad, in float and double.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {


template <class T>
class AdamTest : public ::testing::Test {};
TYPED_TEST_SUITE(AdamTest, FloatTypes);

struct AdamHyper {
    double lr, b1, b2, eps, wd;
    bool decoupled, amsgrad;
};

/// Two Adam/AdamW steps of one element, written out in the textbook form.
std::pair<double, double> adam_reference(double w, double ga, double gb, const AdamHyper& h) {
    double m = 0, v = 0, vmax = 0;
    double out[2];
    const double grads[2] = {ga, gb};
    for (int t = 1; t <= 2; ++t) {
        double d = grads[t - 1];
        if (h.decoupled) w = w - h.lr * h.wd * w;  // AdamW: decay the weight itself
        else d = d + h.wd * w;                     // Adam: L2 term in the gradient
        m = h.b1 * m + (1 - h.b1) * d;
        v = h.b2 * v + (1 - h.b2) * d * d;
        vmax = std::max(vmax, v);
        const double m_hat = m / (1 - std::pow(h.b1, t));
        const double v_hat = (h.amsgrad ? vmax : v) / (1 - std::pow(h.b2, t));
        w = w - h.lr * m_hat / (std::sqrt(v_hat) + h.eps);
        out[t - 1] = w;
    }
    return {out[0], out[1]};
}

template <class T, class Opt>
void check_against_reference(Opt& opt, Tensor<T>& p, const AdamHyper& h) {
    expect_two_steps<T>(opt, p, [&h](double w, double ga, double gb) { return adam_reference(w, ga, gb, h); });
}

}  // namespace

TYPED_TEST(AdamTest, DefaultsTwoSteps) {
    using T = TypeParam;
    Tensor<T> p = param<T>(w0);
    Adam<T> opt({p}, AdamOptions(0.01));
    check_against_reference<T>(opt, p, {0.01, 0.9, 0.999, 1e-8, 0.0, false, false});
    EXPECT_EQ(opt.step_count(0, 0), 2);
}

TYPED_TEST(AdamTest, FirstStepMovesByLrTimesSign) {
    using T = TypeParam;
    // With bias correction, m̂ = g and v̂ = g² on step 1, so w moves by lr*g/(|g| + eps) ≈ lr*sign(g).
    Tensor<T> p = param<T>(w0);
    Adam<T> opt({p}, AdamOptions(0.01));
    set_grad(p, g1);
    opt.step();
    EXPECT_NEAR(p.at(0), 0.49, 1e-6);
    EXPECT_NEAR(p.at(1), -1.49, 1e-6);
    EXPECT_EQ(p.at(2), T(2.0));  // zero gradient: m = 0, no move
}

TYPED_TEST(AdamTest, L2WeightDecayAndCustomBetasTwoSteps) {
    using T = TypeParam;
    Tensor<T> p = param<T>(w0);
    Adam<T> opt({p}, AdamOptions(0.05).betas(0.8, 0.9).eps(1e-3).weight_decay(0.1));
    check_against_reference<T>(opt, p, {0.05, 0.8, 0.9, 1e-3, 0.1, false, false});
}

TYPED_TEST(AdamTest, AmsgradTwoSteps) {
    using T = TypeParam;
    // Element 1: |g| shrinks (-0.4 then 0.2), so v falls (0.064 -> 0.0544) and max(v) differs from v, while
    // m2 = 0.9*(-0.04) + 0.1*0.2 = -0.016 is nonzero, so the difference shows in the step.
    Tensor<T> p = param<T>(w0);
    Adam<T> opt({p}, AdamOptions(0.05).betas(0.9, 0.6).amsgrad(true));
    check_against_reference<T>(opt, p, {0.05, 0.9, 0.6, 1e-8, 0.0, false, true});
    // Without amsgrad the second step is different (the test can tell them apart).
    Tensor<T> q = param<T>(w0);
    Adam<T> plain({q}, AdamOptions(0.05).betas(0.9, 0.6));
    auto [q1, q2] = two_steps<T>(plain, q);
    EXPECT_GT(std::abs(q2.at(1) - p.at(1)), 1e-4);
}

TYPED_TEST(AdamTest, AdamWDecoupledWeightDecayTwoSteps) {
    using T = TypeParam;
    Tensor<T> p = param<T>(w0);
    AdamW<T> opt({p}, AdamWOptions(0.05).weight_decay(0.2));
    check_against_reference<T>(opt, p, {0.05, 0.9, 0.999, 1e-8, 0.2, true, false});
    // Element 2 has a zero gradient on step 1: only the decay moves it, 2.0*(1 - 0.05*0.2) = 1.98.
    Tensor<T> q = param<T>(w0);
    AdamW<T> one({q}, AdamWOptions(0.05).weight_decay(0.2));
    set_grad(q, g1);
    one.step();
    EXPECT_NEAR(q.at(2), 1.98, 1e-6);
}

TYPED_TEST(AdamTest, AdamWDefaultWeightDecayIsOnePercent) {
    EXPECT_EQ(AdamWOptions().weight_decay(), 0.01);
    EXPECT_EQ(AdamOptions().weight_decay(), 0.0);
}

TYPED_TEST(AdamTest, AdamWAmsgradTwoSteps) {
    using T = TypeParam;
    Tensor<T> p = param<T>(w0);
    AdamW<T> opt({p}, AdamWOptions(0.05).betas(0.5, 0.6).weight_decay(0.1).amsgrad(true));
    check_against_reference<T>(opt, p, {0.05, 0.5, 0.6, 1e-8, 0.1, true, true});
}
