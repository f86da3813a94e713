// The textbook's operations on one plane (a 2-d array [rows, cols]) that the conv delta recurrences are written with:
// zero padding, dilation (zeros between entries), rotation by 180° and the valid cross-correlation with a stride.
// Plain loops on arrays, no autograd and no GEMM: the reference must be independent of what it checks.
#pragma once

#include <cstddef>

#include "autograd/array/xt.hpp"

namespace dg::reference {

/// pad(A; top, bottom, left, right): A surrounded by zeros, [rows + top + bottom, cols + left + right].
template <class T>
Array<T> pad_plane(const Array<T>& a, std::size_t top, std::size_t bottom, std::size_t left, std::size_t right);

/// dilate(A; s_r, s_c): s − 1 zeros inserted between neighbouring entries along each axis,
/// [(rows − 1)·s_r + 1, (cols − 1)·s_c + 1]; dilate(A; 1, 1) = A. A stride-s layer's δ dilated by s lines up with
/// the input positions its outputs were computed at.
template <class T>
Array<T> dilate_plane(const Array<T>& a, std::size_t s_rows, std::size_t s_cols);

/// rot180(K)[u, v] = K[k_r − 1 − u, k_c − 1 − v]: the flipped kernel of the δ recurrence.
template <class T>
Array<T> rotate180(const Array<T>& k);

/// corr(A, K; s_r, s_c)[i, j] = Σ_{u, v} A[i·s_r + u, j·s_c + v] · K[u, v]: the valid cross-correlation with a stride,
/// [(rows − k_r)/s_r + 1, (cols − k_c)/s_c + 1] (rows and cols at least the kernel's; ShapeError otherwise).
template <class T>
Array<T> correlate(const Array<T>& a, const Array<T>& k, std::size_t s_rows = 1, std::size_t s_cols = 1);

/// The plane [n, c] of a 4-d array [N, C, H, W], as a copy [H, W].
template <class T>
Array<T> plane(const Array<T>& x, std::size_t n, std::size_t c);

/// x[n, c] += p, p a plane [H, W] of the 4-d array x.
template <class T>
void add_to_plane(Array<T>& x, std::size_t n, std::size_t c, const Array<T>& p);

}  // namespace dg::reference
