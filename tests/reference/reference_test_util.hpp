// Shared by the reference tests: every activation the reference has a formula for, in declaration order, array
// literals, seeded random arrays and targets, and the central difference the finite-difference checks use. (One
// place for each: the test sources are also compiled as one unity file, where two helpers of one name collide.)
#pragma once

#include <cmath>
#include <initializer_list>
#include <random>
#include <vector>

#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_loss.hpp"

namespace dg::reference::test {

/// The built-in kinds with has_formula(): identity to abs.
inline const std::vector<ActivationKind> all_activations = [] {
    std::vector<ActivationKind> kinds;
    for (ActivationKind f : builtin_activations)
        if (has_formula(f)) kinds.push_back(f);
    return kinds;
}();

/// T as a type that template argument deduction does not see through (std::type_identity, C++20).
template <class T>
struct Given {
    using type = T;  ///< T itself
};

/// A matrix from its rows (a braced list is ambiguous for xarray's constructors in copy-initialisation).
/// T is given, never deduced, so that integer literals make a double matrix: mat({{1, 0}, {0, 1}}).
template <class T = double>
Array<T> mat(std::initializer_list<std::initializer_list<typename Given<T>::type>> rows) { return Array<T>(rows); }
/// A vector from its values.
template <class T = double>
Array<T> vec(std::initializer_list<typename Given<T>::type> values) { return Array<T>(values); }

/// The logistic function 1 / (1 + e^(−z)), for hand-worked expectations.
inline double sigma(double z) { return 1.0 / (1.0 + std::exp(-z)); }

/// Normal(0, scale) entries of the given shape.
inline Array<double> random_array(std::mt19937_64& rng, const Shape& shape, double scale) {
    std::normal_distribution<double> normal(0.0, scale);
    Array<double> out = Array<double>::from_shape(shape);
    for (double& x : out) x = normal(rng);
    return out;
}

/// Targets [rows, K] that suit the loss: real values, probability rows, or values in (0, 1).
inline Array<double> random_targets(std::mt19937_64& rng, Loss loss, std::size_t rows, std::size_t K) {
    Array<double> y = random_array(rng, {rows, K}, 1.0);
    if (loss == Loss::softmax_ce) {
        for (std::size_t i = 0; i < rows; ++i) {
            double sum = 0;
            for (std::size_t j = 0; j < K; ++j) sum += (y(i, j) = std::exp(y(i, j)));
            for (std::size_t j = 0; j < K; ++j) y(i, j) /= sum;
        }
    } else if (loss == Loss::bce) {
        std::uniform_real_distribution<double> unit(0.05, 0.95);
        for (double& x : y) x = unit(rng);
    }
    return y;
}

/// (loss(x + ε) − loss(x − ε)) / 2ε with ε = 1e-5, for one entry x of some array the loss reads; x is restored.
template <class F>
double central_difference(double& x, F&& loss) {
    const double eps = 1e-5, saved = x;
    x = saved + eps;
    const double up = loss();
    x = saved - eps;
    const double down = loss();
    x = saved;
    return (up - down) / (2 * eps);
}

}  // namespace dg::reference::test
