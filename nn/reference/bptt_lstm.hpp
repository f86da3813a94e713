// Backpropagation through time for the LSTM, on plain arrays (never autograd): the gates' recurrences and the
// cell state's, carried back through the forget gate, several layers, the head of bptt_head.hpp. The reference
// that autograd's lstm_sequence is checked against.
#pragma once

#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/bptt_common.hpp"

namespace dg::reference {

/// One LSTM layer, PyTorch's layout: W_ih [4H, C], W_hh [4H, H], b_ih and b_hh [4H], each with the four gate blocks
/// i, f, g, o stacked in that order.
template <class T>
struct LstmLayerParams {
    Array<T> W_ih;  ///< input weights, [4H, C]
    Array<T> W_hh;  ///< recurrent weights, [4H, H]
    Array<T> b_ih;  ///< input bias, [4H]
    Array<T> b_hh;  ///< recurrent bias, [4H]
};

/// An LSTM network: layers[0] reads the input, layers[l] the states h_t of layers[l − 1]; the head reads the last.
template <class T>
struct LstmParams {
    std::vector<LstmLayerParams<T>> layers;  ///< bottom (reads x_t) to top
    HeadParams<T> head;                      ///< the linear head on the top layer's states
};

/// One layer's quantities, one array per step, the steps in order (index t − 1 holds the notes' step t); all
/// [N, H] but a and delta, [N, 4H] with the blocks i, f, g, o. Its gradients: RecurrentLayerGradients (ΔW_ih, ΔW_hh,
/// Δb_ih, Δb_hh, ∂l/∂h_0 = δ_1 W_hh) and ∂l/∂c_0.
template <class T>
struct LstmLayerResult : RecurrentLayerGradients<T> {
    std::vector<Array<T>> a;           ///< the pre-activations a_t = x_t W_ih^T + b_ih + h_{t−1} W_hh^T + b_hh
    std::vector<Array<T>> i;           ///< the input gate σ(a_i)
    std::vector<Array<T>> f;           ///< the forget gate σ(a_f)
    std::vector<Array<T>> g;           ///< the candidate tanh(a_g)
    std::vector<Array<T>> o;           ///< the output gate σ(a_o)
    std::vector<Array<T>> c;           ///< c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    std::vector<Array<T>> h;           ///< h_t = o_t ⊙ tanh(c_t)
    std::vector<Array<T>> delta;       ///< δ_t = ∂l/∂a_t: the blocks δi, δf, δg, δo
    std::vector<Array<T>> eps;         ///< ε_t = ∂l/∂c_t, through h_t and through c_{t+1}
    Array<T> dc0;                      ///< ∂l/∂c_0 = ε_1 ⊙ f_1
};

/// The full result of bptt_lstm.
template <class T>
using LstmResult = RecurrentResult<T, LstmLayerResult<T>>;

/// The LSTM's forward pass and backpropagation through time on the batch X [T, N, C], initial states h0 and c0 (one
/// [N, H] per layer each, or empty for zeros) and targets Y (see validate_head). Samples are rows (W^T δ is δ W):
///
///   forward, each layer, t = 1 … T:   a_t = x_t W_ih^T + b_ih + h_{t−1} W_hh^T + b_hh, split into a_i, a_f, a_g, a_o
///     i_t = σ(a_i),  f_t = σ(a_f),  g_t = tanh(a_g),  o_t = σ(a_o)
///     c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(c_t)
///   backward, from the last layer down, t = T … 1, with δ_{T+1} = 0 and ε_{T+1} = 0:
///     e_t  = ∂l/∂h_t + δ_{t+1} W_hh                                 (∂l/∂h_t from above, as bptt_rnn)
///     ε_t  = e_t ⊙ o_t ⊙ (1 − tanh²(c_t)) + ε_{t+1} ⊙ f_{t+1}          (the cell state carried back through f)
///     δo_t = e_t ⊙ tanh(c_t) ⊙ σ'(a_o),   δi_t = ε_t ⊙ g_t ⊙ σ'(a_i)
///     δf_t = ε_t ⊙ c_{t−1} ⊙ σ'(a_f),     δg_t = ε_t ⊙ i_t ⊙ tanh'(a_g),   δ_t = [δi_t, δf_t, δg_t, δo_t]
///     ΔW_ih = Σ_t δ_t^T x_t,   ΔW_hh = Σ_t δ_t^T h_{t−1},   Δb_ih = Δb_hh = Σ_t Σ_rows δ_t
///     ∂l/∂h_0 = δ_1 W_hh,   ∂l/∂c_0 = ε_1 ⊙ f_1,   ∂l/∂x_t = δ_t W_ih
///
/// Throws dg::ShapeError for shapes that do not fit and dg::ValueError for an empty network.
template <class T>
LstmResult<T> bptt_lstm(const LstmParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
                        const std::vector<Array<T>>& c0, const Array<T>& Y, Loss loss, LossAt at);

/// The loss of the same forward pass, without the backward pass: for finite differences.
template <class T>
T bptt_lstm_loss(const LstmParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
                 const std::vector<Array<T>>& c0, const Array<T>& Y, Loss loss, LossAt at);

}  // namespace dg::reference
