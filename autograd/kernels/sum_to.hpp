// sum_to_array: an array summed over its broadcast axes, the kernel behind the sum_to op (autograd/broadcast.hpp)
// and sum along an axis.
#pragma once

#include "autograd/array/xt.hpp"

namespace dg {

/// Sums `a` over its leading axes and the axes where `shape` has 1, so the result has `shape` (`a`'s shape must be a
/// broadcast of it; ShapeError otherwise).
template <class T>
Array<T> sum_to_array(const Array<T>& a, const Shape& shape);

extern template Array<float> sum_to_array(const Array<float>&, const Shape&);
extern template Array<double> sum_to_array(const Array<double>&, const Shape&);

}  // namespace dg
