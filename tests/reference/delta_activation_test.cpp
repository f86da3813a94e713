// Each activation and its hand-written derivative: values, finite differences away from the kinks, the
// convention at the kinks, the kinds without a formula refused; the loss names.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_loss.hpp"
#include "reference/reference_test_util.hpp"
#include "support/expect_throw.hpp"

namespace dg::reference {
namespace {

using test::all_activations;

TEST(DeltaActivation, ValuesAtKnownPoints) {
    const Array<double> z = Array<double>({-2.0, 0.0, 1.5});
    auto at = [&](ActivationKind f, double alpha, std::size_t i) { return activate(f, z, alpha)(i); };
    EXPECT_DOUBLE_EQ(at(ActivationKind::identity, 0, 0), -2.0);
    EXPECT_DOUBLE_EQ(at(ActivationKind::sigmoid, 0, 1), 0.5);
    EXPECT_DOUBLE_EQ(at(ActivationKind::sigmoid, 0, 2), 1 / (1 + std::exp(-1.5)));
    EXPECT_DOUBLE_EQ(at(ActivationKind::tanh, 0, 0), std::tanh(-2.0));
    EXPECT_DOUBLE_EQ(at(ActivationKind::relu, 0, 0), 0.0);
    EXPECT_DOUBLE_EQ(at(ActivationKind::relu, 0, 2), 1.5);
    EXPECT_DOUBLE_EQ(at(ActivationKind::leaky_relu, 0.1, 0), -0.2);
    EXPECT_DOUBLE_EQ(at(ActivationKind::leaky_relu, 0.1, 2), 1.5);
    EXPECT_DOUBLE_EQ(at(ActivationKind::elu, 2.0, 0), 2.0 * (std::exp(-2.0) - 1));
    EXPECT_DOUBLE_EQ(at(ActivationKind::elu, 2.0, 2), 1.5);
    EXPECT_DOUBLE_EQ(at(ActivationKind::softplus, 0, 1), std::log(2.0));
    EXPECT_DOUBLE_EQ(at(ActivationKind::softplus, 0, 2), std::log(1 + std::exp(1.5)));
    EXPECT_DOUBLE_EQ(at(ActivationKind::abs, 0, 0), 2.0);
}

// The formulas of the notes, written again here independently of the library.
double expected_derivative(ActivationKind f, double alpha, double z) {
    const double s = 1 / (1 + std::exp(-z));
    switch (f) {
        case ActivationKind::identity: return 1;
        case ActivationKind::sigmoid: return s * (1 - s);
        case ActivationKind::tanh: return 1 - std::tanh(z) * std::tanh(z);
        case ActivationKind::relu: return z > 0 ? 1 : 0;
        case ActivationKind::leaky_relu: return z > 0 ? 1 : alpha;
        case ActivationKind::elu: return z > 0 ? 1 : alpha * std::exp(z);
        case ActivationKind::softplus: return s;
        case ActivationKind::abs: return z > 0 ? 1 : z < 0 ? -1 : 0;
    }
    return NAN;
}

TEST(DeltaActivation, DerivativeMatchesFormulaAndFiniteDifferences) {
    const Array<double> z = Array<double>({-2.3, -0.7, -0.05, 0.4, 1.9, 6.0});
    const double alpha = 0.3, eps = 1e-6;
    for (ActivationKind f : all_activations) {
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
    EXPECT_EQ(activation_derivative(ActivationKind::relu, zero, 0.0)(0), 0.0);
    EXPECT_EQ(activation_derivative(ActivationKind::leaky_relu, zero, 0.25)(0), 0.25);
    EXPECT_EQ(activation_derivative(ActivationKind::elu, zero, 1.5)(0), 1.5);
    EXPECT_EQ(activation_derivative(ActivationKind::abs, zero, 0.0)(0), 0.0);
}

// Names of the activations are the vocabulary's (activation_kind_test.cpp); the reference refuses the kinds it has
// no formula for.
TEST(DeltaActivation, KindsWithoutAFormulaAreRefused) {
    const Array<double> z = Array<double>({0.5});
    for (ActivationKind f : {ActivationKind::softmax, ActivationKind::log_softmax, ActivationKind::custom}) {
        EXPECT_FALSE(has_formula(f));
        EXPECT_THROW_MSG(activate(f, z, 0.0), ValueError, "activate_into", "no formula for", activation_name(f));
        Array<double> g = z;
        EXPECT_THROW_MSG(multiply_by_derivative(f, 0.0, z, z, g), ValueError, "no formula for", activation_name(f));
    }
    EXPECT_EQ(all_activations.size(), 8u);  // identity to abs
}

TEST(DeltaLoss, NamesRoundTrip) {
    for (Loss loss : {Loss::mse_half, Loss::mse, Loss::softmax_ce, Loss::bce}) EXPECT_EQ(parse_loss(loss_name(loss)), loss);
    EXPECT_EQ(parse_loss("softmax-ce"), Loss::softmax_ce);
    EXPECT_THROW(parse_loss("hinge"), ValueError);
}

}  // namespace
}  // namespace dg::reference
