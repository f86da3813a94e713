// RMSProp: two hand-computed steps for the plain, momentum, centered and weight-decay variants, in float
// and double (torch.optim.RMSprop's formulas evaluated here in plain doubles).
#include <cmath>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {


template <class T>
class RMSPropTest : public ::testing::Test {};
TYPED_TEST_SUITE(RMSPropTest, FloatTypes);

struct RMSPropHyper {
    double lr, alpha, eps, wd, mu;
    bool centered;
};

/// Two RMSProp steps of one element, written out.
std::pair<double, double> rmsprop_reference(double w, double ga, double gb, const RMSPropHyper& h) {
    double sq = 0, gavg = 0, buf = 0;
    double out[2];
    const double grads[2] = {ga, gb};
    for (int t = 0; t < 2; ++t) {
        const double d = grads[t] + h.wd * w;
        sq = h.alpha * sq + (1 - h.alpha) * d * d;
        double denom;
        if (h.centered) {
            gavg = h.alpha * gavg + (1 - h.alpha) * d;
            denom = std::sqrt(sq - gavg * gavg) + h.eps;  // sqrt of the variance estimate
        } else {
            denom = std::sqrt(sq) + h.eps;
        }
        if (h.mu > 0) {
            buf = h.mu * buf + d / denom;
            w = w - h.lr * buf;
        } else {
            w = w - h.lr * d / denom;
        }
        out[t] = w;
    }
    return {out[0], out[1]};
}

template <class T>
void check(const RMSPropOptions& options, const RMSPropHyper& h) {
    Tensor<T> p = param<T>(w0);
    RMSProp<T> opt({p}, options);
    expect_two_steps<T>(opt, p, [&h](double w, double ga, double gb) { return rmsprop_reference(w, ga, gb, h); });
}

}  // namespace

TYPED_TEST(RMSPropTest, PlainTwoSteps) {
    check<TypeParam>(RMSPropOptions(0.01), {0.01, 0.99, 1e-8, 0.0, 0.0, false});
}

TYPED_TEST(RMSPropTest, FirstStepLiteral) {
    using T = TypeParam;
    // sq = 0.01*g² so the step is lr*g/(0.1|g|) = 10*lr*sign(g): 0.5 - 0.1 = 0.4.
    Tensor<T> p = param<T>(w0);
    RMSProp<T> opt({p}, RMSPropOptions(0.01));
    set_grad(p, g1);
    opt.step();
    EXPECT_NEAR(p.at(0), 0.4, 1e-6);
    EXPECT_NEAR(p.at(1), -1.4, 1e-6);
    EXPECT_EQ(p.at(2), T(2.0));
}

TYPED_TEST(RMSPropTest, MomentumTwoSteps) {
    check<TypeParam>(RMSPropOptions(0.02).alpha(0.9).momentum(0.7), {0.02, 0.9, 1e-8, 0.0, 0.7, false});
}

TYPED_TEST(RMSPropTest, CenteredTwoSteps) {
    check<TypeParam>(RMSPropOptions(0.02).alpha(0.9).centered(true).eps(1e-4), {0.02, 0.9, 1e-4, 0.0, 0.0, true});
}

TYPED_TEST(RMSPropTest, CenteredMomentumWeightDecayTwoSteps) {
    check<TypeParam>(RMSPropOptions(0.02).alpha(0.8).centered(true).momentum(0.5).weight_decay(0.1).eps(1e-4),
                     {0.02, 0.8, 1e-4, 0.1, 0.5, true});
}
