// dg::record as a user's custom op calls it (README "Custom ops"): a two-input op with broadcasting, gradchecked and
// gradgradchecked; the broadcast gradient reduced by the engine; the contract's errors (a backward that returns the
// wrong number of gradients, an in-place change to an input it saves) and a plain leaf when nothing needs grad.
#include <gtest/gtest.h>

#include <cstdint>

#include "autograd/engine.hpp"
#include "autograd/inspect/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "support/expect_throw.hpp"

namespace dg {
namespace {

// y = a·b + a², b [m] broadcast over the rows of a [n, m]. The backward returns grad_b with a's shape: the engine
// reduces it to b's.
template <class T>
Tensor<T> mul_add_square(const Tensor<T>& a, const Tensor<T>& b, Saves saves = Saves::all_inputs()) {
    return record<T>(a.value() * b.value() + a.value() * a.value(), {a, b},
                     {"mul_add_square", "grad_a = grad_out * (b + 2a); grad_b = grad_out * a"},
                     [](const TensorList<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return TensorList<T>{in[0].requires_grad() ? g * (in[1] + T(2) * in[0]) : Tensor<T>(),
                                              in[1].requires_grad() ? g * in[0] : Tensor<T>()};
                     },
                     saves);
}

TEST(Record, AUsersOpHasItsValueAndPassesGradcheckAndGradgradcheck) {
    Generator gen(11);
    const Tensord a = Tensord::randn({3, 4}, gen, 0.0, 1.0, true), b = Tensord::randn({4}, gen, 0.0, 1.0, true);
    const Tensord y = mul_add_square(a, b);
    EXPECT_STREQ(y.op(), "mul_add_square");
    ASSERT_EQ(y.shape(), (Shape{3, 4}));
    for (std::size_t i = 0; i < 12; ++i) EXPECT_DOUBLE_EQ(y.at(i), a.at(i) * b.at(i % 4) + a.at(i) * a.at(i));

    const auto f = [](const std::vector<Tensord>& in) { return mul_add_square(in[0], in[1]); };
    const GradcheckReport first = gradcheck(f, NamedTensors{{"a", a}, {"b", b}});
    EXPECT_TRUE(first.ok) << first.str();
    EXPECT_EQ(first.checked, 16u);
    const GradcheckReport second = gradgradcheck(f, NamedTensors{{"a", a}, {"b", b}});
    EXPECT_TRUE(second.ok) << second.str();
}

TEST(Record, TheBroadcastGradientIsReducedToTheInputsShape) {
    const Tensord a({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, true), b({10.0, 20.0}, true);
    sum(mul_add_square(a, b)).backward();
    ASSERT_EQ(b.grad().shape(), (Shape{2}));
    EXPECT_DOUBLE_EQ(b.grad().at(0), 1.0 + 3.0 + 5.0);  // Σ over the rows of a
    EXPECT_DOUBLE_EQ(b.grad().at(1), 2.0 + 4.0 + 6.0);
    EXPECT_DOUBLE_EQ(a.grad().at(3), 20.0 + 2 * 4.0);  // b + 2a
}

TEST(Record, ABackwardReturningTheWrongNumberOfGradientsIsAGraphErrorNamingTheOp) {
    const Tensord x({1.0, 2.0}, true);
    for (std::size_t count : {0u, 2u}) {
        const Tensord y = record<double>(x.value() * 2.0, {x}, {"miscounted", "grad_in = 2 grad_out"},
                                         [count](const TensorList<double>&, const Tensord&, const Tensord& g) {
                                             TensorList<double> grads;
                                             for (std::size_t i = 0; i < count; ++i) grads.push_back(g * 2.0);
                                             return grads;
                                         });
        EXPECT_THROW_MSG(sum(y).backward(), GraphError, "backward function of miscounted",
                         ("returned " + std::to_string(count) + " gradient(s) for 1 input(s)").c_str());
    }
}

TEST(Record, AnInPlaceChangeToASavedInputIsRefusedAndSavesNoneAllowsIt) {
    const Tensord a({{1.0, 2.0}}, true);
    Tensord b({3.0, 4.0}, true);
    const Tensord saved = mul_add_square(a, b), unsaved = mul_add_square(a, b, Saves::none());
    {
        NoGradGuard no_grad;
        b.mutable_value()(0) = 30.0;
    }
    EXPECT_THROW_MSG(sum(saved).backward(), GraphError, "input 1 of mul_add_square", "modified in place");
    // Declared as reading nothing, the op's backward runs on the new value: what Saves is for is catching exactly this.
    sum(unsaved).backward();
    EXPECT_DOUBLE_EQ(a.grad().at(0), 30.0 + 2 * 1.0);
}

TEST(Record, WithoutGradTheResultIsAPlainLeafAndTheBackwardIsDropped) {
    const Tensord x({1.0, 2.0}, true), c({3.0, 4.0});
    {
        NoGradGuard no_grad;
        const Tensord y = mul_add_square(x, c);
        EXPECT_TRUE(y.is_leaf());
        EXPECT_FALSE(y.requires_grad());
    }
    const Tensord constant = mul_add_square(c, c);  // no input requires grad
    EXPECT_TRUE(constant.is_leaf());
    EXPECT_FALSE(constant.requires_grad());
    EXPECT_DOUBLE_EQ(constant.at(1), 4.0 * 4.0 + 4.0 * 4.0);
}

}  // namespace
}  // namespace dg
