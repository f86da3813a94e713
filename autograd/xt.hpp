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

#include "autograd/pool.hpp"

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

/// Runs the BLAS calls of its scope on one OpenBLAS thread when their work (m·n·k multiply-adds) is small, then
/// restores the thread count. Why: OpenBLAS splits every GEMM above ~262k multiply-adds over all its threads, and
/// below a few million the hand-off costs more than a second core gives (784-100-10 at batch 16: 100k samples/s
/// with 2 threads against 179k with 1; benchmarks/RESULTS.md). The thread count is process-wide: while a small
/// GEMM runs, a large one started by another thread runs on one thread too (slower, never wrong).
class SmallGemmGuard {
public:
    static constexpr std::size_t small_work = std::size_t(8) << 20;  // multiply-adds
    SmallGemmGuard(std::size_t m, std::size_t n, std::size_t k);
    ~SmallGemmGuard();
    SmallGemmGuard(const SmallGemmGuard&) = delete;
    SmallGemmGuard& operator=(const SmallGemmGuard&) = delete;

private:
    int restore_ = 0;  // the thread count to set back, 0 when unchanged
};

/// "[3, 4]" — how every error message prints a shape.
std::string shape_str(const Shape& s);

/// Reductions evaluated immediately: xtensor's lazy reducers are several times slower here.
inline constexpr auto immediate = xt::evaluation_strategy::immediate;

}  // namespace dg
