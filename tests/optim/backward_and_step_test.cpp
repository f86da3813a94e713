// Optimizer::backward_and_step: SGD without momentum updates inside backward (UpdateInBackward), every other
// case runs backward then step(). Each test runs the same training steps twice, once as loss.backward();
// opt.step() and once as backward_and_step(loss), and compares the parameters after each step.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/optim/optim_test_util.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {

template <class T>
class BackwardAndStepTest : public ::testing::Test {};
TYPED_TEST_SUITE(BackwardAndStepTest, FloatTypes);

/// A linear layer with a sigmoid and a second layer: W1 [4,3], b1 [4], W2 [2,4], b2 [2].
template <class T>
std::vector<Tensor<T>> two_layer_params() {
    return {Tensor<T>(Array<T>{{0.3, -0.2, 0.5}, {0.1, 0.4, -0.3}, {-0.5, 0.2, 0.1}, {0.2, 0.2, -0.1}}, true),
            Tensor<T>(Array<T>{0.1, -0.1, 0.05, 0.0}, true),
            Tensor<T>(Array<T>{{0.5, -0.4, 0.3, 0.2}, {-0.1, 0.3, 0.2, -0.6}}, true),
            Tensor<T>(Array<T>{0.02, -0.03}, true)};
}

template <class T>
Tensor<T> two_layer_loss(const std::vector<Tensor<T>>& p, int step) {
    const double s = 1 + 0.25 * step;  // a different batch each step
    const Array<double> xd{{1.0 * s, -0.5, 2.0}, {0.3, 0.8 * s, -1.2}, {-0.7, 0.1, 0.4 * s}};
    const Tensor<T> x(Array<T>(xt::cast<T>(xd)));
    const Tensor<T> y = linear(sigmoid(linear(x, p[0], p[1])), p[2], p[3]);
    return mean(mul(y, y));
}

/// Three steps each way; the parameters must agree after every step. Returns the fused run's parameters.
template <class T, class Make>
std::vector<Tensor<T>> expect_same_steps(Make make, bool grad_before = false) {
    auto plain = two_layer_params<T>(), fused = two_layer_params<T>();
    auto plain_opt = make(plain), fused_opt = make(fused);
    for (int step = 0; step < 3; ++step) {
        if (grad_before) {  // a gradient accumulated by an earlier backward joins this step's
            two_layer_loss(plain, 10 + step).backward();
            two_layer_loss(fused, 10 + step).backward();
        }
        two_layer_loss(plain, step).backward();
        plain_opt->step();
        plain_opt->zero_grad();
        fused_opt->backward_and_step(two_layer_loss(fused, step));
        fused_opt->zero_grad();
        for (std::size_t i = 0; i < plain.size(); ++i)
            EXPECT_TRUE(near(fused[i], values(plain[i]))) << "step " << step << ", parameter " << i;
    }
    return fused;
}

}  // namespace

TYPED_TEST(BackwardAndStepTest, PlainSgdWithWeightDecayUpdatesInBackward) {
    using T = TypeParam;
    expect_same_steps<T>([](std::vector<Tensor<T>> p) {
        return std::make_unique<SGD<T>>(p, SGDOptions(0.5).weight_decay(0.1));
    });
    // Updated in backward: no gradient is stored.
    auto p = two_layer_params<T>();
    SGD<T> opt(p, SGDOptions(0.5));
    const auto before = values(p[0]);
    opt.backward_and_step(two_layer_loss(p, 0));
    for (const auto& t : p) EXPECT_FALSE(t.has_grad());
    EXPECT_NE(values(p[0]), before);
}

TYPED_TEST(BackwardAndStepTest, MomentumGroupIsSteppedAfterBackward) {
    using T = TypeParam;
    expect_same_steps<T>([](std::vector<Tensor<T>> p) {
        auto opt = std::make_unique<SGD<T>>(std::vector<Tensor<T>>{p[0], p[1]}, SGDOptions(0.5));
        opt->add_param_group({p[2], p[3]}, SGDOptions(0.3).momentum(0.9).nesterov(true));
        return opt;
    });
}

TYPED_TEST(BackwardAndStepTest, EarlierGradientIsIncluded) {
    using T = TypeParam;
    expect_same_steps<T>([](std::vector<Tensor<T>> p) { return std::make_unique<SGD<T>>(p, SGDOptions(0.5)); },
                         true);
}

TYPED_TEST(BackwardAndStepTest, AdamRunsBackwardThenStep) {
    using T = TypeParam;
    expect_same_steps<T>([](std::vector<Tensor<T>> p) { return std::make_unique<Adam<T>>(p, AdamOptions(0.01)); });
}

TYPED_TEST(BackwardAndStepTest, MomentumStepCountAdvances) {
    using T = TypeParam;
    auto p = two_layer_params<T>();
    SGD<T> opt(p, SGDOptions(0.1).momentum(0.5));
    opt.backward_and_step(two_layer_loss(p, 0));
    EXPECT_EQ(opt.step_count(0, 0), 1);
    EXPECT_TRUE(p[0].has_grad());  // momentum groups keep the ordinary path and its .grad
}

TYPED_TEST(BackwardAndStepTest, FrozenParameterIsLeftAlone) {
    using T = TypeParam;
    auto p = two_layer_params<T>();
    SGD<T> opt(p, SGDOptions(0.5));
    p[0].set_requires_grad(false);
    const auto frozen = values(p[0]), trained = values(p[2]);
    opt.backward_and_step(two_layer_loss(p, 0));
    EXPECT_EQ(values(p[0]), frozen);
    EXPECT_NE(values(p[2]), trained);
}
