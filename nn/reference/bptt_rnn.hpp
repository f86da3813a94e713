// Backpropagation through time for the Elman network, on plain arrays (never autograd): the textbook's per-step
// recurrences, several layers, a linear head with the loss at every step or at the last. The reference that
// autograd's rnn_sequence is checked against; it links the array layer and the MLP reference's pieces only.
#pragma once

#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/bptt_common.hpp"

namespace dg::reference {

/// One Elman layer, PyTorch's layout: z_t = x_t W_ih^T + b_ih + h_{t−1} W_hh^T + b_hh, h_t = f(z_t), with W_ih [H, C],
/// W_hh [H, H], b_ih and b_hh [H]. f is an elementwise activation with a formula (PyTorch's RNN has tanh and relu);
/// leaky_relu and elu use their default α.
template <class T>
struct RnnLayerParams {
    Array<T> W_ih;  ///< input weights, [H, C]
    Array<T> W_hh;  ///< recurrent weights, [H, H]
    Array<T> b_ih;  ///< input bias, [H]
    Array<T> b_hh;  ///< recurrent bias, [H]
    ActivationKind activation = ActivationKind::tanh;  ///< f
};

/// An Elman network: layers[0] reads the input x_t, layers[l] reads the states h_t of layers[l − 1], and the head
/// reads the states of the last layer.
template <class T>
struct RnnParams {
    std::vector<RnnLayerParams<T>> layers;  ///< bottom (reads x_t) to top
    HeadParams<T> head;                     ///< the linear head on the top layer's states
};

/// One layer's quantities, one [N, H] array per step, the steps in order (index t − 1 holds the notes' step t), and
/// its gradients (RecurrentLayerGradients: ΔW_ih, ΔW_hh, Δb_ih, Δb_hh, ∂l/∂h_0).
template <class T>
struct RnnLayerResult : RecurrentLayerGradients<T> {
    std::vector<Array<T>> z;      ///< z_t = x_t W_ih^T + b_ih + h_{t−1} W_hh^T + b_hh
    std::vector<Array<T>> h;      ///< h_t = f(z_t)
    std::vector<Array<T>> delta;  ///< δ_t = ∂l/∂z_t
};

/// The full result of bptt_rnn.
template <class T>
using RnnResult = RecurrentResult<T, RnnLayerResult<T>>;

/// The Elman network's forward pass and backpropagation through time on the batch X [T, N, C] (T steps of N
/// sequences), initial states h0 (one [N, H] per layer, or empty for zeros) and targets Y (see validate_head).
/// With samples as rows, the textbook's W^T δ is δ W here:
///
///   forward, each layer, t = 1 … T:   z_t = x_t W_ih^T + b_ih + h_{t−1} W_hh^T + b_hh,   h_t = f(z_t)
///   head:     z = h W_out^T + b_out on the rows of the steps where the loss is taken; δ_out = ∂l/∂z (delta_loss.hpp)
///   backward, from the last layer down, t = T … 1, with δ_{T+1} = 0:
///     δ_t = (∂l/∂h_t + δ_{t+1} W_hh) ⊙ f'(z_t)         (column form: δ_t = (W_hh^T δ_{t+1} + ∂l_t/∂h_t) ⊙ f'(z_t))
///       ∂l/∂h_t from above: δ_out W_out on the last layer (0 at a step without loss), δ_t W_ih of the layer above
///       on the others
///     ΔW_ih = Σ_t δ_t^T x_t,   ΔW_hh = Σ_t δ_t^T h_{t−1},   Δb_ih = Δb_hh = Σ_t Σ_rows δ_t
///     ∂l/∂h_0 = δ_1 W_hh,   ∂l/∂x_t = δ_t W_ih
///
/// Throws dg::ShapeError for shapes that do not fit (naming the layer, the actual and the expected shape) and
/// dg::ValueError for an empty network or an activation without a formula.
template <class T>
RnnResult<T> bptt_rnn(const RnnParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                      Loss loss, LossAt at);

/// The loss of the same forward pass, without the backward pass: for finite differences.
template <class T>
T bptt_rnn_loss(const RnnParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                Loss loss, LossAt at);

}  // namespace dg::reference
