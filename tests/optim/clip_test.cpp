// Gradient clipping: the returned total norm (2, 1 and inf norms), the scaled gradients, no change below
// the threshold, parameters without a gradient, clipping by value, and invalid arguments.
#include <cmath>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"
#include "tests/support/expect_throw.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {

template <class T>
class ClipTest : public ::testing::Test {
protected:
    // Gradients {3, -4} and {12}: 2-norm sqrt(9 + 16 + 144) = 13, 1-norm 19, inf-norm 12.
    void SetUp() override {
        set_grad(a, {3.0, -4.0});
        set_grad(b, {12.0});
    }
    Tensor<T> a = param<T>({0.0, 0.0});
    Tensor<T> b = param<T>({0.0});
    Tensor<T> none = param<T>({5.0});  // never gets a gradient
};
TYPED_TEST_SUITE(ClipTest, FloatTypes);

}  // namespace

TYPED_TEST(ClipTest, ScalesByMaxNormOverTotalNorm) {
    const double total = clip_grad_norm<TypeParam>({this->a, this->b, this->none}, 6.5);
    EXPECT_NEAR(total, 13.0, 1e-12);
    const double scale = 6.5 / (13.0 + 1e-6);  // PyTorch's coefficient
    EXPECT_TRUE(near(this->a.grad(), {3.0 * scale, -4.0 * scale}));
    EXPECT_TRUE(near(this->b.grad(), {12.0 * scale}));
    EXPECT_FALSE(this->none.has_grad());
    // The clipped norm is 13*scale = 6.5 - 5e-7, and 6.5/(6.5 - 5e-7 + 1e-6) < 1: a second call shrinks the
    // gradients once more by that coefficient (PyTorch does the same).
    const double again = clip_grad_norm<TypeParam>({this->a, this->b}, 6.5);
    EXPECT_NEAR(again, 13.0 * scale, 1e-6);
    const double scale2 = 6.5 / (13.0 * scale + 1e-6);
    EXPECT_LT(scale2, 1.0);
    EXPECT_TRUE(near(this->b.grad(), {12.0 * scale * scale2}));
}

TYPED_TEST(ClipTest, NoChangeBelowTheThreshold) {
    using T = TypeParam;
    EXPECT_NEAR(clip_grad_norm<T>({this->a, this->b}, 13.5), 13.0, 1e-12);
    EXPECT_EQ(this->a.grad().at(0), T(3.0));
    EXPECT_EQ(this->a.grad().at(1), T(-4.0));
    EXPECT_EQ(this->b.grad().at(0), T(12.0));
}

TYPED_TEST(ClipTest, OtherNorms) {
    using T = TypeParam;
    EXPECT_NEAR(clip_grad_norm<T>({this->a, this->b}, 100.0, 1.0), 19.0, 1e-12);
    const double inf = clip_grad_norm<T>({this->a, this->b}, 6.0, INFINITY);
    EXPECT_NEAR(inf, 12.0, 1e-12);
    const double scale = 6.0 / (12.0 + 1e-6);
    EXPECT_TRUE(near(this->b.grad(), {12.0 * scale}));
    EXPECT_TRUE(near(this->a.grad(), {3.0 * scale, -4.0 * scale}));
}

TYPED_TEST(ClipTest, NoGradientsGiveZero) {
    EXPECT_EQ(clip_grad_norm<TypeParam>({this->none}, 1.0), 0.0);
    EXPECT_EQ(clip_grad_norm<TypeParam>({}, 1.0), 0.0);
}

TYPED_TEST(ClipTest, ClipByValue) {
    using T = TypeParam;
    clip_grad_value<T>({this->a, this->b, this->none}, 3.5);
    EXPECT_EQ(this->a.grad().at(0), T(3.0));  // inside: unchanged
    EXPECT_EQ(this->a.grad().at(1), T(-3.5));
    EXPECT_EQ(this->b.grad().at(0), T(3.5));
    EXPECT_FALSE(this->none.has_grad());
}

TYPED_TEST(ClipTest, OptimizerParametersCanBeClipped) {
    using T = TypeParam;
    SGD<T> opt({this->a}, SGDOptions(1.0));
    opt.add_param_group({this->b});
    EXPECT_NEAR(clip_grad_norm<T>(opt.parameters(), 1.3), 13.0, 1e-12);
    opt.step();
    EXPECT_TRUE(near(this->b, {-12.0 * 1.3 / (13.0 + 1e-6)}));  // 0 - lr * 12 * scale
    EXPECT_NEAR(this->b.at(0), -1.2, 1e-6);
}

TYPED_TEST(ClipTest, InvalidArgumentsAndNonFinite) {
    using T = TypeParam;
    std::vector<Tensor<T>> ps{this->a, this->b};
    EXPECT_THROW_MSG(clip_grad_norm<T>(ps, -1.0), ValueError, "clip_grad_norm: invalid max_norm -1");
    EXPECT_THROW_MSG(clip_grad_norm<T>(ps, NAN), ValueError, "clip_grad_norm: invalid max_norm nan");
    EXPECT_THROW_MSG(clip_grad_norm<T>(ps, 1.0, 0.0), ValueError, "clip_grad_norm: invalid norm_type 0");
    EXPECT_THROW_MSG(clip_grad_value<T>(ps, -0.5), ValueError, "clip_grad_value: invalid clip_value -0.5");
    EXPECT_EQ(this->b.grad().at(0), T(12.0));  // the refused calls changed nothing
    set_grad(this->a, {NAN, 1.0});
    EXPECT_THROW_MSG(clip_grad_norm<T>(ps, 1.0, 2.0, true), AnomalyError, "clip_grad_norm", "nan");
    EXPECT_TRUE(std::isnan(clip_grad_norm<T>(ps, 1.0)));
}
