// What the BPTT reference's Elman and LSTM networks share: where the loss is taken, the linear head on the top layer's
// states and the loss (delta_loss.hpp's, unchanged) with what it sends back into the recurrence (∂l/∂h_t for every
// step), the shape of their results, and the step-by-step helpers. Plain arrays only, like the rest of the reference.
#pragma once

#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::reference {

/// Where a recurrent network's loss is taken.
///  - every_step: the head reads h_t of every step; its outputs form ONE batch of T·N rows, step after step, for the
///    loss, so its batch factor is 1/(T·N) (softmax_ce is then the mean over all steps and sequences, as PyTorch's
///    cross_entropy on the flattened [T·N, K] logits);
///  - last_step: the head reads h_T only; the loss is over its N rows.
enum class LossAt { every_step, last_step };

/// "every_step" or "last_step".
const char* loss_at_name(LossAt at);

/// The linear head ŷ = f(h W^T + b), W [K, H], b [K]: one fully connected layer of the MLP reference, whose output
/// activation f must be one the loss allows (see Loss).
template <class T>
using HeadParams = LayerParams<T>;

/// What the head computes. Rows are step after step: every_step has T·N of them (step t is rows t·N … t·N + N − 1),
/// last_step has the N rows of the last step.
template <class T>
struct HeadResult {
    Array<T> z;      ///< z = h W^T + b, [rows, K]
    Array<T> a;      ///< a = f(z) (softmax for softmax_ce, σ for bce)
    Array<T> delta;  ///< δ = ∂l/∂z, [rows, K], the loss's batch factor included
    Array<T> dW;     ///< ΔW = δ^T h, [K, H]
    Array<T> db;     ///< Δb = Σ_rows δ, [K]
};

/// A recurrent layer's parameter gradients and its initial state's, summed over the steps; its weights have G·H rows
/// (G = 1 Elman, 4 LSTM).
template <class T>
struct RecurrentLayerGradients {
    Array<T> dW_ih;  ///< ΔW_ih = Σ_t δ_t^T x_t, [G·H, C]
    Array<T> dW_hh;  ///< ΔW_hh = Σ_t δ_t^T h_{t−1}, [G·H, H]
    Array<T> db_ih;  ///< Δb_ih = Σ_t Σ_rows δ_t, [G·H]
    Array<T> db_hh;  ///< Δb_hh, the same sum (both biases enter the pre-activation alike)
    Array<T> dh0;    ///< ∂l/∂h_0 = δ_1 W_hh, the initial state's gradient, [N, H]
};

/// What bptt_rnn and bptt_lstm return: the loss, each layer's quantities (Layer), the head's, and the input's gradient.
template <class T, class Layer>
struct RecurrentResult {
    T loss = 0;                 ///< the loss of the batch (as delta_loss.hpp's)
    std::vector<Layer> layers;  ///< layers[0] is the first layer
    HeadResult<T> head;         ///< the head's z, a, δ, ΔW, Δb
    std::vector<Array<T>> dx;   ///< ∂l/∂x_t = δ_t W_ih of the first layer, [N, C] per step
};

namespace detail {

/// The gate nonlinearities of the LSTM and GRU references, by name.
constexpr ActivationKind sigmoid = ActivationKind::sigmoid, tanh_kind = ActivationKind::tanh;

/// Checks the head against the top layer's width H and the targets Y: [T·N, K] (every_step) or [N, K]
/// (last_step); fn names the public function in the messages.
template <class T>
void validate_head(const char* fn, const HeadParams<T>& head, std::size_t H, std::size_t steps, std::size_t N,
                   const Array<T>& Y, Loss loss, LossAt at);

/// The head's forward pass on the top layer's states hs[t] ([N, H] each) into r.z and r.a; returns the loss.
template <class T>
T head_forward(const HeadParams<T>& head, const std::vector<Array<T>>& hs, const Array<T>& Y, Loss loss, LossAt at,
               HeadResult<T>& r);

/// The head's backward pass after head_forward: r.delta, r.dW, r.db, and returns ∂l/∂h_t for every step, [N, H]
/// each: δ W on the rows of the steps where the loss is taken, zeros elsewhere.
template <class T>
std::vector<Array<T>> head_backward(const HeadParams<T>& head, const std::vector<Array<T>>& hs, const Array<T>& Y,
                                    Loss loss, LossAt at, HeadResult<T>& r);

/// out += Σ over the rows of delta (a bias gradient summed over the steps).
template <class T>
void add_column_sums(const Array<T>& delta, Array<T>& out);

/// Rows [first, first + count) of a 2-d array, as a new array.
template <class T>
Array<T> row_block(const Array<T>& x, std::size_t first, std::size_t count);

/// x_t of a layer: step t of X [T, N, C] for the first layer (below == nullptr), else the layer below's h_t.
template <class T>
Array<T> step_input(const Array<T>& X, const std::vector<Array<T>>* below, std::size_t t);

/// A layer's initial state: states[l], or zeros [N, H] when states is empty.
template <class T>
Array<T> initial_state(const std::vector<Array<T>>& states, std::size_t l, std::size_t N, std::size_t H);

/// Checks the input X [T, N, C] (T, N, C >= 1) and the initial states `what` (one [N, H_l] per layer, or none); fn
/// names the public function. `hidden` holds each layer's H.
template <class T>
void validate_sequence(const char* fn, const Array<T>& X, const std::vector<Array<T>>& states, const char* what,
                       const std::vector<std::size_t>& hidden);

/// Checks layer l's (0-based) weights for G gate blocks — W_ih [G·H, in], W_hh [G·H, H], b_ih, b_hh [G·H] — and
/// returns its H; fn names the public function.
template <class T>
std::size_t validate_recurrent_layer(const char* fn, std::size_t l, std::size_t gates, const Array<T>& W_ih,
                                     const Array<T>& W_hh, const Array<T>& b_ih, const Array<T>& b_hh, std::size_t in);

}  // namespace detail
}  // namespace dg::reference
