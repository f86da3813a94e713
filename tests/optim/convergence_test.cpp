// Each optimizer minimises a small ill-conditioned quadratic f(x) = ½ Σ a_i (x_i - c_i)² to a tolerance,
// through real forward/backward passes; SGD with weight decay lands on the minimiser of f + ½λ|x|².
#include <cmath>
#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {

template <class T>
class ConvergenceTest : public ::testing::Test {};
TYPED_TEST_SUITE(ConvergenceTest, FloatTypes);

const std::vector<double> curvature{1.0, 4.0, 0.5};
const std::vector<double> centre{1.0, -2.0, 3.0};

/// Runs `steps` iterations of forward, backward, step (and the schedule, if any) from x = 0; returns x.
template <class T>
Tensor<T> minimise(const std::function<std::unique_ptr<Optimizer<T>>(Tensor<T>)>& make, int steps,
                   const std::function<std::unique_ptr<LrSchedule<T>>(Optimizer<T>&)>& schedule = nullptr) {
    Tensor<T> x = param<T>({0.0, 0.0, 0.0});
    const Tensor<T> a = param<T>(curvature).detach(), c = param<T>(centre).detach();
    auto opt = make(x);
    auto sched = schedule ? schedule(*opt) : nullptr;
    for (int s = 0; s < steps; ++s) {
        opt->zero_grad();
        Tensor<T> d = x - c;
        Tensor<T> f = sum(a * d * d) * T(0.5);
        f.backward();
        opt->step();
        if (sched) sched->step();
    }
    return x;
}

template <class T>
void expect_at(const Tensor<T>& x, const std::vector<double>& target, double tol) {
    for (std::size_t i = 0; i < target.size(); ++i) EXPECT_NEAR(double(x.at(i)), target[i], tol) << "x[" << i << "]";
}

}  // namespace

TYPED_TEST(ConvergenceTest, SGD) {
    using T = TypeParam;
    auto x = minimise<T>([](Tensor<T> p) { return std::make_unique<SGD<T>>(std::vector<Tensor<T>>{p}, SGDOptions(0.2)); },
                         200);
    expect_at(x, centre, 1e-4);
}

TYPED_TEST(ConvergenceTest, SGDMomentumAndNesterov) {
    using T = TypeParam;
    for (bool nesterov : {false, true}) {
        SCOPED_TRACE(nesterov ? "nesterov" : "momentum");
        auto x = minimise<T>(
            [&](Tensor<T> p) {
                return std::make_unique<SGD<T>>(std::vector<Tensor<T>>{p}, SGDOptions(0.05).momentum(0.8).nesterov(nesterov));
            },
            300);
        expect_at(x, centre, 1e-4);
    }
}

TYPED_TEST(ConvergenceTest, SGDWeightDecayFindsTheRegularisedMinimum) {
    using T = TypeParam;
    const double wd = 0.5;
    auto x = minimise<T>(
        [&](Tensor<T> p) { return std::make_unique<SGD<T>>(std::vector<Tensor<T>>{p}, SGDOptions(0.2).weight_decay(wd)); }, 300);
    // ∇(f + ½λ|x|²) = a(x - c) + λx = 0  →  x = a c / (a + λ)
    std::vector<double> target;
    for (std::size_t i = 0; i < 3; ++i) target.push_back(curvature[i] * centre[i] / (curvature[i] + wd));
    expect_at(x, target, 1e-4);
}

TYPED_TEST(ConvergenceTest, AdamAndAdamWWithCosineDecay) {
    using T = TypeParam;
    // Adam's steps are ~lr in size whatever the gradient, so it settles only as the lr decays.
    auto cosine = [](Optimizer<T>& o) { return std::make_unique<CosineAnnealingLR<T>>(o, 1500); };
    auto x = minimise<T>([](Tensor<T> p) { return std::make_unique<Adam<T>>(std::vector<Tensor<T>>{p}, AdamOptions(0.1)); },
                         1500, cosine);
    expect_at(x, centre, 1e-3);
    auto y = minimise<T>(
        [](Tensor<T> p) {
            return std::make_unique<AdamW<T>>(std::vector<Tensor<T>>{p}, AdamWOptions(0.1).weight_decay(0.0).amsgrad(true));
        },
        1500, cosine);
    expect_at(y, centre, 1e-3);
}

TYPED_TEST(ConvergenceTest, RMSPropWithExponentialDecay) {
    using T = TypeParam;
    auto x = minimise<T>(
        [](Tensor<T> p) { return std::make_unique<RMSProp<T>>(std::vector<Tensor<T>>{p}, RMSPropOptions(0.05)); }, 1000,
        [](Optimizer<T>& o) { return std::make_unique<ExponentialLR<T>>(o, 0.995); });
    expect_at(x, centre, 1e-3);
}

TYPED_TEST(ConvergenceTest, Adagrad) {
    using T = TypeParam;
    auto x = minimise<T>(
        [](Tensor<T> p) { return std::make_unique<Adagrad<T>>(std::vector<Tensor<T>>{p}, AdagradOptions(1.0)); }, 500);
    expect_at(x, centre, 1e-4);
}
