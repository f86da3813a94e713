// Backpropagation through time for the GRU, on plain arrays (never autograd): the reset and update gates, the candidate
// state and the interpolation between it and the previous state, step by step, and their recurrences back through
// time; several layers, the head of bptt_common.hpp. The reference that autograd's gru_sequence is checked against.
#pragma once

#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/bptt_common.hpp"

namespace dg::reference {

/// One GRU layer, PyTorch's layout: W_ih [3H, C], W_hh [3H, H], b_ih and b_hh [3H], each with the three blocks r, z, n
/// stacked in that order.
template <class T>
struct GruLayerParams {
    Array<T> W_ih;  ///< [3H, C]
    Array<T> W_hh;  ///< [3H, H]
    Array<T> b_ih;  ///< [3H]
    Array<T> b_hh;  ///< [3H]
};

/// A GRU network: layers[0] reads the input, layers[l] the states h_t of layers[l − 1]; the head reads the last.
template <class T>
struct GruParams {
    std::vector<GruLayerParams<T>> layers;  ///< the first layer first
    HeadParams<T> head;                     ///< the linear head on the last layer's states
};

/// One layer's quantities, one array per step, the steps in order (index t − 1 holds the notes' step t); r, z, n and h
/// are [N, H], the others [N, 3H] with the blocks r, z, n. Its gradients: RecurrentLayerGradients (ΔW_ih, ΔW_hh,
/// Δb_ih, Δb_hh, ∂l/∂h_0).
template <class T>
struct GruLayerResult : RecurrentLayerGradients<T> {
    std::vector<Array<T>> xp;       ///< x_t W_ih^T + b_ih
    std::vector<Array<T>> hp;       ///< h_{t−1} W_hh^T + b_hh
    std::vector<Array<T>> r;        ///< the reset gate σ(xp_r + hp_r)
    std::vector<Array<T>> z;        ///< the update gate σ(xp_z + hp_z)
    std::vector<Array<T>> n;        ///< the candidate state tanh(xp_n + r ⊙ hp_n)
    std::vector<Array<T>> h;        ///< h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
    std::vector<Array<T>> delta;    ///< δ_t = ∂l/∂xp_t (the r and z blocks: their pre-activations' gradients)
    std::vector<Array<T>> delta_h;  ///< ∂l/∂hp_t: δ_t with its n block multiplied by r_t
};

/// The full result of bptt_gru.
template <class T>
using GruResult = RecurrentResult<T, GruLayerResult<T>>;

/// The GRU's forward pass and backpropagation through time on the batch X [T, N, C], initial states h0 (one [N, H] per
/// layer, or empty for zeros) and targets Y (see validate_head). Samples are rows (W^T δ is δ W):
///
///   forward, each layer, t = 1 … T:   xp_t = x_t W_ih^T + b_ih,   hp_t = h_{t−1} W_hh^T + b_hh  (blocks r, z, n)
///     r_t = σ(xp_r + hp_r),   z_t = σ(xp_z + hp_z),   n_t = tanh(xp_n + r_t ⊙ hp_n)
///     h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}
///   backward, from the last layer down, t = T … 1, with e_t the gradient reaching h_t:
///     e_t  = ∂l/∂h_t + e_{t+1} ⊙ z_{t+1} + δh_{t+1} W_hh             (∂l/∂h_t from above, as bptt_rnn)
///     δn_t = e_t ⊙ (1 − z_t) ⊙ tanh'(·),   δz_t = e_t ⊙ (h_{t−1} − n_t) ⊙ σ'(·),   δr_t = δn_t ⊙ hp_n ⊙ σ'(·)
///     δ_t  = [δr_t, δz_t, δn_t] = ∂l/∂xp_t,   δh_t = [δr_t, δz_t, δn_t ⊙ r_t] = ∂l/∂hp_t
///     ΔW_ih = Σ_t δ_t^T x_t,   ΔW_hh = Σ_t δh_t^T h_{t−1},   Δb_ih = Σ_t Σ_rows δ_t,   Δb_hh = Σ_t Σ_rows δh_t
///     ∂l/∂h_0 = e_1 ⊙ z_1 + δh_1 W_hh,   ∂l/∂x_t = δ_t W_ih
///
/// Throws dg::ShapeError for shapes that do not fit and dg::ValueError for an empty network.
template <class T>
GruResult<T> bptt_gru(const GruParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                      Loss loss, LossAt at);

/// The loss of the same forward pass, without the backward pass: for finite differences.
template <class T>
T bptt_gru_loss(const GruParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                Loss loss, LossAt at);

}  // namespace dg::reference
