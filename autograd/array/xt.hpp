// The one header that includes xtensor and xtensor-blas: the array type, the shape type and the
// version shim every other file uses. Nothing else in deltagrad includes an xtensor header directly.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12 warns that its own AVX-512 intrinsics read an uninitialised '__Y' wherever xsimd's math inlines them
// (GCC bug 105593, fixed after 12.2): a false positive, silenced for that header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
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

#include "autograd/kernels/blas.hpp"
#include "autograd/array/errors.hpp"
#include "autograd/kernels/pool.hpp"

#if !defined(XTENSOR_VERSION_MAJOR) || XTENSOR_VERSION_MAJOR != 0 || XTENSOR_VERSION_MINOR < 24
#error "deltagrad needs xtensor 0.24.x (Debian's libxtensor-dev)"
#endif

namespace dg {

/// Dense row-major n-dimensional array: the storage under every Tensor. Its buffers come from the per-thread
/// block cache (pool.hpp), 64-byte aligned.
template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major, pool::Allocator<T>>;

/// A shape: one extent per dimension, outermost first. A scalar has the empty shape {}.
using Shape = std::vector<std::size_t>;

/// The shape of an array as a Shape (xtensor's own shape type is an svector).
template <class E>
Shape shape_of(const E& e) {
    return Shape(e.shape().begin(), e.shape().end());
}

/// True when two arrays have the same shape. An inline loop: xtensor's operator== on shapes calls memcmp, which
/// was a measurable part of the per-op cost on tiny tensors (each op compares shapes two or three times).
template <class A, class B>
bool equal_shapes(const A& a, const B& b) {
    const auto& sa = a.shape();
    const auto& sb = b.shape();
    if (sa.size() != sb.size()) return false;
    for (std::size_t i = 0; i < sa.size(); ++i)
        if (sa[i] != sb[i]) return false;
    return true;
}

/// "[3, 4]" — how every error message prints a shape.
std::string shape_str(const Shape& s);

/// C = alpha·op(A)·op(B) + beta·C for row-major 2-d arrays, through blas::gemm (split over deltagrad's threads
/// when large). The caller has checked that the inner extents agree; C's shape is checked here.
template <class T>
void gemm_into(const Array<T>& a, bool ta, const Array<T>& b, bool tb, Array<T>& c, T alpha = T(1), T beta = T(0)) {
    const std::size_t m = ta ? a.shape()[1] : a.shape()[0], k = ta ? a.shape()[0] : a.shape()[1];
    const std::size_t n = tb ? b.shape()[0] : b.shape()[1];
    if (c.dimension() != 2 || c.shape()[0] != m || c.shape()[1] != n)
        throw ShapeError("gemm: the output has shape " + shape_str(shape_of(c)) + ", expected [" + std::to_string(m) +
                         ", " + std::to_string(n) + "]");
    blas::gemm(ta, tb, m, n, k, alpha, a.data(), a.shape()[1], b.data(), b.shape()[1], beta, c.data(), n);
}

/// a += b in place (a takes the broadcast shape where the shapes differ). Same shapes take a plain loop: at tiny sizes
/// xtensor's assignment costs more than the sum, and gradient accumulation runs this for every reuse of a tensor.
template <class T>
void add_into(Array<T>& a, const Array<T>& b) {
    if (!equal_shapes(a, b)) {
        a = a + b;
        return;
    }
    T* pa = a.data();
    const T* pb = b.data();
    for (std::size_t i = 0, n = a.size(); i < n; ++i) pa[i] += pb[i];
}

/// Reductions evaluated immediately: xtensor's lazy reducers are several times slower here.
inline constexpr auto immediate = xt::evaluation_strategy::immediate;

}  // namespace dg
