// SGD: two hand-computed steps for plain SGD, momentum with dampening, Nesterov, weight decay, in float
// and double; the expected values come from torch.optim.SGD's formulas evaluated here in plain doubles.
#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {


template <class T>
class SGDTest : public ::testing::Test {};
TYPED_TEST_SUITE(SGDTest, FloatTypes);

}  // namespace

TYPED_TEST(SGDTest, PlainTwoSteps) {
    using T = TypeParam;
    Tensor<T> p = param<T>(w0);
    SGD<T> opt({p}, SGDOptions(0.1));
    auto [s1, s2] = two_steps<T>(opt, p);
    // w1 = w0 - 0.1*g1 = {0.5 - 0.01, -1.5 + 0.04, 2.0};  w2 = w1 - 0.1*g2
    EXPECT_TRUE(near(s1, {0.49, -1.46, 2.0}));
    EXPECT_TRUE(near(s2, {0.49 + 0.03, -1.46 - 0.02, 2.0 - 0.005}));
}

TYPED_TEST(SGDTest, MomentumDampeningWeightDecayTwoSteps) {
    using T = TypeParam;
    const double lr = 0.1, mu = 0.9, damp = 0.2, wd = 0.01;
    Tensor<T> p = param<T>(w0);
    SGD<T> opt({p}, SGDOptions(lr).momentum(mu).dampening(damp).weight_decay(wd));
    auto [s1, s2] = two_steps<T>(opt, p);
    std::vector<double> e1, e2;
    for (std::size_t k = 0; k < 3; ++k) {
        double w = w0[k];
        // step 1: d = g + wd*w; the buffer starts as d (no dampening on the first step)
        double d = g1[k] + wd * w;
        double b = d;
        w = w - lr * b;
        e1.push_back(w);
        // step 2: b = mu*b + (1 - dampening)*d
        d = g2[k] + wd * w;
        b = mu * b + (1 - damp) * d;
        w = w - lr * b;
        e2.push_back(w);
    }
    EXPECT_TRUE(near(s1, e1));
    EXPECT_TRUE(near(s2, e2));
    EXPECT_EQ(opt.step_count(0, 0), 2);
    // One literal: element 0 after step 1 = 0.5 - 0.1*(0.1 + 0.005) = 0.4895.
    EXPECT_NEAR(s1.at(0), 0.4895, 1e-7);
}

TYPED_TEST(SGDTest, NesterovTwoSteps) {
    using T = TypeParam;
    const double lr = 0.05, mu = 0.8;
    Tensor<T> p = param<T>(w0);
    SGD<T> opt({p}, SGDOptions(lr).momentum(mu).nesterov(true));
    auto [s1, s2] = two_steps<T>(opt, p);
    std::vector<double> e1, e2;
    for (std::size_t k = 0; k < 3; ++k) {
        double w = w0[k];
        // step 1: b = g; step direction g + mu*b
        double b = g1[k];
        w = w - lr * (g1[k] + mu * b);
        e1.push_back(w);
        // step 2: b = mu*b + g; direction g + mu*b
        b = mu * b + g2[k];
        w = w - lr * (g2[k] + mu * b);
        e2.push_back(w);
    }
    EXPECT_TRUE(near(s1, e1));
    EXPECT_TRUE(near(s2, e2));
    // Nesterov differs from heavy-ball momentum on the second step.
    Tensor<T> q = param<T>(w0);
    SGD<T> heavy({q}, SGDOptions(lr).momentum(mu));
    auto [h1, h2] = two_steps<T>(heavy, q);
    EXPECT_GT(std::abs(h2.at(0) - s2.at(0)), 1e-4);
}

TYPED_TEST(SGDTest, WeightDecayWithoutMomentum) {
    using T = TypeParam;
    const double lr = 0.1, wd = 0.5;
    Tensor<T> p = param<T>(w0);
    SGD<T> opt({p}, SGDOptions(lr).weight_decay(wd));
    auto [s1, s2] = two_steps<T>(opt, p);
    std::vector<double> e1, e2;
    for (std::size_t k = 0; k < 3; ++k) {
        const double w1 = w0[k] - lr * (g1[k] + wd * w0[k]);
        const double w2 = w1 - lr * (g2[k] + wd * w1);
        e1.push_back(w1);
        e2.push_back(w2);
    }
    EXPECT_TRUE(near(s1, e1));
    EXPECT_TRUE(near(s2, e2));
    // Element 2 has a zero gradient on step 1: only the decay moves it, 2.0*(1 - 0.05) = 1.9.
    EXPECT_NEAR(s1.at(2), 1.9, 1e-6);
}
