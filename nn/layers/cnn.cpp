// Cnn: the spec parser with shape inference (grammar in cnn.hpp), construction of the layers, and the recorded forward
// pass.
#include "nn/layers/cnn.hpp"

#include <algorithm>
#include <cctype>

#include "autograd/array/errors.hpp"
#include "nn/layers/conv.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/norm.hpp"
#include "nn/layers/pooling.hpp"
#include "nn/layers/spec_text.hpp"

namespace dg::nn {

namespace {

using detail::all_digits;
using detail::split;
using detail::trim;

constexpr const char* cnn_grammar_hint =
    "expected an image CxHxW such as 1x28x28, then tokens such as c32k3p1 (conv), m2 / a2 (max / average pool), bn, "
    "ln, flat, 128 (dense), relu (the activation of the layer before it); grammar in nn/layers/cnn.hpp";

constexpr std::size_t max_digits = 6;

[[noreturn]] void spec_error(std::string_view spec, const std::string& problem) {
    throw ValueError("CNN spec \"" + std::string(spec) + "\": " + problem + "; " + cnn_grammar_hint);
}

std::string dims_str(const Shape& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "×" : "") + std::to_string(s[i]);
    return out;
}

/// Reads a token made of a letter-led number and letter-keyed options: "c32k3p1" → {'c': 32, 'k': 3, 'p': 1}. Returns
/// false when it is not of that form (it may be an activation name); `problem` explains a malformed number.
bool keyed_numbers(std::string_view token, std::vector<std::pair<char, std::size_t>>& out, std::string& problem) {
    out.clear();
    std::size_t i = 0;
    while (i < token.size()) {
        const char key = token[i++];
        if (!std::isalpha(static_cast<unsigned char>(key))) return false;
        const std::size_t start = i;
        while (i < token.size() && std::isdigit(static_cast<unsigned char>(token[i]))) ++i;
        const std::string_view digits = token.substr(start, i - start);
        if (!all_digits(digits)) return false;
        if (digits.size() > max_digits) {
            problem = "the number after '" + std::string(1, key) + "' has more than " + std::to_string(max_digits) +
                      " digits";
            out.emplace_back(key, 0);
            return true;
        }
        out.emplace_back(key, std::stoul(std::string(digits)));
    }
    return !out.empty();
}

}  // namespace

std::string CnnLayerSpec::str() const {
    switch (kind) {
        case CnnLayerKind::conv: {
            std::string t = "c" + std::to_string(size) + "k" + std::to_string(kernel);
            if (stride != 1) t += "s" + std::to_string(stride);
            if (padding) t += "p" + std::to_string(padding);
            if (dilation != 1) t += "d" + std::to_string(dilation);
            if (groups != 1) t += "g" + std::to_string(groups);
            return t;
        }
        case CnnLayerKind::max_pool:
        case CnnLayerKind::avg_pool: {
            std::string t = (kind == CnnLayerKind::max_pool ? "m" : "a") + std::to_string(kernel);
            if (stride != kernel) t += "s" + std::to_string(stride);
            if (padding) t += "p" + std::to_string(padding);
            return t;
        }
        case CnnLayerKind::batch_norm: return "bn";
        case CnnLayerKind::layer_norm: return "ln";
        case CnnLayerKind::flatten: return "flat";
        case CnnLayerKind::dense: return std::to_string(size);
    }
    return "?";
}

std::string CnnSpec::str() const {
    std::string s = std::to_string(channels) + "x" + std::to_string(height) + "x" + std::to_string(width);
    for (const CnnLayerSpec& l : layers) {
        s += "-" + l.str();
        if (l.activation) s += "-" + l.activation->str();
    }
    return s;
}

bool is_cnn_spec(std::string_view spec) {
    // Digits and 'x' only, at least one 'x': "1x28x28" (or a malformed image such as "28x28", which the parser then
    // explains); not a recurrent spec's "emb27x8".
    const std::string_view first = trim(split(spec, '-', true).front());
    if (first.empty() || first.find('x') == std::string_view::npos) return false;
    return std::all_of(first.begin(), first.end(),
                       [](char c) { return c == 'x' || std::isdigit(static_cast<unsigned char>(c)); });
}

CnnSpec parse_cnn_spec(std::string_view spec) {
    if (trim(spec).empty()) spec_error(spec, "the spec is empty");
    const std::vector<std::string_view> tokens = split(spec, '-', true);
    CnnSpec out;

    // The image C x H x W.
    const std::vector<std::string_view> dims = split(trim(tokens[0]), 'x');
    if (dims.size() != 3)
        spec_error(spec, "it starts with \"" + std::string(trim(tokens[0])) + "\"; expected the image as CxHxW, e.g. 1x28x28");
    std::size_t image[3];
    for (std::size_t i = 0; i < 3; ++i) {
        const std::string_view d = trim(dims[i]);
        if (!all_digits(d) || d.size() > max_digits || std::stoul(std::string(d)) == 0)
            spec_error(spec, "the image \"" + std::string(trim(tokens[0])) + "\" has extent \"" + std::string(d) +
                           "\"; expected positive integers of at most " + std::to_string(max_digits) + " digits");
        image[i] = std::stoul(std::string(d));
    }
    out.channels = image[0];
    out.height = image[1];
    out.width = image[2];

    Shape shape = out.input_shape();  // per sample, as the layers go
    bool flat = false;
    for (std::size_t t = 1; t < tokens.size(); ++t) {
        const std::string_view token = trim(tokens[t]);
        const std::string where = "token " + std::to_string(t + 1) + " \"" + std::string(token) + "\"";
        const std::string layer_where = where + " (layer " + std::to_string(out.layers.size() + 1) + ")";
        if (token.empty()) spec_error(spec, "token " + std::to_string(t + 1) + " is empty (two '-' in a row, or one at an end)");

        CnnLayerSpec l;
        std::vector<std::pair<char, std::size_t>> keyed;
        std::string problem;
        if (all_digits(token)) {  // a dense layer
            if (token.size() > max_digits) spec_error(spec, where + ": more than " + std::to_string(max_digits) + " digits");
            l.kind = CnnLayerKind::dense;
            l.size = std::stoul(std::string(token));
            if (l.size == 0) spec_error(spec, layer_where + ": a dense layer needs at least one unit");
            if (!flat)
                spec_error(spec, layer_where + ": a dense layer needs 'flat' before it (its input is the image " +
                               dims_str(shape) + ")");
            l.output = {l.size};
        } else if (token == "bn" || token == "ln") {
            l.kind = token == "bn" ? CnnLayerKind::batch_norm : CnnLayerKind::layer_norm;
            l.output = shape;
        } else if (token == "flat") {
            if (flat) spec_error(spec, layer_where + ": 'flat' is given twice");
            l.kind = CnnLayerKind::flatten;
            flat = true;
            l.output = {shape[0] * shape[1] * shape[2]};
        } else if (keyed_numbers(token, keyed, problem) &&
                   (keyed[0].first == 'c' || keyed[0].first == 'm' || keyed[0].first == 'a')) {
            if (!problem.empty()) spec_error(spec, where + ": " + problem);
            const char head = keyed[0].first;
            const bool conv = head == 'c';
            l.kind = conv ? CnnLayerKind::conv : head == 'm' ? CnnLayerKind::max_pool : CnnLayerKind::avg_pool;
            const std::string allowed = conv ? "kspdg" : "sp";
            std::string seen;
            for (std::size_t i = 1; i < keyed.size(); ++i) {
                const auto [key, value] = keyed[i];
                if (allowed.find(key) == std::string::npos)
                    spec_error(spec, where + ": unknown option '" + std::string(1, key) + "'; expected " +
                                   (conv ? "c<channels>k<kernel> then s<stride> p<padding> d<dilation> g<groups>"
                                         : std::string(1, head) + "<kernel> then s<stride> p<padding>"));
                if (seen.find(key) != std::string::npos)
                    spec_error(spec, where + ": option '" + std::string(1, key) + "' is given twice");
                seen += key;
                if (value == 0 && key != 'p')
                    spec_error(spec, where + ": '" + std::string(1, key) + "' is 0; expected at least 1");
                switch (key) {
                    case 'k': l.kernel = value; break;
                    case 's': l.stride = value; break;
                    case 'p': l.padding = value; break;
                    case 'd': l.dilation = value; break;
                    case 'g': l.groups = value; break;
                }
            }
            if (conv) {
                l.size = keyed[0].second;
                if (l.size == 0) spec_error(spec, layer_where + ": a convolution needs at least one output channel");
                if (l.kernel == 0) spec_error(spec, where + ": a convolution needs its kernel, e.g. c" + std::to_string(l.size) + "k3");
            } else {
                l.kernel = keyed[0].second;
                if (l.kernel == 0) spec_error(spec, where + ": the window must be at least 1");
                if (seen.find('s') == std::string::npos) l.stride = l.kernel;
                if (l.padding > l.kernel / 2)
                    spec_error(spec, layer_where + ": padding " + std::to_string(l.padding) + " is more than half the window " +
                                   std::to_string(l.kernel));
            }
            if (flat)
                spec_error(spec, layer_where + ": " + (conv ? "a convolution" : "pooling") +
                               " after 'flat'; expected the image layers before 'flat'");
            if (conv && (shape[0] % l.groups || l.size % l.groups))
                spec_error(spec, layer_where + ": groups " + std::to_string(l.groups) + " must divide the input channels (" +
                               std::to_string(shape[0]) + ") and the output channels (" + std::to_string(l.size) + ")");
            const std::size_t span = l.dilation * (l.kernel - 1) + 1;
            const std::size_t h = shape[1] + 2 * l.padding, w = shape[2] + 2 * l.padding;
            if (h < span || w < span) {
                const std::size_t need = span > 2 * l.padding ? span - 2 * l.padding : 1;
                spec_error(spec, layer_where + ": its " + std::to_string(span) + "×" + std::to_string(span) +
                               " window does not fit its input " + dims_str(shape) +
                               (l.padding ? " padded by " + std::to_string(l.padding) : std::string()) +
                               "; expected an input of at least " + std::to_string(need) + "×" + std::to_string(need) +
                               " (add padding, or pool less before it)");
            }
            l.output = {conv ? l.size : shape[0], (h - span) / l.stride + 1, (w - span) / l.stride + 1};
        } else {  // an activation of the layer before it
            if (out.layers.empty())
                spec_error(spec, where + ": an activation needs a layer before it (the image comes first)");
            if (out.layers.back().activation)
                spec_error(spec, where + ": layer " + std::to_string(out.layers.size()) + " already has the activation " +
                               out.layers.back().activation->str() + " (at most one per layer)");
            try {
                out.layers.back().activation = parse_activation(token, registered_activations());
            } catch (const ValueError& e) {
                spec_error(spec, where + ": not a layer (c<n>k<k>, m<k>, a<k>, bn, ln, flat, a number) and not an activation: " +
                               e.what());
            }
            continue;
        }
        shape = l.output;
        out.layers.push_back(std::move(l));
    }
    if (out.layers.empty()) spec_error(spec, "it has no layers after the image");
    if (!flat) spec_error(spec, "it ends in images " + dims_str(shape) + "; expected features at the end: add 'flat' (and dense layers)");
    for (std::size_t l = 0; l + 1 < out.layers.size(); ++l)
        if (out.layers[l].activation && !out.layers[l].activation->elementwise())
            spec_error(spec, out.layers[l].activation->name() + " on layer " + std::to_string(l + 1) +
                           " (softmax and log_softmax are for the last layer only)");
    if (out.layers.back().activation && !out.layers.back().activation->elementwise() &&
        out.layers.back().output.size() != 1)
        spec_error(spec, "softmax needs features at the end");
    return out;
}

// ---- the module -----------------------------------------------------------------------------------------------

template <class T>
Cnn<T>::Cnn(std::string_view spec, Generator& gen) : Cnn(parse_cnn_spec(spec), gen) {}

template <class T>
Cnn<T>::Cnn(CnnSpec spec, Generator& gen) : spec_(std::move(spec)) {
    if (spec_.layers.empty()) throw ValueError("Cnn: a spec needs at least one layer");
    std::size_t counts[7] = {};
    Shape shape = spec_.input_shape();
    for (std::size_t i = 0; i < spec_.layers.size(); ++i) {
        const CnnLayerSpec& s = spec_.layers[i];
        Layer layer{s.kind, nullptr, nullptr};
        std::string name;
        auto numbered = [&](const char* base, std::size_t kind_index) {
            return base + std::to_string(++counts[kind_index]);
        };
        switch (s.kind) {
            case CnnLayerKind::conv: {
                Conv2dLayerOptions o;
                o.geometry = Conv2dOptions{s.stride, s.padding, s.dilation, s.groups};
                name = numbered("conv", 0);
                layer.module = std::make_shared<Conv2d<T>>(shape[0], s.size, s.kernel, gen, o);
                break;
            }
            case CnnLayerKind::max_pool:
                name = numbered("pool", 1);
                layer.module = std::make_shared<MaxPool2d<T>>(PoolOptions{s.kernel, s.stride, s.padding});
                break;
            case CnnLayerKind::avg_pool:
                name = numbered("pool", 1);
                layer.module = std::make_shared<AvgPool2d<T>>(PoolOptions{s.kernel, s.stride, s.padding});
                break;
            case CnnLayerKind::batch_norm:
                name = numbered("bn", 2);
                if (shape.size() == 3) layer.module = std::make_shared<BatchNorm2d<T>>(shape[0]);
                else layer.module = std::make_shared<BatchNorm1d<T>>(shape[0]);
                break;
            case CnnLayerKind::layer_norm:
                name = numbered("ln", 3);
                layer.module = std::make_shared<LayerNorm<T>>(shape);
                break;
            case CnnLayerKind::flatten:
                name = "flat";
                layer.module = std::make_shared<Flatten<T>>();
                break;
            case CnnLayerKind::dense: {
                // PyTorch's nn.Linear init: W and b ~ U(±1/√in).
                name = numbered("fc", 4);
                LinearOptions o;
                o.bias_init = Init::fan_in_uniform();
                layer.module = std::make_shared<Linear<T>>(shape[0], s.size, gen, o);
                break;
            }
        }
        this->register_module(name, layer.module);
        if (s.activation)
            layer.activation =
                this->register_module("act" + std::to_string(i + 1), std::make_shared<Activation<T>>(*s.activation));
        names_.push_back(name);
        layers_.push_back(std::move(layer));
        shape = s.output;
    }
}

template <class T>
Cnn<T>::Cnn(const Cnn& other)
    : Cloneable<Cnn<T>, T>(other), spec_(other.spec_), names_(other.names_), record_(other.record_) {
    for (std::size_t i = 0; i < other.layers_.size(); ++i)
        layers_.push_back({other.layers_[i].kind, this->template child<Module<T>>(names_[i]),
                           other.layers_[i].activation
                               ? this->template child<Activation<T>>("act" + std::to_string(i + 1))
                               : nullptr});
}

template <class T>
std::string Cnn<T>::describe() const {
    return "Cnn " + spec_.str();
}

template <class T>
std::string Cnn<T>::output_shape_hint() const {
    return "[*, " + std::to_string(spec_.output_features()) + "]";
}

template <class T>
Tensor<T> Cnn<T>::forward(const Tensor<T>& x) {
    const Shape s = x.shape();
    const Shape image = spec_.input_shape();
    Tensor<T> a = x;
    if (s.size() == 2 && s[1] == spec_.input_features()) {
        a = reshape(x, {s[0], image[0], image[1], image[2]});
    } else if (!(s.size() == 4 && std::equal(image.begin(), image.end(), s.begin() + 1))) {
        throw ShapeError(this->where() + ": expected [N, " + std::to_string(image[0]) + ", " + std::to_string(image[1]) +
                         ", " + std::to_string(image[2]) + "] or [N, " + std::to_string(spec_.input_features()) +
                         "], got " + shape_str(s));
    }
    if (record_) {
        z_.clear();
        a_.clear();
    }
    for (const Layer& layer : layers_) {
        Tensor<T> z = (*layer.module)(a);
        a = layer.activation ? (*layer.activation)(z) : z;
        if (record_) {
            if (z.requires_grad()) z.retain_grad();
            z_.push_back(z);
            a_.push_back(a);
        }
    }
    return a;
}

template <class T>
Tensor<T> Cnn<T>::forward_from(std::size_t l, const Tensor<T>& z) {
    if (l < 1 || l > layers_.size())
        throw ValueError(this->where() + ": forward_from(" + std::to_string(l) + "): layers are 1.." +
                         std::to_string(layers_.size()));
    Tensor<T> a = layers_[l - 1].activation ? (*layers_[l - 1].activation)(z) : z;
    for (std::size_t k = l; k < layers_.size(); ++k) {
        a = (*layers_[k].module)(a);
        if (layers_[k].activation) a = (*layers_[k].activation)(a);
    }
    return a;
}

template class Cnn<float>;
template class Cnn<double>;

}  // namespace dg::nn
