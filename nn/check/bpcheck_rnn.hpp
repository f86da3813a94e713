// bpcheck for recurrent networks: the three-way check of a RecurrentNet — autograd vs the BPTT reference
// (nn/reference/bptt_rnn, bptt_lstm, bptt_gru) vs central finite differences — reporting every layer's parameter
// gradients and its δ_t at every time step, and golden fixtures of a RecurrentNet's gradients.
#pragma once

#include <string>
#include <vector>

#include "nn/check/bpcheck.hpp"
#include "nn/check/bpcheck_fixture.hpp"
#include "nn/layers/recurrent_net.hpp"
#include "nn/reference/bptt_gru.hpp"
#include "nn/reference/bptt_lstm.hpp"
#include "nn/reference/bptt_rnn.hpp"

namespace dg::nn {

/// Autograd's gradients of one loss evaluation of a RecurrentNet (initial states zero).
///
/// δ_t of a recurrent layer is the gradient at its input projection xp_t = x_t W_ihᵀ + b_ih [N, G·H]: for the Elman
/// network the pre-activation's gradient ∂l/∂z_t, for the LSTM the gates' ∂l/∂a_t (blocks i, f, g, o), for the GRU
/// ∂l/∂xp_t (blocks r, z, n; the n block is the gradient at the input part of n's pre-activation): what the BPTT
/// reference calls δ_t.
template <class T>
struct RecurrentGradients {
    T loss = 0;           ///< the loss of the module's forward
    T unrolled_loss = 0;  ///< the same loss from the op-level unroll that exposes δ_t (it must agree)
    std::vector<std::pair<std::string, Array<T>>> params;  ///< every parameter's gradient, in state_dict order
    std::vector<std::vector<Array<T>>> delta;  ///< delta[l][t]: layer l + 1's δ at step t + 1, [N, G·H]
    Array<T> head_delta;                       ///< the head's δ = ∂l/∂z, [T·N, K] or [N, K]
};

/// The module's forward, check_loss on the head's output, backward: the parameters' gradients (left set on the
/// module); and δ_t from an op-level unroll of the same network with the same parameters (linear, then the recurrent
/// op of each layer, then the head), by dg::grad. X [T, N, C] (token indices [T, N] with an embedding), Y as the spec's
/// loss position asks: [T·N, K] or [N, K].
template <class T>
RecurrentGradients<T> autograd_gradients(RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss);

/// x_t of every step, [T, N, C], as the reference reads it: X itself, or the embedding's rows of the tokens X [T, N].
template <class T>
Array<T> step_inputs(RecurrentNet<T>& net, const Array<T>& X);

/// The BPTT reference's view of `net`, P one of reference::RnnParams<T> (with the cell's tanh or ReLU), LstmParams<T>
/// or GruParams<T>: every layer's W_ih, W_hh, b_ih, b_hh and the linear head, copied.
template <class P, class T>
P bptt_params(const RecurrentNet<T>& net);

/// The three-way check of `net` on (X, Y): autograd (autograd_gradients), the BPTT reference (Elman, LSTM, GRU) and
/// fourth-order central differences of the loss, computed on a double copy of the network by the op-level unroll
/// without a graph (δ_t by adding the step to one entry of xp_t). For rnn-relu a coordinate whose stencil switches a
/// unit on or off is flagged and left out of the comparisons with the finite differences. Report rows: the
/// embedding's E (layer 0, when there is one), then per recurrent layer W_ih, W_hh, b_ih, b_hh and one "delta t<k>"
/// per step, then the head (W, b, delta). L2 (options.lambda) is not supported here (ValueError), nor a custom
/// reference (options.reference is for MLPs).
template <class T>
BpcheckReport bpcheck(RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss,
                      const BpcheckOptions<T>& options = {});

/// A batch for a recurrent check of the spec's T steps: X [T, N, C] ~ N(0, 1), or token indices [T, N] uniform in
/// [0, V) with an embedding; Y with T·N or N rows as make_check_batch of an MLP spec gives them.
template <class T>
CheckBatch<T> make_check_batch(const RecurrentSpec& spec, Loss loss, std::size_t batch, Generator& gen);

/// Writes the golden fixture of a RecurrentNet on (X, Y): the bpcheck fixture format (bpcheck_fixture.hpp) with the
/// spec a recurrent spec, the parameters under their state_dict names ("rnn1.weight_ih_l0", "head.bias", ...),
/// "input" and "target", "loss", "grad.<parameter name>", "grad.delta<l>" [T, N, G·H] for every recurrent layer l and
/// "grad.z<L+1>" for the head. Lambda is 0.
template <class T>
void save_bpcheck_fixture(const std::string& path, RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y,
                          Loss loss);

/// Recomputes a recurrent fixture with autograd and compares every stored tensor; what check_bpcheck_fixture does for
/// a file whose spec is a recurrent spec.
FixtureReport check_recurrent_fixture(const std::string& path, const Tolerance* tolerance = nullptr);

}  // namespace dg::nn
