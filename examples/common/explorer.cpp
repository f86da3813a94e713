// The explorer's data: the traced graph and steps, the agreement table, the pieces every model's notes are made of
// (explorer_parts.hpp), and an MLP's network and δ(l) notes. CNNs: explorer_cnn.cpp; recurrent nets: explorer_recurrent.cpp.
#include "common/explorer.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "autograd/array/errors.hpp"
#include "autograd/inspect/graphviz.hpp"
#include "common/explorer_parts.hpp"
#include "common/html_page.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::examples {

using nlohmann::json;

// ---- the pieces of every model's notes ----------------------------------------------------------------------------

namespace explorer {

template <class T>
json array_preview(const Array<T>& a, std::size_t max_rows, std::size_t max_cols) {
    std::vector<double> values(a.begin(), a.end());
    std::vector<std::size_t> shape(a.shape().begin(), a.shape().end());
    return preview_json(values, shape, max_rows, max_cols);
}

json vector_preview(const std::vector<double>& v, std::size_t max) { return preview_json(v, {v.size()}, 1, max); }

template <class T>
std::vector<double> row_of(const Array<T>& a, std::size_t r) {
    const std::size_t n = a.shape()[1];
    return std::vector<double>(a.data() + r * n, a.data() + (r + 1) * n);
}

template <class T>
Array<double> rows_times(const Array<T>& d, const Array<T>& W) {
    if (d.dimension() != 2 || W.dimension() != 2 || d.shape()[1] != W.shape()[0])
        throw ShapeError("explorer: rows_times: expected d [n, A] and W [A, B], got " + shape_str(shape_of(d)) + " and " +
                         shape_str(shape_of(W)));
    Array<double> out = xt::zeros<double>({d.shape()[0], W.shape()[1]});
    for (std::size_t n = 0; n < d.shape()[0]; ++n)
        for (std::size_t i = 0; i < W.shape()[0]; ++i)
            for (std::size_t j = 0; j < W.shape()[1]; ++j)
                out(n, j) += static_cast<double>(d(n, i)) * static_cast<double>(W(i, j));
    return out;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double diff = 0;
    for (std::size_t k = 0; k < a.size() && k < b.size(); ++k) diff = std::max(diff, std::abs(a[k] - b[k]));
    return diff;
}

json column(const std::string& id, const std::string& label, json p) {
    return {{"id", id}, {"label", label}, {"p", std::move(p)}};
}

json vectors_block(const std::string& caption, json columns) {
    return {{"kind", "vectors"}, {"caption", caption}, {"columns", std::move(columns)}};
}

json grid_block(const std::string& caption, const std::string& id, const std::string& label, json p) {
    return {{"kind", "grid"}, {"caption", caption}, {"id", id}, {"label", label}, {"p", std::move(p)}};
}

json relation(const std::string& result, const std::vector<std::string>& sum, const std::vector<std::string>& times) {
    return {{"result", result}, {"sum", sum}, {"times", times}};
}

template <class T>
std::size_t step_at(const BackwardTrace<T>& trace, const Node<T>* node) {
    const auto& steps = trace.steps();
    return std::find_if(steps.begin(), steps.end(), [&](const auto& s) { return s.output.node() == node; }) - steps.begin();
}

template <class T>
std::size_t step_sending_to(const BackwardTrace<T>& trace, const Node<T>* input) {
    const auto& steps = trace.steps();
    return std::find_if(steps.begin(), steps.end(), [&](const auto& s) {
               return std::any_of(s.sent.begin(), s.sent.end(), [&](const auto& x) { return x.defined && x.input.node() == input; });
           }) - steps.begin();
}

std::string output_formula(reference::Loss loss, const std::string& l) {
    const std::string z = "z(" + l + ")", a = "a(" + l + ")", d = "δ(" + l + ") = ";
    switch (loss) {
        case reference::Loss::softmax_ce: return d + "(softmax(" + z + ") − y) / m";
        case reference::Loss::bce: return d + "(σ(" + z + ") − y) / (m·n)";
        case reference::Loss::mse_half: return d + "(" + a + " − y) ⊙ f'(" + z + ") / m";
        case reference::Loss::mse: break;
    }
    return d + "2 (" + a + " − y) ⊙ f'(" + z + ") / (m·n)";
}

template <class T>
json output_note(const OutputArrays<T>& out, reference::Loss loss, const std::string& l,
                 const std::vector<std::vector<std::size_t>>& rows) {
    const bool with_fprime = loss == reference::Loss::mse || loss == reference::Loss::mse_half;
    const Array<T> fprime = with_fprime ? reference::activation_derivative(out.f, out.z, out.alpha) : Array<T>();
    json views = json::array();
    for (const auto& at_time : rows) {
        json row_views = json::array();
        for (std::size_t r : at_time) {
            const std::vector<double> delta = row_of(out.delta, r), autograd = row_of(out.autograd, r);
            json cols = {column("a", "a(" + l + ")", vector_preview(row_of(out.a, r))),
                         column("y", "y", vector_preview(row_of(out.y, r)))};
            if (with_fprime) cols.push_back(column("fprime", "f'(z(" + l + "))", vector_preview(row_of(fprime, r))));
            cols.push_back(column("delta", "δ(" + l + ")", vector_preview(delta)));
            json ag = column("autograd", "autograd: arriving at z(" + l + ")", vector_preview(autograd));
            ag["grad_row"] = r;
            cols.push_back(ag);
            row_views.push_back({{"row", r}, {"blocks", {vectors_block("", cols)}}, {"max_abs_diff", max_abs_diff(delta, autograd)}});
        }
        views.push_back(row_views);
    }
    return {{"title", "Output layer: δ(" + l + ") from the loss"},
            {"formula", output_formula(loss, l)},
            {"text", "The reference's δ(" + l + ") (plain arrays, no autograd) with this batch's numbers, next to the "
                     "gradient autograd sent to z(" + l + "); m is the number of rows the loss averages over."},
            {"blocks", json::array()},
            {"views", views},
            {"relations", {relation("autograd", {"delta"})}}};
}

}  // namespace explorer

namespace {

using namespace explorer;

json comparison_json(const nn::Comparison& c) {
    return {{"compared", c.compared}, {"max_abs", c.max_abs}, {"max_rel", c.max_rel}, {"ok", c.ok}};
}

const char* kind_name(DotNodeKind k) {
    switch (k) {
        case DotNodeKind::parameter: return "parameter";
        case DotNodeKind::leaf: return "input";
        case DotNodeKind::constant: return "constant";
        case DotNodeKind::op: break;
    }
    return "op";
}

template <class T>
bool same_array(const Array<T>& a, const Array<T>& b) {
    return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

template <class T>
json trace_json(const BackwardTrace<T>& trace, const std::vector<std::pair<std::string, const Array<T>*>>& inputs) {
    const auto& steps = trace.steps();
    std::unordered_map<const Node<T>*, std::size_t> id_of;
    json nodes = json::array();
    auto add = [&](const Tensor<T>& t) {
        if (auto it = id_of.find(t.node()); it != id_of.end()) return it->second;
        const std::size_t id = nodes.size();
        id_of.emplace(t.node(), id);
        std::string kind = kind_name(dot_node_kind(t)), label = t.label();
        if (t.is_leaf() && !t.requires_grad())
            for (const auto& [name, value] : inputs)
                if (same_array(t.value(), *value)) {
                    kind = "input";
                    if (label.empty()) label = name;
                }
        nodes.push_back({{"id", id}, {"kind", kind}, {"op", t.is_leaf() ? "" : t.op()}, {"label", label},
                         {"shape", t.shape()}, {"value", array_preview(t.value())}, {"inputs", json::array()}});
        return id;
    };
    // The engine visits outputs before inputs: in reverse, every input is numbered before the op that uses it.
    for (std::size_t k = steps.size(); k-- > 0;) {
        json ins = json::array();
        for (const auto& s : steps[k].sent) ins.push_back(add(s.input));
        nodes[add(steps[k].output)]["inputs"] = ins;
    }
    json out_steps = json::array();
    for (const auto& s : steps) {
        json sent = json::array();
        for (const auto& in : s.sent) {
            const bool reduced = in.defined && shape_of(in.grad) != in.input.shape();
            sent.push_back({{"input", id_of.at(in.input.node())},
                            {"defined", in.defined},
                            {"grad", in.defined ? array_preview(in.grad) : json(nullptr)},
                            {"summed_to", reduced ? json(in.input.shape()) : json(nullptr)}});
        }
        out_steps.push_back({{"node", id_of.at(s.output.node())}, {"op", s.op}, {"rule", s.rule},
                             {"grad_out", array_preview(s.grad_out)}, {"sent", sent}});
    }
    return {{"nodes", nodes}, {"steps", out_steps}, {"root", steps.empty() ? json(nullptr) : json(id_of.at(steps[0].output.node()))}};
}

json agreement_json(const nn::BpcheckReport& r) {
    json rows = json::array();
    for (const auto& l : r.layers)
        for (const auto& q : l.quantities)
            rows.push_back({{"layer", l.layer},
                            {"activation", l.activation},
                            {"quantity", q.name},
                            {"shape", q.shape},
                            {"autograd_vs_reference", comparison_json(q.autograd_vs_reference)},
                            {"autograd_vs_fd", comparison_json(q.autograd_vs_fd)},
                            {"reference_vs_fd", comparison_json(q.reference_vs_fd)},
                            {"fd_count", q.fd_count},
                            {"kinks", q.flagged.size()},
                            {"ok", q.ok()}});
    return {{"loss", {{"autograd", r.loss_autograd}, {"reference", r.loss_reference}, {"finite_differences", r.loss_fd},
                      {"ok", r.loss_ok}}},
            {"rows", rows},
            {"layers", r.layers.size()},
            {"reference_run", r.reference_run},
            {"note", r.note},
            {"fd_precision", r.fd_precision},
            {"tolerances", {{"analytic_rtol", r.tolerances.analytic.rtol}, {"numeric_rtol", r.tolerances.numeric.rtol}}},
            {"fd_count", r.fd_count()},
            {"flagged_count", r.flagged_count()},
            {"ok", r.ok()}};
}

namespace {

// The boundary note of hidden layer l (1-based) for the first `samples` rows of the batch, from the delta reference's
// numbers, beside autograd's gradient at z(l) (`arrived`, the gradient the trace saw arrive there).
template <class T>
json mlp_hidden_note(const reference::MlpParams<T>& net, const reference::BackpropResult<T>& ref, std::size_t l,
                 std::size_t samples, const Array<T>& arrived) {
    const auto& p = net.layers[l - 1];
    const auto& layer = ref.layers[l - 1];
    const auto& W = net.layers[l].W;
    const std::string ls = std::to_string(l), next = std::to_string(l + 1);
    const Array<T> fprime = reference::activation_derivative(p.activation, layer.z, p.resolved_alpha());
    const Array<double> back = rows_times(ref.layers[l].delta, W);  // W(l+1)ᵀ δ(l+1), a row per sample
    json views = json::array();
    for (std::size_t s = 0; s < samples; ++s) {
        const std::vector<double> delta = row_of(layer.delta, s), autograd = row_of(arrived, s);
        json ag = column("autograd", "autograd: arriving at z(" + ls + ")", vector_preview(autograd));
        ag["grad_row"] = s;
        views.push_back(
            {{"row", s},
             {"blocks",
              {vectors_block("δ(" + next + "), from the layer above",
                             {column("delta_next", "δ(" + next + ")", vector_preview(row_of(ref.layers[l].delta, s)))}),
               vectors_block("then, unit by unit (f = " + std::string(activation_name(p.activation)) + "):",
                             {column("back", "W(" + next + ")ᵀ δ(" + next + ")", vector_preview(row_of(back, s))),
                              column("fprime", "f'(z(" + ls + "))", vector_preview(row_of(fprime, s))),
                              column("delta", "δ(" + ls + ") = product", vector_preview(delta)), ag})}},
             {"max_abs_diff", max_abs_diff(delta, autograd)}});
    }
    return {{"title", "Layer boundary: δ(" + ls + ")"},
            {"formula", "δ(" + ls + ") = W(" + next + ")ᵀ δ(" + next + ") ⊙ f'(z(" + ls + "))"},
            {"text", "The delta reference (plain arrays, no autograd) with this batch's numbers, next to the gradient "
                     "autograd sent to z(" + ls + "). The notes write one sample as a column vector."},
            {"blocks", {grid_block("W(" + next + "), the next layer's weights", "W_next", "W(" + next + ")", array_preview(W))}},
            {"views", json::array({views})},
            {"relations", {relation("delta", {"back"}, {"fprime"}), relation("autograd", {"delta"})}}};
}

}  // namespace

template <class T>
json mlp_explorer_json(nn::Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, nn::Loss loss, double lambda,
                       const nn::BpcheckReport& report, std::size_t max_samples) {
    if (max_samples == 0) throw ValueError("mlp_explorer_json: max_samples must be at least 1");
    const std::size_t samples = std::min(max_samples, X.shape()[0]);
    BackwardTrace<T> trace;
    {
        ObserverGuard<T> guard(trace);
        nn::autograd_gradients(mlp, X, Y, loss, lambda);
    }
    json data = trace_json(trace, {{"x (the batch)", &X}, {"y (the targets)", &Y}});

    const nn::MlpSpec& spec = mlp.spec();
    json layers = json::array({{{"size", spec.sizes[0]}, {"activation", ""}}});
    for (std::size_t l = 0; l < spec.num_layers(); ++l)
        layers.push_back({{"size", spec.sizes[l + 1]}, {"activation", report.layers.at(l).activation}});
    data["network"] = {{"kind", "mlp"}, {"spec", spec.str()}, {"layers", layers}};

    // z(l) is the node whose incoming gradient is δ(l): find its step, and take autograd's row there.
    const reference::MlpParams<T> net = nn::reference_params(mlp, loss);
    const reference::BackpropResult<T> ref = reference::delta_backprop(net, X, Y, loss, static_cast<T>(lambda));
    json notes = json::object();
    const auto& z = mlp.preactivations();
    std::vector<std::size_t> rows(samples);
    for (std::size_t s = 0; s < samples; ++s) rows[s] = s;
    for (std::size_t l = 1; l <= z.size(); ++l) {
        const std::size_t k = step_at(trace, z[l - 1].node());
        if (k == trace.steps().size()) continue;  // z(l) needs no gradient (nothing before it requires grad)
        const Array<T>& arrived = trace.steps()[k].grad_out;
        json note;
        if (l == z.size()) {
            const auto& top = ref.layers.back();
            const auto& p = net.layers.back();
            note = output_note<T>({top.z, top.a, top.delta, Y, arrived, p.activation, p.resolved_alpha()}, loss, "L", {rows});
        } else {
            note = mlp_hidden_note(net, ref, l, samples, arrived);
        }
        note["layer"] = l;
        note["samples"] = rows;
        notes[std::to_string(data["steps"][k]["node"].get<std::size_t>())] = note;
    }
    data["notes"] = notes;
    data["agreement"] = agreement_json(report);
    data["batch"] = X.shape()[0];
    return data;
}

void write_explorer(const std::string& path, nlohmann::json data, const nlohmann::json& run) {
    data["kind"] = "backprop-explorer";
    data["run"] = run;
    HtmlPage page;
    page.title = "backprop explorer: " + data.value("/network/spec"_json_pointer, std::string("a model"));
    page.assets = {"page.css", "charts.js", "explorer_models.js", "explorer.js"};
    page.data = std::move(data);
    write_html(path, page, "bpcheck");
}

namespace explorer {
#define DG_INSTANTIATE(T)                                                                                          \
    template json array_preview<T>(const Array<T>&, std::size_t, std::size_t);                                     \
    template std::vector<double> row_of<T>(const Array<T>&, std::size_t);                                          \
    template Array<double> rows_times<T>(const Array<T>&, const Array<T>&);                                        \
    template std::size_t step_at<T>(const BackwardTrace<T>&, const Node<T>*);                                      \
    template std::size_t step_sending_to<T>(const BackwardTrace<T>&, const Node<T>*);                              \
    template json output_note<T>(const OutputArrays<T>&, reference::Loss, const std::string&,                      \
                                 const std::vector<std::vector<std::size_t>>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE
}  // namespace explorer

#define DG_INSTANTIATE(T)                                                                                         \
    template json trace_json<T>(const BackwardTrace<T>&, const std::vector<std::pair<std::string, const Array<T>*>>&); \
    template json mlp_explorer_json<T>(nn::Mlp<T>&, const Array<T>&, const Array<T>&, nn::Loss, double,           \
                                       const nn::BpcheckReport&, std::size_t);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::examples
