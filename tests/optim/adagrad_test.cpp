// Adagrad: two hand-computed steps with and without lr decay, weight decay and an initial accumulator,
// in float and double (torch.optim.Adagrad's formulas evaluated here in plain doubles).
#include <cmath>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {


template <class T>
class AdagradTest : public ::testing::Test {};
TYPED_TEST_SUITE(AdagradTest, FloatTypes);

struct AdagradHyper {
    double lr, lr_decay, wd, init, eps;
};

/// Two Adagrad steps of one element, written out.
std::pair<double, double> adagrad_reference(double w, double ga, double gb, const AdagradHyper& h) {
    double sum = h.init;
    // step 1: clr = lr / (1 + 0*lr_decay); sum += d²; w -= clr*d/(sqrt(sum) + eps)
    double d = ga + h.wd * w;
    sum += d * d;
    w -= h.lr * d / (std::sqrt(sum) + h.eps);
    const double first = w;
    // step 2: clr = lr / (1 + lr_decay)
    d = gb + h.wd * w;
    sum += d * d;
    w -= h.lr / (1 + h.lr_decay) * d / (std::sqrt(sum) + h.eps);
    return {first, w};
}

template <class T>
void check(const AdagradOptions& options, const AdagradHyper& h) {
    Tensor<T> p = param<T>(w0);
    Adagrad<T> opt({p}, options);
    expect_two_steps<T>(opt, p, [&h](double w, double ga, double gb) { return adagrad_reference(w, ga, gb, h); });
}

}  // namespace

TYPED_TEST(AdagradTest, PlainTwoSteps) {
    check<TypeParam>(AdagradOptions(0.1), {0.1, 0.0, 0.0, 0.0, 1e-10});
}

TYPED_TEST(AdagradTest, FirstStepLiteral) {
    using T = TypeParam;
    // sum = g², so step 1 is lr*g/|g| = lr*sign(g): 0.5 - 0.1 = 0.4, -1.5 + 0.1 = -1.4.
    Tensor<T> p = param<T>(w0);
    Adagrad<T> opt({p}, AdagradOptions(0.1));
    set_grad(p, g1);
    opt.step();
    EXPECT_NEAR(p.at(0), 0.4, 1e-6);
    EXPECT_NEAR(p.at(1), -1.4, 1e-6);
    EXPECT_EQ(p.at(2), T(2.0));
}

TYPED_TEST(AdagradTest, LrDecayWeightDecayInitialAccumulatorTwoSteps) {
    check<TypeParam>(AdagradOptions(0.1).lr_decay(0.5).weight_decay(0.05).initial_accumulator_value(0.2).eps(1e-6),
                     {0.1, 0.5, 0.05, 0.2, 1e-6});
}
