// Learning-rate schedules: each one's lr sequence against PyTorch's formulas (literal values), warmup,
// several groups, resuming with set_epoch, the effect on an actual update, and invalid arguments.
#include <cmath>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"
#include "tests/support/expect_throw.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {

template <class T>
class ScheduleTest : public ::testing::Test {
protected:
    Tensor<T> a = param<T>({1.0});
    Tensor<T> b = param<T>({1.0});
};
TYPED_TEST_SUITE(ScheduleTest, FloatTypes);

/// The lr of group g at epochs 0..n-1 (epoch 0 before any step()).
template <class T>
std::vector<double> sequence(LrSchedule<T>& s, Optimizer<T>& opt, int n, std::size_t g = 0) {
    std::vector<double> out{opt.lr(g)};
    for (int e = 1; e < n; ++e) {
        s.step();
        out.push_back(opt.lr(g));
    }
    return out;
}

void expect_sequence(const std::vector<double>& got, const std::vector<double>& expected) {
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-12) << "epoch " << i;
}

}  // namespace

TYPED_TEST(ScheduleTest, StepLR) {
    using T = TypeParam;
    SGD<T> opt({this->a}, SGDOptions(0.1));
    StepLR<T> s(opt, 3, 0.5);
    // lr = 0.1 * 0.5^floor(e/3)
    expect_sequence(sequence(s, opt, 8), {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025});
    EXPECT_EQ(s.epoch(), 7);
}

TYPED_TEST(ScheduleTest, ExponentialLR) {
    using T = TypeParam;
    Adam<T> opt({this->a}, AdamOptions(0.1));
    ExponentialLR<T> s(opt, 0.9);
    // lr = 0.1 * 0.9^e
    expect_sequence(sequence(s, opt, 5), {0.1, 0.09, 0.081, 0.0729, 0.06561});
}

TYPED_TEST(ScheduleTest, CosineAnnealingLR) {
    using T = TypeParam;
    SGD<T> opt({this->a}, SGDOptions(0.1));
    CosineAnnealingLR<T> s(opt, 4, 0.01);
    // lr = 0.01 + 0.09 * (1 + cos(pi*e/4)) / 2: cos = 1, √2/2, 0, -√2/2, -1, then back up
    const double h = std::sqrt(2.0) / 2.0;
    expect_sequence(sequence(s, opt, 7), {0.1, 0.01 + 0.045 * (1 + h), 0.055, 0.01 + 0.045 * (1 - h), 0.01,
                                          0.01 + 0.045 * (1 - h), 0.055});
    EXPECT_NEAR(s.last_lrs()[0], 0.055, 1e-12);
}

TYPED_TEST(ScheduleTest, LinearWarmupMultipliesTheSchedule) {
    using T = TypeParam;
    SGD<T> opt({this->a}, SGDOptions(0.1));
    StepLR<T> s(opt, 5, 0.5);
    s.warmup(4, 0.25);
    // factor = 0.25 + 0.75*min(e,4)/4 = 0.25, 0.4375, 0.625, 0.8125, 1, 1, ...; StepLR halves at e = 5
    expect_sequence(sequence(s, opt, 7), {0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.05, 0.05});
    EXPECT_THROW_MSG(s.warmup(0), ValueError, "StepLR: invalid warmup steps 0");
    EXPECT_THROW_MSG(s.warmup(3, 0.0), ValueError, "StepLR: invalid warmup start_factor 0");
    EXPECT_THROW_MSG(s.warmup(3, 1.5), ValueError, "StepLR: invalid warmup start_factor 1.5");
}

TYPED_TEST(ScheduleTest, EachGroupScalesFromItsOwnBase) {
    using T = TypeParam;
    SGD<T> opt({this->a}, SGDOptions(0.1));
    opt.add_param_group({this->b}, SGDOptions(0.02));
    ExponentialLR<T> s(opt, 0.5);
    s.step();
    s.step();
    EXPECT_NEAR(opt.lr(0), 0.025, 1e-15);
    EXPECT_NEAR(opt.lr(1), 0.005, 1e-15);
    EXPECT_EQ(s.base_lrs(), (std::vector<double>{0.1, 0.02}));
}

TYPED_TEST(ScheduleTest, SetEpochResumes) {
    using T = TypeParam;
    SGD<T> opt({this->a}, SGDOptions(0.1));
    StepLR<T> s(opt, 2, 0.1);
    s.set_epoch(5);  // floor(5/2) = 2 decays
    EXPECT_NEAR(opt.lr(0), 0.001, 1e-15);
    s.step();  // epoch 6: 3 decays
    EXPECT_NEAR(opt.lr(0), 0.0001, 1e-15);
    EXPECT_THROW_MSG(s.set_epoch(-1), ValueError, "StepLR: invalid epoch -1");
}

TYPED_TEST(ScheduleTest, TheUpdateUsesTheScheduledLr) {
    using T = TypeParam;
    Tensor<T> p = param<T>({1.0});
    SGD<T> opt({p}, SGDOptions(0.1));
    StepLR<T> s(opt, 1, 0.5);
    set_grad(p, {1.0});
    opt.step();  // lr 0.1: 0.9
    s.step();
    opt.step();  // lr 0.05: 0.85
    EXPECT_TRUE(near(p, {0.85}));
}

TYPED_TEST(ScheduleTest, InvalidArguments) {
    using T = TypeParam;
    SGD<T> opt({this->a}, SGDOptions(0.1));
    EXPECT_THROW_MSG(StepLR<T>(opt, 0), ValueError, "StepLR: invalid step_size 0");
    EXPECT_THROW_MSG(StepLR<T>(opt, 2, -0.5), ValueError, "StepLR: invalid gamma -0.5");
    EXPECT_THROW_MSG(ExponentialLR<T>(opt, NAN), ValueError, "ExponentialLR: invalid gamma nan");
    EXPECT_THROW_MSG(CosineAnnealingLR<T>(opt, 0), ValueError, "CosineAnnealingLR: invalid T_max 0");
    EXPECT_THROW_MSG(CosineAnnealingLR<T>(opt, 10, -0.1), ValueError, "CosineAnnealingLR: invalid eta_min -0.1");
}
