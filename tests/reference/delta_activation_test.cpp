// Each activation and its hand-written derivative: values, finite differences away from the kinks, the
// convention at the kinks, and the names that parse to them.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_loss.hpp"
#include "reference/reference_test_util.hpp"

namespace dg::reference {
namespace {

using test::all_activations;

TEST(DeltaActivation, ValuesAtKnownPoints) {
    const Array<double> z = Array<double>({-2.0, 0.0, 1.5});
    auto at = [&](Activation f, double alpha, std::size_t i) { return activate(f, z, alpha)(i); };
    EXPECT_DOUBLE_EQ(at(Activation::identity, 0, 0), -2.0);
    EXPECT_DOUBLE_EQ(at(Activation::sigmoid, 0, 1), 0.5);
    EXPECT_DOUBLE_EQ(at(Activation::sigmoid, 0, 2), 1 / (1 + std::exp(-1.5)));
    EXPECT_DOUBLE_EQ(at(Activation::tanh, 0, 0), std::tanh(-2.0));
    EXPECT_DOUBLE_EQ(at(Activation::relu, 0, 0), 0.0);
    EXPECT_DOUBLE_EQ(at(Activation::relu, 0, 2), 1.5);
    EXPECT_DOUBLE_EQ(at(Activation::leaky_relu, 0.1, 0), -0.2);
    EXPECT_DOUBLE_EQ(at(Activation::leaky_relu, 0.1, 2), 1.5);
    EXPECT_DOUBLE_EQ(at(Activation::elu, 2.0, 0), 2.0 * (std::exp(-2.0) - 1));
    EXPECT_DOUBLE_EQ(at(Activation::elu, 2.0, 2), 1.5);
    EXPECT_DOUBLE_EQ(at(Activation::softplus, 0, 1), std::log(2.0));
    EXPECT_DOUBLE_EQ(at(Activation::softplus, 0, 2), std::log(1 + std::exp(1.5)));
    EXPECT_DOUBLE_EQ(at(Activation::abs, 0, 0), 2.0);
}

// The formulas of the notes, written again here independently of the library.
double expected_derivative(Activation f, double alpha, double z) {
    const double s = 1 / (1 + std::exp(-z));
    switch (f) {
        case Activation::identity: return 1;
        case Activation::sigmoid: return s * (1 - s);
        case Activation::tanh: return 1 - std::tanh(z) * std::tanh(z);
        case Activation::relu: return z > 0 ? 1 : 0;
        case Activation::leaky_relu: return z > 0 ? 1 : alpha;
        case Activation::elu: return z > 0 ? 1 : alpha * std::exp(z);
        case Activation::softplus: return s;
        case Activation::abs: return z > 0 ? 1 : z < 0 ? -1 : 0;
    }
    return NAN;
}

TEST(DeltaActivation, DerivativeMatchesFormulaAndFiniteDifferences) {
    const Array<double> z = Array<double>({-2.3, -0.7, -0.05, 0.4, 1.9, 6.0});
    const double alpha = 0.3, eps = 1e-6;
    for (Activation f : all_activations) {
        SCOPED_TRACE(activation_name(f));
        const Array<double> d = activation_derivative(f, z, alpha);
        const Array<double> up = activate(f, Array<double>(z + eps), alpha);
        const Array<double> down = activate(f, Array<double>(z - eps), alpha);
        for (std::size_t i = 0; i < z.size(); ++i) {
            EXPECT_NEAR(d(i), expected_derivative(f, alpha, z(i)), 1e-14) << "z = " << z(i);
            EXPECT_NEAR(d(i), (up(i) - down(i)) / (2 * eps), 1e-8) << "z = " << z(i);
        }
        // multiply_by_derivative is g ⊙ f'(z) with a = f(z).
        Array<double> g = Array<double>({1.0, -2.0, 3.0, 0.5, -1.0, 2.0});
        const Array<double> expected = g * d;
        multiply_by_derivative(f, alpha, z, activate(f, z, alpha), g);
        for (std::size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(g(i), expected(i), 1e-14);
    }
}

// At the kinks the derivative is PyTorch's choice, so autograd and the reference can agree exactly.
TEST(DeltaActivation, DerivativeAtTheKinks) {
    const Array<double> zero = Array<double>({0.0});
    ASSERT_EQ(zero.size(), 1u);
    EXPECT_EQ(activation_derivative(Activation::relu, zero, 0.0)(0), 0.0);
    EXPECT_EQ(activation_derivative(Activation::leaky_relu, zero, 0.25)(0), 0.25);
    EXPECT_EQ(activation_derivative(Activation::elu, zero, 1.5)(0), 1.5);
    EXPECT_EQ(activation_derivative(Activation::abs, zero, 0.0)(0), 0.0);
}

TEST(DeltaActivation, NamesRoundTrip) {
    for (Activation f : all_activations) EXPECT_EQ(parse_activation(activation_name(f)), f);
    EXPECT_STREQ(activation_name(Activation::leaky_relu), "leaky_relu");
    EXPECT_EQ(parse_activation("leaky-relu"), Activation::leaky_relu);
    EXPECT_DOUBLE_EQ(default_alpha(Activation::leaky_relu), 0.01);
    EXPECT_DOUBLE_EQ(default_alpha(Activation::elu), 1.0);
    try {
        parse_activation("swish");
        FAIL() << "parse_activation accepted \"swish\"";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("\"swish\""), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("softplus"), std::string::npos) << e.what();
    }
    for (Loss loss : {Loss::mse_half, Loss::mse, Loss::softmax_ce, Loss::bce}) EXPECT_EQ(parse_loss(loss_name(loss)), loss);
    EXPECT_EQ(parse_loss("softmax-ce"), Loss::softmax_ce);
    EXPECT_THROW(parse_loss("hinge"), ValueError);
}

}  // namespace
}  // namespace dg::reference
