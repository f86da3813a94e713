// The backprop explorer (bpcheck --html): one self-contained page that draws a network and the graph of its
// forward pass, steps through the backward pass in the engine's own order (a BackwardTrace), shows the notes'
// δ(l) = W(l+1)ᵀδ(l+1) ⊙ f'(z(l)) with the batch's numbers at each layer boundary, and the three-way agreement
// table. The page's data is built in parts so that other models (CNN, recurrent) can add their own network
// drawing and boundary notes to the same graph, steps and agreement table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "autograd/inspect/trace.hpp"
#include "nn/check/bpcheck.hpp"

namespace dg::examples {

/// The forward graph and the backward steps of one traced backward pass, for any model: {"nodes": [{id, kind
/// (parameter | input | constant | op), op, label, shape, value (preview), inputs}], "steps": [{node, op, rule,
/// grad_out (preview), sent: [{input, defined, grad (preview), summed_to}]}], "root"}. Nodes are numbered in a
/// forward order (every input before the ops that use it); leaves whose value equals one of `inputs` are
/// kind "input" and take its name (the batch, the targets), other leaves without grad are constants.
template <class T>
nlohmann::json trace_json(const BackwardTrace<T>& trace,
                          const std::vector<std::pair<std::string, const Array<T>*>>& inputs = {});

/// The three-way agreement table of a bpcheck report: {"loss": {autograd, reference, fd_model, ok}, "rows":
/// [{layer, activation, quantity, shape, autograd_vs_reference, autograd_vs_fd, reference_vs_fd, fd_count,
/// kinks, ok}], "tolerances", "fd_count", "flagged_count", "ok"}.
nlohmann::json agreement_json(const nn::BpcheckReport& report);

/// An MLP's explorer data: the network drawing ({"kind": "mlp", "layers"}), trace_json of autograd's backward
/// pass on (X, Y) (bpcheck's loss head and L2 penalty), the boundary note of every layer (keyed by the node id
/// of z(l): the formula, and for each of the first `max_samples` samples the vectors δ(l+1), W(l+1)ᵀδ(l+1),
/// f'(z(l)) and δ(l) from the delta reference, with the gradient autograd sent to z(l)), and agreement_json(report).
template <class T>
nlohmann::json mlp_explorer_json(nn::Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, nn::Loss loss,
                                 double lambda, const nn::BpcheckReport& report, std::size_t max_samples = 8);

/// Writes the explorer page for `data` (mlp_explorer_json or another model's equivalent) to `path`
/// atomically; `run` (the command line's settings: seed, batch, ...) is shown with it.
void write_explorer(const std::string& path, nlohmann::json data, const nlohmann::json& run);

}  // namespace dg::examples
