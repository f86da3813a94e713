// The explorer's CNN part (cnn_explorer_json): the network as layer boxes with their map shapes, and the boundary note
// of every layer from the conv delta reference (nn/reference/conv_backprop): what layer l+1 sends back, times
// f'(z(l)), as small map previews beside autograd's δ(l).
#include <algorithm>
#include <cmath>
#include <tuple>

#include "autograd/array/errors.hpp"
#include "common/explorer.hpp"
#include "common/explorer_parts.hpp"
#include "nn/check/bpcheck_cnn.hpp"
#include "nn/reference/conv_backprop.hpp"
#include "nn/reference/conv_planes.hpp"
#include "nn/reference/delta_activation.hpp"

namespace dg::examples {

namespace {

using nlohmann::json;
using namespace explorer;

// Maps are previewed: the first channels of a sample, each at most map_extent × map_extent.
constexpr std::size_t max_channels = 3, map_extent = 8;

const char* layer_kind(nn::CnnLayerKind k) {
    switch (k) {
        case nn::CnnLayerKind::conv: return "conv";
        case nn::CnnLayerKind::max_pool: return "max_pool";
        case nn::CnnLayerKind::avg_pool: return "avg_pool";
        case nn::CnnLayerKind::batch_norm: return "batch_norm";
        case nn::CnnLayerKind::layer_norm: return "layer_norm";
        case nn::CnnLayerKind::flatten: return "flatten";
        case nn::CnnLayerKind::dense: break;
    }
    return "dense";
}

// The child names of layer l's module and activation ("conv1", "act1"): what the labels of its nodes start with.
template <class T>
json names_of(const nn::Cnn<T>& cnn, std::size_t l) {
    json names = json::array();
    const auto& layer = cnn.layers()[l];
    for (const auto& [name, child] : cnn.named_children())
        if (child == layer.module || (layer.activation && child == layer.activation)) names.push_back(name);
    return names;
}

template <class T>
json plane_preview(const Array<T>& a, std::size_t n, std::size_t c) {
    return array_preview(reference::plane(a, n, c), map_extent, map_extent);
}

// A block of maps: for each of the first channels of sample n, one map per (id, label, array) side by side. The
// column `grad_row` (autograd's) names the row of the step's gradient preview ([N·C·H, W]) its map starts at.
template <class T>
json maps_block(const std::string& caption, const std::vector<std::tuple<std::string, std::string, const Array<T>*>>& maps,
                std::size_t n) {
    json channels = json::array();
    const Array<T>& first = *std::get<2>(maps.front());
    const std::size_t C = first.shape()[1], H = first.shape()[2];
    for (std::size_t c = 0; c < std::min(C, max_channels); ++c) {
        json cols = json::array();
        for (const auto& [id, label, a] : maps) {
            json col = column(id, label, plane_preview(*a, n, c));
            if (id == "autograd") col["grad_row"] = (n * C + c) * H;
            cols.push_back(col);
        }
        channels.push_back({{"channel", c}, {"columns", cols}});
    }
    return {{"kind", "maps"}, {"caption", caption}, {"channels", channels}, {"more_channels", C > max_channels ? C - max_channels : 0}};
}

template <class T>
double sample_diff(const Array<T>& a, const Array<T>& b, std::size_t n) {
    const std::size_t per = a.size() / a.shape()[0];
    double diff = 0;
    for (std::size_t i = n * per; i < (n + 1) * per; ++i)
        diff = std::max(diff, std::abs(static_cast<double>(a.data()[i]) - static_cast<double>(b.data()[i])));
    return diff;
}

// What layer n (1-based) sends back to a(n − 1), as the formula writes it and in words.
template <class T>
std::pair<std::string, std::string> sent_back(const nn::CnnLayerSpec& s, const reference::ConvLayer<T>& layer,
                                              const std::string& n) {
    const std::string d = "δ(" + n + ")";
    switch (s.kind) {
        case nn::CnnLayerKind::conv: {
            const std::size_t k = (layer.W.shape()[2] - 1) * s.dilation + 1;
            std::string how = "a convolution sends back " + d + " correlated with its flipped kernel rot180(W(" + n +
                              ")[o, c]), summed over its output channels o: the full correlation, " + d + " padded by k − 1 − p = " +
                              std::to_string(k - 1 - s.padding);
            if (s.stride > 1) how += " after " + std::to_string(s.stride - 1) + " zero(s) between its entries (stride " + std::to_string(s.stride) + ")";
            return {"Σ_o " + d + "[o] ⋆ rot180(W(" + n + ")[o, c])", how};
        }
        case nn::CnnLayerKind::max_pool:
            return {"route(" + d + " → each window's arg-max)",
                    "max pooling sends each entry of " + d + " to the position of its window's maximum (the first of tied "
                    "maxima); every other position gets 0"};
        case nn::CnnLayerKind::avg_pool:
            return {"spread(" + d + " / " + std::to_string(s.kernel * s.kernel) + ")",
                    "average pooling spreads each entry of " + d + ", divided by the window's " + std::to_string(s.kernel) +
                        "·" + std::to_string(s.kernel) + " entries, over its window"};
        case nn::CnnLayerKind::flatten:
            return {"reshape(" + d + ")", "flatten sends " + d + " back reshaped to the maps it flattened"};
        default: break;  // dense (the norms have no reference)
    }
    return {"W(" + n + ")ᵀ " + d, "a dense layer sends back W(" + n + ")ᵀ" + d};
}

// The note of layer l (1-based) below the last: δ(l) = ∂loss/∂a(l) ⊙ f'(z(l)), ∂loss/∂a(l) from the reference's own
// recurrence run on layers l+1..L from a(l) (so nothing of conv_backprop is redone here), for the first `samples`.
template <class T>
json cnn_hidden_note(const nn::CnnSpec& spec, const reference::ConvNetParams<T>& net, const reference::ConvBackpropResult<T>& ref,
                 const Array<T>& Y, reference::Loss loss, std::size_t l, std::size_t samples, const Array<T>& arrived,
                 const Array<T>* dW_autograd) {
    const auto& p = net.layers[l - 1];
    const auto& r = ref.layers[l - 1];
    const auto& next = net.layers[l];
    reference::ConvNetParams<T> tail;
    tail.layers.assign(net.layers.begin() + static_cast<std::ptrdiff_t>(l), net.layers.end());
    const Array<T> back = reference::conv_backprop(tail, r.a, Y, loss).input_grad;
    const bool has_f = p.activation != ActivationKind::identity;
    const Array<T> fprime = has_f ? reference::activation_derivative(p.activation, r.z, p.resolved_alpha()) : Array<T>();
    const std::string ls = std::to_string(l), n = std::to_string(l + 1);
    const auto [sends, how] = sent_back(spec.layers[l], next, n);

    json blocks = json::array(), relations = json::array();
    if (spec.layers[l].kind == nn::CnnLayerKind::conv)
        blocks.push_back(grid_block("The flipped kernel of layer " + n + " from input channel 1 to output channel 1",
                                    "kernel", "rot180(W(" + n + ")[1, 1])",
                                    array_preview(reference::rotate180(reference::plane(next.W, 0, 0)), map_extent, map_extent)));
    if (spec.layers[l].kind == nn::CnnLayerKind::dense)
        blocks.push_back(grid_block("W(" + n + "), the next layer's weights", "W_next", "W(" + n + ")", array_preview(next.W)));
    if (p.kind == reference::ConvLayerKind::conv && dW_autograd && shape_of(*dW_autograd) == shape_of(r.dW)) {
        // After the maps: the layer's own weight gradient, the input correlated with δ.
        json dW = grid_block("ΔW(" + ls + ") = Σ_n a(" + std::to_string(l - 1) + ")[n, c] ⋆ δ(" + ls +
                                 ")[n, o], the input correlated with δ: the reference's for o = 1, c = 1",
                             "dW", "ΔW(" + ls + ")[1, 1]", plane_preview(r.dW, 0, 0));
        json dW_mine = grid_block("and autograd's gradient of W(" + ls + ")[1, 1]", "dW_autograd", "autograd",
                                  plane_preview(*dW_autograd, 0, 0));
        dW["after"] = dW_mine["after"] = true;
        blocks.push_back(dW);
        blocks.push_back(dW_mine);
        relations.push_back(relation("dW_autograd", {"dW"}));
    }
    relations.push_back(has_f ? relation("delta", {"back"}, {"fprime"}) : relation("delta", {"back"}));
    relations.push_back(relation("autograd", {"delta"}));

    const std::string dl = "δ(" + ls + ")", da = "∂loss/∂a(" + ls + ")";
    json views = json::array();
    for (std::size_t s = 0; s < samples; ++s) {
        json view_blocks = json::array();
        const Array<T>& d_next = ref.layers[l].delta;
        if (d_next.dimension() == 4)
            view_blocks.push_back(maps_block<T>("δ(" + n + "), arriving from layer " + n, {{"delta_next", "δ(" + n + ")", &d_next}}, s));
        else
            view_blocks.push_back(vectors_block("δ(" + n + "), arriving from layer " + n,
                                                {column("delta_next", "δ(" + n + ")", vector_preview(row_of(d_next, s)))}));
        const std::string then = has_f ? "then, entry by entry (f = " + std::string(activation_name(p.activation)) + "):"
                                       : "layer " + ls + " has no activation: δ(" + ls + ") = " + da;
        if (r.z.dimension() == 4) {
            std::vector<std::tuple<std::string, std::string, const Array<T>*>> maps = {{"back", da, &back}};
            if (has_f) maps.emplace_back("fprime", "f'(z(" + ls + "))", &fprime);
            maps.emplace_back("delta", dl + " (reference)", &r.delta);
            maps.emplace_back("autograd", "autograd at z(" + ls + ")", &arrived);
            view_blocks.push_back(maps_block<T>(then, maps, s));
        } else {
            json cols = {column("back", da, vector_preview(row_of(back, s)))};
            if (has_f) cols.push_back(column("fprime", "f'(z(" + ls + "))", vector_preview(row_of(fprime, s))));
            cols.push_back(column("delta", dl + " = product", vector_preview(row_of(r.delta, s))));
            json ag = column("autograd", "autograd: arriving at z(" + ls + ")", vector_preview(row_of(arrived, s)));
            ag["grad_row"] = s;
            cols.push_back(ag);
            view_blocks.push_back(vectors_block(then, cols));
        }
        views.push_back({{"row", s}, {"blocks", view_blocks}, {"max_abs_diff", sample_diff(r.delta, arrived, s)}});
    }
    return {{"title", "Layer boundary: δ(" + ls + ")"},
            {"formula", dl + " = " + sends + (has_f ? " ⊙ f'(z(" + ls + "))" : "")},
            {"text", da + " is what layer " + n + " (" + spec.layers[l].str() + ") sends back: " + how + ". " +
                         (has_f ? "Then times f'(z(" + ls + ")) entry by entry. " : "") +
                         "The numbers are the conv delta reference's (plain arrays and loops, no autograd), next to the "
                         "gradient autograd sent to z(" + ls + "); a map is one channel of one sample (the first " +
                         std::to_string(map_extent) + " rows and columns)."},
            {"blocks", blocks},
            {"views", json::array({views})},
            {"relations", relations}};
}

}  // namespace

template <class T>
json cnn_explorer_json(nn::Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, nn::Loss loss,
                       const nn::BpcheckReport& report, std::size_t max_samples) {
    if (max_samples == 0) throw ValueError("cnn_explorer_json: max_samples must be at least 1");
    const nn::CnnSpec& spec = cnn.spec();
    const std::size_t m = X.shape()[0], samples = std::min(max_samples, m);
    BackwardTrace<T> trace;
    nn::CnnGradients<T> g;
    {
        ObserverGuard<T> guard(trace);
        g = nn::autograd_gradients(cnn, X, Y, loss);
    }
    json data = trace_json(trace, {{"x (the batch)", &X}, {"y (the targets)", &Y}});

    json layers = json::array();
    for (std::size_t l = 0; l < spec.layers.size(); ++l) {
        const nn::CnnLayerSpec& s = spec.layers[l];
        layers.push_back({{"layer", l + 1}, {"kind", layer_kind(s.kind)}, {"token", s.str()},
                          {"activation", s.activation ? s.activation->str() : ""}, {"output", s.output},
                          {"kernel", s.kernel}, {"stride", s.stride}, {"padding", s.padding}, {"dilation", s.dilation},
                          {"groups", s.groups}, {"names", names_of(cnn, l)}});
    }
    data["network"] = {{"kind", "cnn"}, {"spec", spec.str()}, {"input", spec.input_shape()}, {"layers", layers}};

    json notes = json::object();
    const std::string gap = nn::conv_reference_gap(cnn);
    if (!gap.empty()) {
        data["reference_gap"] = gap;
    } else {
        const reference::ConvNetParams<T> net = nn::conv_reference_params(cnn, loss);
        Array<T> images = X;
        if (images.dimension() == 2) images.reshape({m, spec.channels, spec.height, spec.width});
        const reference::ConvBackpropResult<T> ref = reference::conv_backprop(net, images, Y, loss);
        const auto& z = cnn.preactivations();
        const std::size_t L = z.size();
        std::vector<std::size_t> rows(samples);
        for (std::size_t s = 0; s < samples; ++s) rows[s] = s;
        for (std::size_t l = 1; l <= L; ++l) {
            const std::size_t k = step_at(trace, z[l - 1].node());
            if (k == trace.steps().size()) continue;  // z(l) needs no gradient
            const Array<T>& arrived = trace.steps()[k].grad_out;
            json note;
            if (l == L) {
                const auto& top = ref.layers.back();
                note = output_note<T>({top.z, top.a, top.delta, Y, arrived, net.layers.back().activation,
                                       net.layers.back().resolved_alpha()},
                                      loss, std::to_string(L), {rows});
            } else {
                const auto& params = g.params[l - 1];
                note = cnn_hidden_note(spec, net, ref, Y, loss, l, samples, arrived, params.empty() ? nullptr : &params[0]);
            }
            note["layer"] = l;
            note["samples"] = rows;
            notes[std::to_string(data["steps"][k]["node"].get<std::size_t>())] = note;
        }
    }
    data["notes"] = notes;
    data["agreement"] = agreement_json(report);
    data["batch"] = m;
    return data;
}

#define DG_INSTANTIATE(T)                                                                                      \
    template json cnn_explorer_json<T>(nn::Cnn<T>&, const Array<T>&, const Array<T>&, nn::Loss,               \
                                       const nn::BpcheckReport&, std::size_t);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::examples
