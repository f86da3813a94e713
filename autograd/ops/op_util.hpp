// Helpers shared by the op files (internal): axis normalisation, constant masks, the gradient list type.
#pragma once

#include <string>

#include "autograd/ops.hpp"

namespace dg::detail {

template <class T>
using Grads = std::vector<Tensor<T>>;
template <class T>
using Inputs = std::vector<Tensor<T>>;

/// Maps a possibly negative axis into [0, ndim); throws ValueError naming the op otherwise.
inline std::size_t normalize_axis(int axis, std::size_t ndim, const char* op) {
    const long a = axis < 0 ? axis + static_cast<long>(ndim) : axis;
    if (a < 0 || a >= static_cast<long>(ndim))
        throw ValueError(std::string(op) + ": axis " + std::to_string(axis) + " out of range for a " +
                         std::to_string(ndim) + "-d tensor");
    return static_cast<std::size_t>(a);
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

/// Checks that two operands broadcast (only when their shapes differ: the common case costs nothing).
template <class T>
void check_broadcast(const Tensor<T>& a, const Tensor<T>& b, const char* op) {
    if (!dg::equal_shapes(a.value(), b.value())) broadcast_shape(a.shape(), b.shape(), op);
}

/// Elementwise kernels on contiguous data: out[i] = f(a[i]) or f(a[i], b[i]). Plain loops over raw pointers that
/// the compiler vectorises (-O3, -march=native); for tiny tensors they skip xtensor's expression machinery,
/// which costs more than the arithmetic (the per-op overhead benchmark). Callers handle broadcasting.
template <class T, class F>
Array<T> map(const Array<T>& a, F f) {
    Array<T> out = Array<T>::from_shape(a.shape());
    const T* pa = a.data();
    T* po = out.data();
    for (std::size_t i = 0, n = out.size(); i < n; ++i) po[i] = f(pa[i]);
    return out;
}
template <class T, class F>
Array<T> zip(const Array<T>& a, const Array<T>& b, F f) {
    Array<T> out = Array<T>::from_shape(a.shape());
    const T* pa = a.data();
    const T* pb = b.data();
    T* po = out.data();
    for (std::size_t i = 0, n = out.size(); i < n; ++i) po[i] = f(pa[i], pb[i]);
    return out;
}

/// a * s elementwise (a scale by a number, the common case of mul by a 0-d tensor).
template <class T>
Array<T> scale(const Array<T>& a, T s) {
    return map(a, [s](T x) { return x * s; });
}

/// True when a and b have the same shape, so zip() applies (compared without building Shape vectors).
template <class T>
bool same_shape(const Tensor<T>& a, const Tensor<T>& b) {
    return dg::equal_shapes(a.value(), b.value());
}

}  // namespace dg::detail
