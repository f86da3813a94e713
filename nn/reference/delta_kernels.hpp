// Internal building blocks shared by delta_backprop and delta_sgd_step: shape checks with clear messages, buffer
// sizing without reallocation, and the BLAS products of the recurrences (GEMM with transpose flags).
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::reference::detail {

/// Resizes out to rows × cols only when its shape differs, so a reused buffer is never reallocated.
template <class T>
void ensure_shape(Array<T>& out, std::size_t rows, std::size_t cols) {
    if (out.dimension() != 2 || out.shape()[0] != rows || out.shape()[1] != cols) out.resize({rows, cols});
}

/// Same for a vector of n elements.
template <class T>
void ensure_shape(Array<T>& out, std::size_t n) {
    if (out.dimension() != 1 || out.shape()[0] != n) out.resize({n});
}

/// Checks the network, the batch and the targets; fn names the public function in the messages.
/// Allocates nothing unless it throws.
template <class T>
void validate(const char* fn, const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lambda);

/// z = a_prev W^T + b for one layer, z sized to [m, n_out].
template <class T>
void linear_forward(const Array<T>& a_prev, const LayerParams<T>& layer, Array<T>& z);

/// The forward pass over all layers into z[l-1], a[l-1] (resized to the layer count; a(0) = X is not stored), the
/// output through the loss's output activation. Returns the loss including the L2 penalty, the penalty alone in
/// *penalty if given. Reuses the buffers' storage when the shapes are unchanged.
template <class T>
T forward_pass(const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lambda,
               std::vector<Array<T>>& z, std::vector<Array<T>>& a, T* penalty);

/// δ(l−1) = (δ(l) W(l)) ⊙ f'(z(l−1)), with f, z, a those of layer l−1.
template <class T>
void propagate_delta(const Array<T>& delta, const Array<T>& W, const LayerParams<T>& prev, const Array<T>& z_prev,
                     const Array<T>& a_prev, Array<T>& delta_prev);

/// out = Σ over the rows of delta (the batch): Δb without the loop over samples that the notes write.
template <class T>
void column_sums(const Array<T>& delta, Array<T>& out);

/// λ/(2m) Σ_l ‖W(l)‖².
template <class T>
T l2_penalty(const MlpParams<T>& net, T lambda, std::size_t m);

}  // namespace dg::reference::detail
