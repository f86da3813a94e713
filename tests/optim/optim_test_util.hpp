// Helpers for the optimizer tests: parameters from plain values, gradients set through a real backward,
// per-type tolerances, and the typed-test list (float, double).
#pragma once

#include <cmath>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "nn/optim/optim.hpp"

namespace dg::optim::test {

using FloatTypes = ::testing::Types<float, double>;

/// A 1-D leaf that requires grad, holding `values`.
template <class T>
Tensor<T> param(const std::vector<double>& values) {
    Array<T> a = Array<T>::from_shape({values.size()});
    for (std::size_t i = 0; i < values.size(); ++i) a.data()[i] = static_cast<T>(values[i]);
    return Tensor<T>(a, true);
}

/// Makes p.grad() equal `g` exactly, through a backward of sum(p * g) (d/dp = g).
template <class T>
void set_grad(Tensor<T>& p, const std::vector<double>& g) {
    p.zero_grad();
    Array<T> c = Array<T>::from_shape(p.shape());
    for (std::size_t i = 0; i < g.size(); ++i) c.data()[i] = static_cast<T>(g[i]);
    sum(mul(p, Tensor<T>(c))).backward();
}

/// The values of a tensor as doubles.
template <class T>
std::vector<double> values(const Tensor<T>& t) {
    std::vector<double> out;
    for (std::size_t i = 0; i < t.numel(); ++i) out.push_back(t.at(i));
    return out;
}

/// Relative tolerance of a comparison against a double reference: float keeps ~7 digits.
template <class T>
double rtol() {
    return std::is_same<T, float>::value ? 2e-6 : 1e-13;
}

/// Every element of `got` within atol + rtol*|expected| of `expected`.
template <class T>
::testing::AssertionResult near(const Tensor<T>& got, const std::vector<double>& expected, double atol = 1e-7) {
    if (got.numel() != expected.size()) return ::testing::AssertionFailure() << "size " << got.numel();
    const double a = std::is_same<T, float>::value ? atol : 1e-14;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double x = got.at(i);
        if (!(std::abs(x - expected[i]) <= a + rtol<T>() * std::abs(expected[i])))
            return ::testing::AssertionFailure() << "element " << i << ": got " << x << ", expected " << expected[i];
    }
    return ::testing::AssertionSuccess();
}

/// The two-step fixture every optimizer's hand-computed test uses: start w0, gradients g1 then g2.
inline const std::vector<double> w0{0.5, -1.5, 2.0};
inline const std::vector<double> g1{0.1, -0.4, 0.0};
inline const std::vector<double> g2{-0.3, 0.2, 0.05};

/// Runs two steps of `opt` on p with gradients g1 then g2; returns the values after each step.
template <class T, class Opt>
std::pair<Tensor<T>, Tensor<T>> two_steps(Opt& opt, Tensor<T>& p) {
    set_grad(p, g1);
    opt.step();
    Tensor<T> after1 = p.detach();
    set_grad(p, g2);
    opt.step();
    return {after1, p.detach()};
}

/// Two steps of `opt` on p (which holds w0) against reference(w, g_first, g_second): the values one element takes
/// after each step, written out in plain doubles.
template <class T, class Opt, class Reference>
void expect_two_steps(Opt& opt, Tensor<T>& p, const Reference& reference) {
    const auto [s1, s2] = two_steps<T>(opt, p);
    std::vector<double> e1, e2;
    for (std::size_t k = 0; k < w0.size(); ++k) {
        const std::pair<double, double> expected = reference(w0[k], g1[k], g2[k]);
        e1.push_back(expected.first);
        e2.push_back(expected.second);
    }
    EXPECT_TRUE(near(s1, e1));
    EXPECT_TRUE(near(s2, e2));
}

}  // namespace dg::optim::test
