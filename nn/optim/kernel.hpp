// The raw-array view an update loop works on: the parameter's value (mutable, under NoGradGuard) and its
// gradient as flat pointers. Internal to the optimizers.
#pragma once

#include <cstddef>
#include <string>

#include "autograd/array/errors.hpp"
#include "autograd/tensor.hpp"

namespace dg::optim::detail {

template <class T>
struct ParamView {
    T* w;           // the parameter's values, changed in place
    const T* grad;  // its gradient
    std::size_t n;  // element count of both
};

/// The value and gradient of `p` as flat arrays (both row-major, contiguous). Call under NoGradGuard:
/// mutable_value() refuses to change a leaf that requires grad while grad mode is on.
template <class T>
ParamView<T> param_and_grad(Tensor<T>& p, const std::string& who) {
    const Array<T>& grad = p.grad().value();
    Array<T>& value = p.mutable_value();
    if (grad.size() != value.size())
        throw ShapeError(who + ": gradient of shape " + shape_str(shape_of(grad)) + " for a parameter of shape " +
                         shape_str(shape_of(value)));
    return {value.data(), grad.data(), value.size()};
}

}  // namespace dg::optim::detail
