// The one header that includes xtensor and xtensor-blas: the array type, the shape type and the
// version shim every other file uses. Nothing else in deltagrad includes an xtensor header directly.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#include <xtensor-blas/xblas.hpp>
#include <xtensor-blas/xlinalg.hpp>

#if !defined(XTENSOR_VERSION_MAJOR) || XTENSOR_VERSION_MAJOR != 0 || XTENSOR_VERSION_MINOR < 24
#error "deltagrad needs xtensor 0.24.x (Debian's libxtensor-dev)"
#endif

namespace dg {

/// Dense row-major n-dimensional array: the storage under every Tensor.
template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major>;

/// A shape: one extent per dimension, outermost first. A scalar has the empty shape {}.
using Shape = std::vector<std::size_t>;

/// The shape of an array as a Shape (xtensor's own shape type is an svector).
template <class E>
Shape shape_of(const E& e) {
    return Shape(e.shape().begin(), e.shape().end());
}

/// "[3, 4]" — how every error message prints a shape.
std::string shape_str(const Shape& s);

/// Reductions evaluated immediately: xtensor's lazy reducers are several times slower here.
inline constexpr auto immediate = xt::evaluation_strategy::immediate;

}  // namespace dg
