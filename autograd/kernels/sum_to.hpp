// sum_to_array: an array summed over its broadcast axes, the kernel behind the sum_to op (autograd/broadcast.hpp)
// and sum along an axis; row_sum, the sum of one contiguous row.
#pragma once

#include "autograd/array/xt.hpp"

namespace dg {

/// Sums `a` over its leading axes and the axes where `shape` has 1, so the result has `shape` (`a`'s shape must be a
/// broadcast of it; ShapeError otherwise).
template <class T>
Array<T> sum_to_array(const Array<T>& a, const Shape& shape);

/// Σ row[0..len) in 8 running sums: one chain of dependent additions would cost an addition's latency per element (a
/// convolution's bias gradient sums rows of 784 pixels). sum_to_array sums a reduced last axis with it.
template <class T>
T row_sum(const T* row, std::size_t len);

extern template Array<float> sum_to_array(const Array<float>&, const Shape&);
extern template Array<double> sum_to_array(const Array<double>&, const Shape&);
extern template float row_sum(const float*, std::size_t);
extern template double row_sum(const double*, std::size_t);

}  // namespace dg
