// Every invalid hyperparameter of every optimizer: a dg::ValueError whose message names the optimizer,
// the argument and the value. NaN is checked wherever a range is.
#include <cmath>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"
#include "tests/support/expect_throw.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {
template <class T>
class OptimErrorsTest : public ::testing::Test {
protected:
    Tensor<T> p = param<T>({1.0, 2.0});
};
TYPED_TEST_SUITE(OptimErrorsTest, FloatTypes);
}  // namespace

TYPED_TEST(OptimErrorsTest, SGD) {
    using T = TypeParam;
    auto& p = this->p;
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(-0.1)), ValueError, "SGD: invalid lr -0.1", ">= 0");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(NAN)), ValueError, "SGD: invalid lr nan");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(INFINITY)), ValueError, "SGD: invalid lr inf");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(0.1).momentum(1.0)), ValueError, "SGD: invalid momentum 1", "< 1");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(0.1).momentum(-0.1)), ValueError, "SGD: invalid momentum -0.1");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(0.1).momentum(NAN)), ValueError, "SGD: invalid momentum nan");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(0.1).dampening(1.5)), ValueError, "SGD: invalid dampening 1.5");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(0.1).weight_decay(-1e-4)), ValueError, "SGD: invalid weight_decay -0.0001");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(0.1).nesterov(true)), ValueError, "SGD: invalid nesterov",
                     "momentum > 0");
    EXPECT_THROW_MSG(SGD<T>({p}, SGDOptions(0.1).nesterov(true).momentum(0.9).dampening(0.1)), ValueError,
                     "SGD: invalid nesterov", "dampening = 0");
    EXPECT_NO_THROW(SGD<T>({p}, SGDOptions(0.0).momentum(0.0).dampening(1.0)));  // the edges that are valid
}

TYPED_TEST(OptimErrorsTest, Adam) {
    using T = TypeParam;
    auto& p = this->p;
    EXPECT_THROW_MSG(Adam<T>({p}, AdamOptions(-1e-3)), ValueError, "Adam: invalid lr -0.001");
    EXPECT_THROW_MSG(Adam<T>({p}, AdamOptions().betas(1.0, 0.999)), ValueError, "Adam: invalid beta1 1", "< 1");
    EXPECT_THROW_MSG(Adam<T>({p}, AdamOptions().betas(-0.1, 0.999)), ValueError, "Adam: invalid beta1 -0.1");
    EXPECT_THROW_MSG(Adam<T>({p}, AdamOptions().betas(0.9, 1.5)), ValueError, "Adam: invalid beta2 1.5");
    EXPECT_THROW_MSG(Adam<T>({p}, AdamOptions().betas(0.9, NAN)), ValueError, "Adam: invalid beta2 nan");
    EXPECT_THROW_MSG(Adam<T>({p}, AdamOptions().eps(-1e-8)), ValueError, "Adam: invalid eps -1e-08");
    EXPECT_THROW_MSG(Adam<T>({p}, AdamOptions().weight_decay(-0.1)), ValueError, "Adam: invalid weight_decay -0.1");
    EXPECT_NO_THROW(Adam<T>({p}, AdamOptions().betas(0.0, 0.0).eps(0.0)));
}

TYPED_TEST(OptimErrorsTest, AdamW) {
    using T = TypeParam;
    auto& p = this->p;
    EXPECT_THROW_MSG(AdamW<T>({p}, AdamWOptions(NAN)), ValueError, "AdamW: invalid lr nan");
    EXPECT_THROW_MSG(AdamW<T>({p}, AdamWOptions().betas(0.9, 1.0)), ValueError, "AdamW: invalid beta2 1");
    EXPECT_THROW_MSG(AdamW<T>({p}, AdamWOptions().eps(NAN)), ValueError, "AdamW: invalid eps nan");
    EXPECT_THROW_MSG(AdamW<T>({p}, AdamWOptions().weight_decay(-0.01)), ValueError, "AdamW: invalid weight_decay -0.01");
}

TYPED_TEST(OptimErrorsTest, RMSProp) {
    using T = TypeParam;
    auto& p = this->p;
    EXPECT_THROW_MSG(RMSProp<T>({p}, RMSPropOptions(-0.01)), ValueError, "RMSProp: invalid lr -0.01");
    EXPECT_THROW_MSG(RMSProp<T>({p}, RMSPropOptions().alpha(1.0)), ValueError, "RMSProp: invalid alpha 1");
    EXPECT_THROW_MSG(RMSProp<T>({p}, RMSPropOptions().alpha(NAN)), ValueError, "RMSProp: invalid alpha nan");
    EXPECT_THROW_MSG(RMSProp<T>({p}, RMSPropOptions().eps(-1.0)), ValueError, "RMSProp: invalid eps -1");
    EXPECT_THROW_MSG(RMSProp<T>({p}, RMSPropOptions().momentum(1.2)), ValueError, "RMSProp: invalid momentum 1.2");
    EXPECT_THROW_MSG(RMSProp<T>({p}, RMSPropOptions().weight_decay(-2.0)), ValueError, "RMSProp: invalid weight_decay -2");
}

TYPED_TEST(OptimErrorsTest, Adagrad) {
    using T = TypeParam;
    auto& p = this->p;
    EXPECT_THROW_MSG(Adagrad<T>({p}, AdagradOptions(-0.01)), ValueError, "Adagrad: invalid lr -0.01");
    EXPECT_THROW_MSG(Adagrad<T>({p}, AdagradOptions().lr_decay(-0.1)), ValueError, "Adagrad: invalid lr_decay -0.1");
    EXPECT_THROW_MSG(Adagrad<T>({p}, AdagradOptions().eps(-1e-10)), ValueError, "Adagrad: invalid eps -1e-10");
    EXPECT_THROW_MSG(Adagrad<T>({p}, AdagradOptions().weight_decay(NAN)), ValueError, "Adagrad: invalid weight_decay nan");
    EXPECT_THROW_MSG(Adagrad<T>({p}, AdagradOptions().initial_accumulator_value(-1.0)), ValueError,
                     "Adagrad: invalid initial_accumulator_value -1");
}
