// The backprop explorer (bpcheck --html): one self-contained page that draws a network and the graph of its
// forward pass, steps through the backward pass in the engine's own order (a BackwardTrace), shows the notes'
// δ(l) = W(l+1)ᵀδ(l+1) ⊙ f'(z(l)) with the batch's numbers at each layer boundary, and the three-way agreement
// table. The page's data is built in parts: every model (MLP, CNN, recurrent net) adds its own network drawing and
// boundary notes (explorer_parts.hpp: the format of a note) to the same graph, steps and agreement table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "autograd/inspect/trace.hpp"
#include "nn/check/bpcheck.hpp"
#include "nn/layers/cnn.hpp"
#include "nn/layers/recurrent_net.hpp"

namespace dg::examples {

/// The forward graph and the backward steps of one traced backward pass, for any model: {"nodes": [{id, kind
/// (parameter | input | constant | op), op, label, shape, value (preview), inputs}], "steps": [{node, op, rule,
/// grad_out (preview), sent: [{input, defined, grad (preview), summed_to}]}], "root"}. Nodes are numbered in a
/// forward order (every input before the ops that use it); leaves whose value equals one of `inputs` are
/// kind "input" and take its name (the batch, the targets), other leaves without grad are constants.
template <class T>
nlohmann::json trace_json(const BackwardTrace<T>& trace,
                          const std::vector<std::pair<std::string, const Array<T>*>>& inputs = {});

/// The three-way agreement table of a bpcheck report: {"loss": {autograd, reference, finite_differences, ok}, "rows":
/// [{layer, activation, quantity, shape, autograd_vs_reference, autograd_vs_fd, reference_vs_fd, fd_count,
/// kinks, ok}], "layers", "reference_run", "note", "fd_precision", "tolerances", "fd_count", "flagged_count", "ok"}.
nlohmann::json agreement_json(const nn::BpcheckReport& report);

/// An MLP's explorer data: the network drawing ({"kind": "mlp", "layers"}), trace_json of autograd's backward
/// pass on (X, Y) (bpcheck's loss head and L2 penalty), the boundary note of every layer (keyed by the node id
/// of z(l): the formula, and for each of the first `max_samples` samples the vectors δ(l+1), W(l+1)ᵀδ(l+1),
/// f'(z(l)) and δ(l) from the delta reference, with the gradient autograd sent to z(l)), and agreement_json(report).
template <class T>
nlohmann::json mlp_explorer_json(nn::Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, nn::Loss loss,
                                 double lambda, const nn::BpcheckReport& report, std::size_t max_samples = 8);

/// A CNN's explorer data: the network drawing ({"kind": "cnn", "input": [C, H, W], "layers": [{layer, kind, token,
/// activation, output, kernel, stride, padding, dilation, groups, names}]}), trace_json of autograd's backward pass on
/// (X, Y) (X [m, C, H, W]), agreement_json(report) and, when the conv delta reference covers the network (no norms;
/// else "reference_gap" says why and there are no notes), the boundary note of every layer keyed by the node id of
/// z(l): δ(l) = ∂loss/∂a(l) ⊙ f'(z(l)) with ∂loss/∂a(l) what layer l+1 sends back (δ(l+1) correlated with the flipped
/// kernel, routed to the arg-max of a max pool, spread over an average pool's window, reshaped by flatten, W(l+1)ᵀδ(l+1)
/// by a dense layer), for the first `max_samples` samples and the first 3 channels as map previews, from the
/// reference, next to autograd's gradient at z(l); a conv layer's note also shows ΔW(l) = a(l−1) ⋆ δ(l).
template <class T>
nlohmann::json cnn_explorer_json(nn::Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, nn::Loss loss,
                                 const nn::BpcheckReport& report, std::size_t max_samples = 4);

/// A recurrent net's explorer data: the network drawing ({"kind": "recurrent", cell, steps, batch, vocabulary, input,
/// hidden, outputs, loss_at, names}), trace_json of autograd's backward pass through the module on (X, Y) (X [T, N, C]
/// or token indices [T, N]), agreement_json(report), and the notes: at each recurrent layer's input projection
/// xp = x W_ihᵀ + b_ih (whose incoming gradient is δ_t of every step) the BPTT reference's δ_t per time step and
/// sequence — Elman: δ_t = (W_hhᵀ δ_{t+1} + ∂l_t/∂h_t) ⊙ f'(z_t); LSTM and GRU: the gate form the reference computes
/// (the gradient e_t reaching h_t, then the gates' δ) — next to autograd's rows of that step; at the head's z, δ from
/// the loss at each step where it is taken. The first `max_samples` sequences.
template <class T>
nlohmann::json recurrent_explorer_json(nn::RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y, nn::Loss loss,
                                       const nn::BpcheckReport& report, std::size_t max_samples = 4);

/// Writes the explorer page for `data` (mlp_explorer_json, cnn_explorer_json or recurrent_explorer_json) to `path`
/// atomically; `run` (the command line's settings: seed, batch, ...) is shown with it.
void write_explorer(const std::string& path, nlohmann::json data, const nlohmann::json& run);

}  // namespace dg::examples
