// make_tensor(shape, flat values): a tensor literal for any shape, e.g. a [3,1] column, which nested
// initializer lists cannot spell unambiguously ({{1.0}, {2.0}} also reads as a 1-d list); set_values: a
// parameter overwritten in place.
#pragma once

#include <algorithm>
#include <vector>

#include "autograd/engine.hpp"
#include "autograd/tensor.hpp"

namespace dg::test {

template <class T = double>
Tensor<T> make_tensor(const Shape& shape, const std::vector<double>& values, bool requires_grad = false) {
    Array<T> a = Array<T>::from_shape(shape);
    if (a.size() != values.size()) throw ValueError("make_tensor: value count does not match the shape");
    for (std::size_t i = 0; i < values.size(); ++i) a.data()[i] = static_cast<T>(values[i]);
    return Tensor<T>(std::move(a), requires_grad);
}

/// Overwrites a parameter's values in place under NoGradGuard (as a checkpoint loader would); the count must match.
template <class T>
void set_values(const Tensor<T>& p, const std::vector<double>& values) {
    NoGradGuard no_grad;
    Tensor<T> h = p;
    if (h.numel() != values.size()) throw ValueError("set_values: value count does not match the tensor");
    std::transform(values.begin(), values.end(), h.mutable_value().data(), [](double v) { return static_cast<T>(v); });
}

}  // namespace dg::test
