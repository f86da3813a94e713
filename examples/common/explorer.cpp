// The explorer's data: the traced graph and steps, the agreement table, an MLP's network and δ(l) notes.
#include "common/explorer.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "autograd/array/errors.hpp"
#include "autograd/inspect/graphviz.hpp"
#include "common/html_page.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::examples {

namespace {

using nlohmann::json;

template <class T>
json preview(const Array<T>& a, std::size_t max_rows = 6, std::size_t max_cols = 6) {
    std::vector<double> values(a.begin(), a.end());
    std::vector<std::size_t> shape(a.shape().begin(), a.shape().end());
    return preview_json(values, shape, max_rows, max_cols);
}

json vector_preview(const std::vector<double>& v, std::size_t max = 10) { return preview_json(v, {v.size()}, 1, max); }

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
                         {"shape", t.shape()}, {"value", preview(t.value())}, {"inputs", json::array()}});
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
                            {"grad", in.defined ? preview(in.grad) : json(nullptr)},
                            {"summed_to", reduced ? json(in.input.shape()) : json(nullptr)}});
        }
        out_steps.push_back({{"node", id_of.at(s.output.node())}, {"op", s.op}, {"rule", s.rule},
                             {"grad_out", preview(s.grad_out)}, {"sent", sent}});
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
    return {{"loss", {{"autograd", r.loss_autograd}, {"reference", r.loss_reference}, {"fd_model", r.loss_fd},
                      {"ok", r.loss_ok}}},
            {"rows", rows},
            {"layers", r.layers.size()},
            {"tolerances", {{"analytic_rtol", r.tolerances.analytic.rtol}, {"numeric_rtol", r.tolerances.numeric.rtol}}},
            {"fd_count", r.fd_count()},
            {"flagged_count", r.flagged_count()},
            {"ok", r.ok()}};
}

namespace {

template <class T>
std::vector<double> row_of(const Array<T>& a, std::size_t r) {
    const std::size_t n = a.shape()[1];
    return std::vector<double>(a.data() + r * n, a.data() + (r + 1) * n);
}

// The boundary note of layer l (1-based) for the first `samples` rows of the batch, from the delta reference's
// numbers, beside autograd's gradient at z(l) (`arrived`, the gradient the trace saw arrive there).
template <class T>
json layer_note(const reference::MlpParams<T>& net, const reference::BackpropResult<T>& ref, const Array<T>& Y,
                nn::Loss loss, std::size_t l, std::size_t samples, const Array<T>& arrived) {
    const std::size_t L = net.layers.size();
    const auto& p = net.layers[l - 1];
    const auto& layer = ref.layers[l - 1];
    const std::string ls = std::to_string(l), next = std::to_string(l + 1);
    json note = {{"layer", l}, {"kind", l == L ? "output" : "hidden"}, {"activation", activation_name(p.activation)}};
    const bool with_fprime = l < L || loss == nn::Loss::mse || loss == nn::Loss::mse_half;
    const Array<T> fprime = with_fprime ? reference::activation_derivative(p.activation, layer.z, p.resolved_alpha()) : Array<T>();
    if (l == L) {
        switch (loss) {
            case nn::Loss::softmax_ce: note["formula"] = "δ(L) = (softmax(z(L)) − y) / m"; break;
            case nn::Loss::bce: note["formula"] = "δ(L) = (σ(z(L)) − y) / (m·n)"; break;
            case nn::Loss::mse_half: note["formula"] = "δ(L) = (a(L) − y) ⊙ f'(z(L)) / m"; break;
            case nn::Loss::mse: note["formula"] = "δ(L) = 2 (a(L) − y) ⊙ f'(z(L)) / (m·n)"; break;
        }
    } else {
        note["formula"] = "δ(" + ls + ") = W(" + next + ")ᵀ δ(" + next + ") ⊙ f'(z(" + ls + "))";
        note["W_next"] = preview(net.layers[l].W);
    }
    json rows = json::array();
    for (std::size_t s = 0; s < samples; ++s) {
        const std::vector<double> delta = row_of(layer.delta, s), autograd = row_of(arrived, s);
        double diff = 0;
        for (std::size_t k = 0; k < delta.size(); ++k) diff = std::max(diff, std::abs(delta[k] - autograd[k]));
        json row = {{"sample", s}, {"delta", vector_preview(delta)}, {"autograd", vector_preview(autograd)},
                    {"max_abs_diff", diff}};
        if (with_fprime) row["fprime"] = vector_preview(row_of(fprime, s));
        if (l == L) {
            row["a"] = vector_preview(row_of(layer.a, s));
            row["y"] = vector_preview(row_of(Y, s));
        } else {  // W(l+1)ᵀ δ(l+1) for this sample: W(l+1) is [n_{l+1}, n_l]
            const auto& W = net.layers[l].W;
            const std::vector<double> delta_next = row_of(ref.layers[l].delta, s);
            std::vector<double> back(W.shape()[1], 0.0);
            for (std::size_t i = 0; i < W.shape()[0]; ++i)
                for (std::size_t j = 0; j < W.shape()[1]; ++j) back[j] += static_cast<double>(W(i, j)) * delta_next[i];
            row["delta_next"] = vector_preview(delta_next);
            row["back"] = vector_preview(back);
        }
        rows.push_back(row);
    }
    note["samples"] = rows;
    return note;
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
    for (std::size_t l = 1; l <= z.size(); ++l) {
        const auto& steps = trace.steps();
        const auto it = std::find_if(steps.begin(), steps.end(),
                                     [&](const auto& s) { return s.output.node() == z[l - 1].node(); });
        if (it == steps.end()) continue;  // z(l) needs no gradient (nothing before it requires grad)
        const std::size_t node = data["steps"][it - steps.begin()]["node"];
        notes[std::to_string(node)] = layer_note(net, ref, Y, loss, l, samples, it->grad_out);
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
    page.assets = {"page.css", "charts.js", "explorer.js"};
    page.data = std::move(data);
    write_html(path, page, "bpcheck");
}

#define DG_INSTANTIATE(T)                                                                                         \
    template json trace_json<T>(const BackwardTrace<T>&, const std::vector<std::pair<std::string, const Array<T>*>>&); \
    template json mlp_explorer_json<T>(nn::Mlp<T>&, const Array<T>&, const Array<T>&, nn::Loss, double,           \
                                       const nn::BpcheckReport&, std::size_t);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::examples
