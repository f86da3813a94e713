// Helpers shared by the op files (internal): axis normalisation, constant masks, the gradient list type, and the
// block copies under index_select and slice (take_along) and their adjoint (add_along).
#pragma once

#include <algorithm>
#include <string>

#include "autograd/ops.hpp"

namespace dg::detail {

template <class T>
using Grads = TensorList<T>;
template <class T>
using Inputs = TensorList<T>;

/// Maps a possibly negative axis into [0, ndim); throws ValueError naming the op otherwise.
inline std::size_t normalize_axis(int axis, std::size_t ndim, const char* op) {
    const long a = axis < 0 ? axis + static_cast<long>(ndim) : axis;
    if (a < 0 || a >= static_cast<long>(ndim))
        throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " out of range for a " +
                         std::to_string(ndim) + "-d tensor");
    return static_cast<std::size_t>(a);
}

/// Maps a possibly negative position for a new axis into [0, ndim] (unsqueeze, stack; -1 appends one); throws
/// ValueError naming the op otherwise.
inline std::size_t normalize_new_axis(int axis, std::size_t ndim, const char* op) {
    const long n = static_cast<long>(ndim);
    const long a = axis < 0 ? axis + n + 1 : axis;
    if (a < 0 || a > n)
        throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " out of range for a new axis of a " +
                         std::to_string(ndim) + "-d tensor (expected " + std::to_string(-n - 1) + " to " +
                         std::to_string(n) + ")");
    return static_cast<std::size_t>(a);
}

/// The extents before `axis` multiplied (outer) and after it (inner): a row-major tensor is [outer, axis, inner].
inline void split_at(const Shape& s, std::size_t axis, std::size_t& outer, std::size_t& inner) {
    outer = 1;
    inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
    for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
}

/// Checks that `index`, found at `position` of the op's indices, is below `extent`, the length of `axis`; a
/// ValueError naming the op, the index, its position and the extent otherwise.
inline void check_index(const char* op, std::size_t index, std::size_t position, std::size_t axis,
                        std::size_t extent) {
    if (index >= extent)
        throw ValueError(std::string(op) + ": index " + std::to_string(index) + " at position " +
                         std::to_string(position) + " out of range for axis " + std::to_string(axis) +
                         " of extent " + std::to_string(extent));
}

/// y[o, i, :] = x[o, picks[i], :], x seen as [outer, extent, inner] around `axis`: the slices of x at `picks` along
/// the axis, in that order (index_select, slice). The picks must be in range.
template <class T>
Array<T> take_along(const Array<T>& x, std::size_t axis, const std::vector<std::size_t>& picks) {
    Shape out = shape_of(x);
    std::size_t outer, inner;
    split_at(out, axis, outer, inner);
    const std::size_t extent = out[axis], n = picks.size();
    out[axis] = n;
    Array<T> y = Array<T>::from_shape(out);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < n; ++i)
            std::copy_n(x.data() + (o * extent + picks[i]) * inner, inner, y.data() + (o * n + i) * inner);
    return y;
}

/// zeros(shape) with y[o, picks[i], :] += src[o, i, :]: take_along's adjoint (a pick repeated accumulates).
template <class T>
Array<T> add_along(const Array<T>& src, const Shape& shape, std::size_t axis, const std::vector<std::size_t>& picks) {
    std::size_t outer, inner;
    split_at(shape, axis, outer, inner);
    const std::size_t extent = shape[axis], n = picks.size();
    Array<T> y = Array<T>::from_shape(shape);
    y.fill(T(0));
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < n; ++i) {
            const T* s = src.data() + (o * n + i) * inner;
            T* d = y.data() + (o * extent + picks[i]) * inner;
            for (std::size_t j = 0; j < inner; ++j) d[j] += s[j];
        }
    return y;
}

/// A constant (no grad) tensor from an array expression, evaluated now.
template <class T, class E>
Tensor<T> constant(E&& expr) {
    return Tensor<T>(Array<T>(std::forward<E>(expr)));
}

/// The shape of x with `axis` set to 1 (keepdim form).
inline Shape keepdim_shape(Shape s, std::size_t axis) {
    s[axis] = 1;
    return s;
}

/// Checks that two operands broadcast (only when their shapes differ: the common case costs nothing); true when their
/// shapes are equal, so that the caller need not compare them again.
template <class T>
bool check_broadcast(const Tensor<T>& a, const Tensor<T>& b, const char* op) {
    if (dg::equal_shapes(a.value(), b.value())) return true;
    broadcast_shape(a.shape(), b.shape(), op);
    return false;
}

/// An op's output node holding an array already computed (record() takes the node).
template <class T>
std::shared_ptr<Node<T>> output(Array<T>&& value) {
    return make_node(std::move(value));
}

/// Elementwise kernels on contiguous data: out[i] = f(a[i]) or f(a[i], b[i]), written straight into a new output
/// node. Plain loops over raw pointers that the compiler vectorises (-O3, -march=native); for tiny tensors they skip
/// xtensor's expression machinery, which costs more than the arithmetic (the per-op overhead benchmark). Callers
/// handle broadcasting.
template <class T, class F>
std::shared_ptr<Node<T>> map(const Array<T>& a, F f) {
    auto out = make_node<T>(a.shape());
    const T* pa = a.data();
    T* po = out->value.data();
    for (std::size_t i = 0, n = a.size(); i < n; ++i) po[i] = f(pa[i]);
    return out;
}
template <class T, class F>
std::shared_ptr<Node<T>> zip(const Array<T>& a, const Array<T>& b, F f) {
    auto out = make_node<T>(a.shape());
    const T* pa = a.data();
    const T* pb = b.data();
    T* po = out->value.data();
    for (std::size_t i = 0, n = a.size(); i < n; ++i) po[i] = f(pa[i], pb[i]);
    return out;
}

/// a * s elementwise (a scale by a number, the common case of mul by a 0-d tensor).
template <class T>
std::shared_ptr<Node<T>> scale(const Array<T>& a, T s) {
    return map(a, [s](T x) { return x * s; });
}

}  // namespace dg::detail
