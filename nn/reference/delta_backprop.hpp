// The delta recurrences of the notes on a whole batch, in matrix form: forward z(l), a(l); backward δ(l), ΔW(l),
// Δb(l). This is the independent reference autograd is checked against: it depends on the array layer (xt.hpp,
// errors.hpp) and the activation vocabulary (activation_kind.hpp) only.
#pragma once

#include <optional>
#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_loss.hpp"

namespace dg::reference {

/// One fully connected layer l: z(l) = a(l−1) W(l)^T + b(l), a(l) = f(z(l)).
/// W is [n_out, n_in] (PyTorch's and the notes' convention), b is [n_out].
template <class T>
struct LayerParams {
    Array<T> W;  ///< [n_out, n_in]
    Array<T> b;  ///< [n_out]
    ActivationKind activation = ActivationKind::identity;  ///< f
    std::optional<T> alpha;  ///< leaky_relu / elu parameter; unset means default_alpha(activation)

    /// The alpha actually used.
    T resolved_alpha() const { return alpha ? *alpha : static_cast<T>(default_alpha(activation)); }
};

/// An MLP: layers[0] is layer 1 of the notes, layers.back() the output layer L.
template <class T>
struct MlpParams {
    std::vector<LayerParams<T>> layers;  ///< layers[l − 1] is layer l
};

/// What the delta reference computes for one layer l (all [m, ·] arrays have the samples as rows).
template <class T>
struct LayerResult {
    Array<T> z;      ///< z(l) = a(l−1) W(l)^T + b(l), [m, n_out]
    Array<T> a;      ///< a(l) = f(z(l)); for softmax_ce / bce the softmax / sigmoid of z(L)
    Array<T> delta;  ///< δ(l) = ∂loss/∂z(l), [m, n_out], the 1/m factors of the loss included
    Array<T> dW;     ///< ΔW(l) = δ(l)^T a(l−1) + (λ/m) W(l), [n_out, n_in]
    Array<T> db;     ///< Δb(l) = Σ over the batch of δ(l), [n_out]
};

/// The full result of delta_backprop.
template <class T>
struct BackpropResult {
    T loss = 0;     ///< data loss + penalty
    T penalty = 0;  ///< the L2 part λ/(2m) Σ_l ‖W(l)‖²
    Array<T> input;                   ///< a(0) = X
    std::vector<LayerResult<T>> layers;  ///< layers[l − 1] is layer l

    /// a(l) with a(0) = X, as in the notes.
    const Array<T>& a(std::size_t l) const { return l == 0 ? input : layers.at(l - 1).a; }
};

/// Forward and backward pass of the delta recurrences on the batch X [m, n_in] with targets Y [m, n_out]:
///   δ(L) from the loss (see Loss), δ(l) = (δ(l+1) W(l+1)) ⊙ f'(z(l)),
///   ΔW(l) = δ(l)^T a(l−1) + (λ/m) W(l), Δb(l) = Σ_rows δ(l),
/// with the L2 penalty λ/(2m) Σ_l ‖W(l)‖² on the weights only (lambda = 0: none).
/// Throws dg::ShapeError for shapes that do not fit (the message names the layer, the actual and the expected
/// shape) and dg::ValueError for an empty network, a negative or non-finite lambda, or an output activation
/// the loss does not allow.
template <class T>
BackpropResult<T> delta_backprop(const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss,
                                 T lambda = T(0));

/// The loss (penalty included) of the same forward pass, without the backward pass: for finite differences.
template <class T>
T delta_loss(const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lambda = T(0));

}  // namespace dg::reference
