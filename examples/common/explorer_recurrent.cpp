// The explorer's recurrent part (recurrent_explorer_json): the cell unrolled over the T steps, and the notes from the
// BPTT reference (nn/reference/bptt_*): δ_t of every layer, step and sequence — Elman's recurrence, or the gate form
// of the LSTM and the GRU — beside the rows of that step of autograd's gradient at the layer's input projection.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "autograd/array/errors.hpp"
#include "common/explorer.hpp"
#include "common/explorer_parts.hpp"
#include "nn/check/bpcheck.hpp"
#include "nn/check/bpcheck_rnn.hpp"
#include "nn/reference/bptt_gru.hpp"
#include "nn/reference/bptt_lstm.hpp"
#include "nn/reference/bptt_rnn.hpp"
#include "nn/reference/delta_activation.hpp"

namespace dg::examples {

namespace {

using nlohmann::json;
using namespace explorer;

// Rows [first, first + count) of a 2-d array.
template <class T>
Array<T> rows(const Array<T>& a, std::size_t first, std::size_t count) {
    return xt::view(a, xt::range(first, first + count), xt::all());
}

// Columns [first, first + count) of row r: one gate block of a [rows, G·H] array.
template <class T>
std::vector<double> block_of(const Array<T>& a, std::size_t r, std::size_t first, std::size_t count) {
    const std::vector<double> row = row_of(a, r);
    return std::vector<double>(row.begin() + static_cast<std::ptrdiff_t>(first), row.begin() + static_cast<std::ptrdiff_t>(first + count));
}

std::vector<double> entrywise(const std::vector<double>& a, const std::vector<double>& b, double (*f)(double, double)) {
    std::vector<double> out(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = f(a[i], b[i]);
    return out;
}

// What one layer's notes are made of: its place, the gradient autograd sent to its input projection, and
// ∂l_t/∂h_t from above for every step ([N, H] each, in double).
template <class T>
struct LayerContext {
    std::size_t k = 0;        // 0-based layer
    std::size_t N = 0, H = 0;
    const Array<T>* arrived;  // [T·N, G·H]
    std::vector<Array<double>> above;
    std::size_t samples = 0;
};

// autograd's gradient at block `gate` (of `count` entries) of row t·N + s, as a column whose values start at column
// gate·H of the step's preview row.
template <class T>
json autograd_column(const LayerContext<T>& c, std::size_t t, std::size_t s, std::size_t gate, const std::string& id,
                     const std::string& label) {
    const std::size_t r = t * c.N + s;
    json col = column(id, label, vector_preview(block_of(*c.arrived, r, gate * c.H, c.H)));
    col["grad_row"] = r;
    col["grad_col"] = gate * c.H;
    return col;
}

// The reference's δ_t of each gate block of sequence s, then autograd's: columns d<gate>, then ag_<gate>.
template <class T>
json gate_columns(const LayerContext<T>& c, const Array<T>& delta_t, std::size_t t, std::size_t s,
                  const std::vector<std::string>& gates) {
    json reference = json::array(), mine = json::array();
    for (std::size_t q = 0; q < gates.size(); ++q) {
        reference.push_back(column("d" + gates[q], "δ" + gates[q] + "_t", vector_preview(block_of(delta_t, s, q * c.H, c.H))));
        mine.push_back(autograd_column(c, t, s, q, "ag_" + gates[q], "autograd " + gates[q]));
    }
    for (auto& col : mine) reference.push_back(col);
    return reference;
}

// The largest difference between the reference's δ_t of sequence s (all gate blocks) and autograd's.
template <class T>
double gates_diff(const LayerContext<T>& c, const Array<T>& delta_t, std::size_t t, std::size_t s) {
    return max_abs_diff(row_of(delta_t, s), block_of(*c.arrived, t * c.N + s, 0, delta_t.shape()[1]));
}

template <class T>
json elman_views(const LayerContext<T>& c, const reference::RnnLayerResult<T>& layer, const Array<T>& W_hh, ActivationKind f) {
    const std::size_t steps = layer.delta.size();
    json views = json::array();
    for (std::size_t t = 0; t < steps; ++t) {
        const Array<double> recurrent = t + 1 < steps ? rows_times(layer.delta[t + 1], W_hh) : Array<double>(xt::zeros<double>({c.N, c.H}));
        const Array<T> fprime = reference::activation_derivative(f, layer.z[t], static_cast<T>(default_alpha(f)));
        json at_t = json::array();
        for (std::size_t s = 0; s < c.samples; ++s) {
            const std::vector<double> delta = row_of(layer.delta[t], s), autograd = block_of(*c.arrived, t * c.N + s, 0, c.H);
            at_t.push_back({{"row", t * c.N + s},
                            {"blocks", {vectors_block("unit by unit:",
                                                      {column("above", "∂l_t/∂h_t (from above)", vector_preview(row_of(c.above[t], s))),
                                                       column("recurrent", "W_hhᵀ δ_{t+1}", vector_preview(row_of(recurrent, s))),
                                                       column("fprime", "f'(z_t)", vector_preview(row_of(fprime, s))),
                                                       column("delta", "δ_t (reference)", vector_preview(delta)),
                                                       autograd_column(c, t, s, 0, "autograd", "autograd: δ_t")})}},
                            {"max_abs_diff", max_abs_diff(delta, autograd)}});
        }
        views.push_back(at_t);
    }
    return views;
}

template <class T>
json lstm_views(const LayerContext<T>& c, const reference::LstmLayerResult<T>& layer, const Array<T>& W_hh) {
    const std::size_t steps = layer.delta.size(), H = c.H;
    json views = json::array();
    for (std::size_t t = 0; t < steps; ++t) {
        const Array<double> recurrent = t + 1 < steps ? rows_times(layer.delta[t + 1], W_hh) : Array<double>(xt::zeros<double>({c.N, H}));
        json at_t = json::array();
        for (std::size_t s = 0; s < c.samples; ++s) {
            const std::vector<double> above = row_of(c.above[t], s), back = row_of(recurrent, s);
            const std::vector<double> e = entrywise(above, back, [](double a, double b) { return a + b; });
            std::vector<double> o_factor = row_of(layer.o[t], s);
            const std::vector<double> cell = row_of(layer.c[t], s);
            for (std::size_t j = 0; j < H; ++j) o_factor[j] = std::tanh(cell[j]) * o_factor[j] * (1 - o_factor[j]);
            const json gates = gate_columns(c, layer.delta[t], t, s, {"i", "f", "g", "o"});
            at_t.push_back({{"row", t * c.N + s},
                            {"blocks", {vectors_block("the gradient reaching h_t and c_t:",
                                                      {column("above", "∂l_t/∂h_t (from above)", vector_preview(above)),
                                                       column("recurrent", "W_hhᵀ δ_{t+1}", vector_preview(back)),
                                                       column("e", "e_t = sum", vector_preview(e)),
                                                       column("o_factor", "tanh(c_t) ⊙ σ'(a_o)", vector_preview(o_factor)),
                                                       column("eps", "ε_t (reference)", vector_preview(row_of(layer.eps[t], s)))}),
                                        vectors_block("the gates' δ_t (reference) and autograd's:", gates)}},
                            {"max_abs_diff", gates_diff(c, layer.delta[t], t, s)}});
        }
        views.push_back(at_t);
    }
    return views;
}

template <class T>
json gru_views(const LayerContext<T>& c, const reference::GruLayerResult<T>& layer, const Array<T>& W_hh) {
    const std::size_t steps = layer.delta.size(), H = c.H;
    // e_t, the gradient reaching h_t: from above, through the update gate's direct path and through W_hh.
    std::vector<Array<double>> e(steps), direct(steps), recurrent(steps);
    for (std::size_t t = steps; t-- > 0;) {
        direct[t] = xt::zeros<double>({c.N, H});
        recurrent[t] = xt::zeros<double>({c.N, H});
        if (t + 1 < steps) {
            direct[t] = e[t + 1] * xt::cast<double>(layer.z[t + 1]);
            recurrent[t] = rows_times(layer.delta_h[t + 1], W_hh);
        }
        e[t] = c.above[t] + direct[t] + recurrent[t];
    }
    json views = json::array();
    for (std::size_t t = 0; t < steps; ++t) {
        json at_t = json::array();
        for (std::size_t s = 0; s < c.samples; ++s) {
            std::vector<double> n_factor = row_of(layer.z[t], s);
            const std::vector<double> n = row_of(layer.n[t], s);
            for (std::size_t j = 0; j < H; ++j) n_factor[j] = (1 - n_factor[j]) * (1 - n[j] * n[j]);
            const json gates = gate_columns(c, layer.delta[t], t, s, {"r", "z", "n"});
            at_t.push_back({{"row", t * c.N + s},
                            {"blocks", {vectors_block("the gradient reaching h_t:",
                                                      {column("above", "∂l_t/∂h_t (from above)", vector_preview(row_of(c.above[t], s))),
                                                       column("direct", "e_{t+1} ⊙ z_{t+1}", vector_preview(row_of(direct[t], s))),
                                                       column("recurrent", "W_hhᵀ δh_{t+1}", vector_preview(row_of(recurrent[t], s))),
                                                       column("e", "e_t = sum", vector_preview(row_of(e[t], s))),
                                                       column("n_factor", "(1 − z_t) ⊙ (1 − n_t²)", vector_preview(n_factor))}),
                                        vectors_block("the blocks' δ_t (reference) and autograd's:", gates)}},
                            {"max_abs_diff", gates_diff(c, layer.delta[t], t, s)}});
        }
        views.push_back(at_t);
    }
    return views;
}

// The note of recurrent layer k (0-based) of any cell: formula, text and relations by cell, views by time and sequence.
template <class T, class Layer>
json layer_note(nn::RecurrentKind cell, const LayerContext<T>& c, const Layer& layer, const Array<T>& W_hh) {
    const std::string where = "layer " + std::to_string(c.k + 1);
    const std::string autograd_text =
        " The BPTT reference's numbers (plain arrays, no autograd) with this batch, next to the rows of step t of the gradient "
        "autograd sent to the layer's input projection x_t W_ihᵀ + b_ih, which is δ_t. ∂l_t/∂h_t comes from above: the "
        "head's δ W_out on the top layer (0 at a step without loss), the next layer's δ_t W_ih below it.";
    json note;
    if constexpr (std::is_same_v<Layer, reference::RnnLayerResult<T>>) {
        const ActivationKind f = cell == nn::RecurrentKind::rnn_relu ? ActivationKind::relu : ActivationKind::tanh;
        note = {{"title", "Recurrent " + where + ": δ_t"},
                {"formula", "δ_t = (W_hhᵀ δ_{t+1} + ∂l_t/∂h_t) ⊙ f'(z_t)"},
                {"text", "δ_t = ∂loss/∂z_t at step t: the gradient reaching h_t from above plus the one coming back in "
                         "time from step t + 1 through W_hh (0 at t = T), times f'(z_t) (f = " +
                             std::string(activation_name(f)) + ")." + autograd_text},
                {"views", elman_views(c, layer, W_hh, f)},
                {"relations", {relation("delta", {"above", "recurrent"}, {"fprime"}), relation("autograd", {"delta"})}}};
    } else if constexpr (std::is_same_v<Layer, reference::LstmLayerResult<T>>) {
        note = {{"title", "LSTM " + where + ": the gates' δ_t"},
                {"formula", "e_t = ∂l_t/∂h_t + W_hhᵀ δ_{t+1};  δo_t = e_t ⊙ tanh(c_t) ⊙ σ'(a_o);  ε_t = e_t ⊙ o_t ⊙ "
                            "tanh'(c_t) + ε_{t+1} ⊙ f_{t+1};  δi_t = ε_t ⊙ g_t ⊙ σ'(a_i),  δf_t = ε_t ⊙ c_{t−1} ⊙ σ'(a_f),  "
                            "δg_t = ε_t ⊙ i_t ⊙ tanh'(a_g)"},
                {"text", "The gate form the BPTT reference computes: δ_t = ∂loss/∂a_t, the gradient at the pre-activations "
                         "a_t of the four gates [i, f, g, o], from e_t, the gradient reaching h_t (from above, and back in "
                         "time through W_hh), and ε_t, the one reaching the cell state c_t (through h_t, and through the "
                         "forget gate from c_{t+1})." + autograd_text},
                {"views", lstm_views(c, layer, W_hh)},
                {"relations", {relation("e", {"above", "recurrent"}), relation("do", {"e"}, {"o_factor"}),
                               relation("ag_i", {"di"}), relation("ag_f", {"df"}), relation("ag_g", {"dg"}),
                               relation("ag_o", {"do"})}}};
    } else {
        note = {{"title", "GRU " + where + ": the blocks' δ_t"},
                {"formula", "e_t = ∂l_t/∂h_t + e_{t+1} ⊙ z_{t+1} + W_hhᵀ δh_{t+1};  δn_t = e_t ⊙ (1 − z_t) ⊙ (1 − n_t²);  "
                            "δz_t = e_t ⊙ (h_{t−1} − n_t) ⊙ σ'(·);  δr_t = δn_t ⊙ hp_n ⊙ σ'(·);  δh_t = [δr_t, δz_t, δn_t ⊙ r_t]"},
                {"text", "The gate form the BPTT reference computes: δ_t = ∂loss/∂xp_t, the gradient at the input "
                         "projection's blocks [r, z, n], from e_t, the gradient reaching h_t: from above, through the "
                         "update gate's direct path to h_{t+1}, and back through W_hh (δh_t is the gradient at "
                         "h_{t−1} W_hhᵀ + b_hh)." + autograd_text},
                {"views", gru_views(c, layer, W_hh)},
                {"relations", {relation("e", {"above", "direct", "recurrent"}), relation("dn", {"e"}, {"n_factor"}),
                               relation("ag_r", {"dr"}), relation("ag_z", {"dz"}), relation("ag_n", {"dn"})}}};
    }
    note["blocks"] = json::array();
    return note;
}

// The notes of every layer and of the head from one reference result, keyed by the node ids of the trace.
template <class T, class Result>
json notes_of(nn::RecurrentNet<T>& net, const Result& ref, const BackwardTrace<T>& trace, const json& steps,
              const Array<T>& Y, nn::Loss loss, std::size_t samples) {
    const nn::RecurrentSpec& spec = net.spec();
    const std::size_t L = net.layers().size(), T_ = ref.layers.front().delta.size();
    const std::size_t N = ref.layers.front().delta.front().shape()[0];
    const bool every = spec.loss_at == nn::LossAt::every_step;
    json times = json::array(), sequences = json::array();
    for (std::size_t t = 1; t <= T_; ++t) times.push_back(t);
    for (std::size_t s = 0; s < samples; ++s) sequences.push_back(s);
    json notes = json::object();
    const auto key = [&](std::size_t k) { return std::to_string(steps[k]["node"].get<std::size_t>()); };

    // The head: δ from the loss at every step where it is taken.
    const Array<T>& W_out = net.head()->weight().value();
    const std::size_t head_step = step_sending_to(trace, net.head()->weight().node());
    if (head_step < trace.steps().size()) {
        std::vector<std::vector<std::size_t>> at;
        for (std::size_t t = every ? 0 : T_ - 1; t < T_; ++t) {
            at.emplace_back();
            for (std::size_t s = 0; s < samples; ++s) at.back().push_back(every ? t * N + s : s);
        }
        json note = output_note<T>({ref.head.z, ref.head.a, ref.head.delta, Y, trace.steps()[head_step].grad_out,
                                    ActivationKind::identity, T(0)},
                                   loss, "out", at);
        note["title"] = "The head: δ(out) from the loss";
        note["text"] = note["text"].get<std::string>() + (every ? " The loss is taken at every step: m = T·N = " +
                                                                      std::to_string(T_ * N) + " rows, step t in rows t·N … t·N + N − 1."
                                                                : " The loss is taken at the last step only: m = N = " +
                                                                      std::to_string(N) + " rows.");
        note["layer"] = L + 1;
        note["samples"] = sequences;
        note["times"] = every ? times : json::array({T_});
        notes[key(head_step)] = note;
    }

    for (std::size_t k = L; k-- > 0;) {
        const auto& layer = *net.layers()[k];
        const std::size_t at = step_sending_to(trace, layer.weight_ih(0).node());
        if (at == trace.steps().size()) continue;
        LayerContext<T> c;
        c.k = k;
        c.N = N;
        c.H = layer.hidden_size();
        c.samples = samples;
        c.arrived = &trace.steps()[at].grad_out;
        for (std::size_t t = 0; t < T_; ++t) {
            if (k + 1 < L)
                c.above.push_back(rows_times(ref.layers[k + 1].delta[t], net.layers()[k + 1]->weight_ih(0).value()));
            else if (every)
                c.above.push_back(rows_times(rows(ref.head.delta, t * N, N), W_out));
            else
                c.above.push_back(t + 1 == T_ ? rows_times(ref.head.delta, W_out) : Array<double>(xt::zeros<double>({N, c.H})));
        }
        json note = layer_note(spec.cell, c, ref.layers[k], layer.weight_hh(0).value());
        note["layer"] = k + 1;
        note["samples"] = sequences;
        note["times"] = times;
        notes[key(at)] = note;
    }
    return notes;
}

// The child name of `module` in the net ("rnn1", "head"): what the labels of its nodes start with.
template <class T>
std::string name_of(const nn::RecurrentNet<T>& net, const nn::Module<T>* module) {
    for (const auto& [name, child] : net.named_children())
        if (child.get() == module) return name;
    return "";
}

}  // namespace

template <class T>
json recurrent_explorer_json(nn::RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y, nn::Loss loss,
                             const nn::BpcheckReport& report, std::size_t max_samples) {
    if (max_samples == 0) throw ValueError("recurrent_explorer_json: max_samples must be at least 1");
    if (X.dimension() < 2) throw ShapeError("recurrent_explorer_json: expected X [T, N, C] or token indices [T, N], got " + shape_str(shape_of(X)));
    const nn::RecurrentSpec& spec = net.spec();
    const std::size_t steps = X.shape()[0], N = X.shape()[1], samples = std::min(max_samples, N);
    BackwardTrace<T> trace;
    {
        // The module's own forward and loss, as bpcheck's autograd side runs them: one backward pass.
        ObserverGuard<T> guard(trace);
        net.zero_grad();
        const Tensor<T> out = net(Tensor<T>(X));
        nn::check_loss(out, out, Y, loss).backward();
    }
    json data = trace_json(trace, {{"x (the sequences)", &X}, {"y (the targets)", &Y}});

    json layer_names = json::array();
    for (const auto& layer : net.layers()) layer_names.push_back(name_of<T>(net, layer.get()));
    data["network"] = {{"kind", "recurrent"}, {"spec", spec.str()}, {"cell", nn::cell_name(spec.cell)},
                       {"steps", steps}, {"batch", N}, {"vocabulary", spec.vocabulary}, {"input", spec.input},
                       {"hidden", spec.hidden}, {"outputs", spec.outputs},
                       {"loss_at", spec.loss_at == nn::LossAt::every_step ? "every" : "last"},
                       {"names", {{"embedding", net.embedding() ? name_of<T>(net, net.embedding().get()) : ""},
                                  {"layers", layer_names},
                                  {"head", name_of<T>(net, net.head().get())}}}};

    const Array<T> x = nn::step_inputs(net, X);
    if (spec.cell == nn::RecurrentKind::lstm) {
        const auto ref = reference::bptt_lstm(nn::bptt_params<reference::LstmParams<T>>(net), x, {}, {}, Y, loss,
                                              spec.loss_at);
        data["notes"] = notes_of(net, ref, trace, data["steps"], Y, loss, samples);
    } else if (spec.cell == nn::RecurrentKind::gru) {
        const auto ref = reference::bptt_gru(nn::bptt_params<reference::GruParams<T>>(net), x, {}, Y, loss, spec.loss_at);
        data["notes"] = notes_of(net, ref, trace, data["steps"], Y, loss, samples);
    } else {
        const auto ref = reference::bptt_rnn(nn::bptt_params<reference::RnnParams<T>>(net), x, {}, Y, loss, spec.loss_at);
        data["notes"] = notes_of(net, ref, trace, data["steps"], Y, loss, samples);
    }
    data["agreement"] = agreement_json(report);
    data["batch"] = N;
    return data;
}

#define DG_INSTANTIATE(T)                                                                                      \
    template json recurrent_explorer_json<T>(nn::RecurrentNet<T>&, const Array<T>&, const Array<T>&, nn::Loss, \
                                             const nn::BpcheckReport&, std::size_t);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::examples
