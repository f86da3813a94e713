// sum_to_into: an array summed over its broadcast axes, the kernel behind the sum_to op (autograd/broadcast.hpp)
// and sum along an axis; sum_to_array returns the result as a new array; row_sum, the sum of one contiguous row.
#pragma once

#include "autograd/array/xt.hpp"

namespace dg {

/// Sums `a` into `r` over a's leading axes and the axes where r's shape has 1 (r is overwritten; a's shape must be a
/// broadcast of r's, ShapeError otherwise). r is given rather than returned so that an op can sum straight into its
/// output node.
template <class T>
void sum_to_into(const Array<T>& a, Array<T>& r);

extern template void sum_to_into(const Array<float>&, Array<float>&);
extern template void sum_to_into(const Array<double>&, Array<double>&);

/// `a` summed into a new array of `shape`, as sum_to_into.
template <class T>
Array<T> sum_to_array(const Array<T>& a, const Shape& shape) {
    Array<T> r = Array<T>::from_shape(shape);
    sum_to_into(a, r);
    return r;
}

/// Σ row[0..len) in 8 running sums: one chain of dependent additions would cost an addition's latency per element (a
/// convolution's bias gradient sums rows of 784 pixels). sum_to_into sums a reduced last axis with it.
template <class T>
T row_sum(const T* row, std::size_t len);

extern template float row_sum(const float*, std::size_t);
extern template double row_sum(const double*, std::size_t);

}  // namespace dg
