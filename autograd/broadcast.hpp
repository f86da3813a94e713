// NumPy broadcasting: the common shape of two operands, and sum_to(), the one place where a broadcast
// gradient is reduced back to its input's shape (the engine calls it when it accumulates).
#pragma once

#include "autograd/tensor.hpp"

namespace dg {

/// The broadcast shape of a and b (NumPy rules: align trailing dims; each pair equal or one of them 1).
/// Throws ShapeError naming `op` and both shapes when they do not broadcast.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op = "broadcast");

/// sum_to: x reduced by summation to `shape` (x's shape must be a broadcast of `shape`).
/// grad_x = broadcast_to(grad, x.shape)
template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape);

}  // namespace dg
