// all_close (NumPy allclose) for arrays and tensors, as gtest assertions that print the worst element on failure.
// Header-only, shared by every test suite (autograd, nn, optim).
#pragma once

#include <cmath>
#include <cstring>
#include <sstream>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "autograd/tensor.hpp"

namespace dg::test {

/// all_close (named so ADL never picks xt::allclose): every |a - b| <= atol + rtol*|b| and the shapes are equal; NaN never matches.
template <class T>
::testing::AssertionResult all_close(const Array<T>& a, const Array<T>& b, double atol = 1e-12, double rtol = 1e-9) {
    if (shape_of(a) != shape_of(b))
        return ::testing::AssertionFailure() << "shapes differ: " << shape_str(shape_of(a)) << " vs "
                                             << shape_str(shape_of(b));
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a.data()[i], y = b.data()[i];
        if (!(std::abs(x - y) <= atol + rtol * std::abs(y)))
            return ::testing::AssertionFailure() << "element " << i << ": " << x << " vs " << y << " (diff "
                                                 << std::abs(x - y) << ", atol " << atol << ", rtol " << rtol << ")";
    }
    return ::testing::AssertionSuccess();
}

/// Two tensors. B is a template parameter so that all_close(t, {}, {1.0}) (shape, values) never binds `{}`
/// to an undefined Tensor.
template <class T, class B, class = std::enable_if_t<std::is_same_v<B, Tensor<T>>>>
::testing::AssertionResult all_close(const Tensor<T>& a, const B& b, double atol = 1e-12, double rtol = 1e-9) {
    if (!a.defined() || !b.defined()) return ::testing::AssertionFailure() << "undefined tensor";
    return all_close(a.value(), b.value(), atol, rtol);
}

/// A tensor against an expected array given as flat values and a shape.
template <class T>
::testing::AssertionResult all_close(const Tensor<T>& a, const Shape& shape, const std::vector<double>& expected,
                                    double atol = 1e-12, double rtol = 1e-9) {
    if (!a.defined()) return ::testing::AssertionFailure() << "undefined tensor";
    Array<T> e = Array<T>::from_shape(shape);
    if (e.size() != expected.size())
        return ::testing::AssertionFailure() << "test bug: " << expected.size() << " values for shape "
                                             << shape_str(shape);
    for (std::size_t i = 0; i < e.size(); ++i) e.data()[i] = static_cast<T>(expected[i]);
    return all_close(a.value(), e, atol, rtol);
}

/// Same shape and the same bytes: exact equality, NaN payloads and the sign of zero included.
template <class T>
bool same_bits(const Array<T>& a, const Array<T>& b) {
    return shape_of(a) == shape_of(b) && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace dg::test
