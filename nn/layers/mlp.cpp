// Mlp: the spec parser (grammar in mlp.hpp), construction of the layers, and the recorded forward pass.
#include "nn/layers/mlp.hpp"

#include <optional>

#include "autograd/array/errors.hpp"
#include "nn/layers/spec_text.hpp"

namespace dg::nn {

namespace {

using detail::ends_with;

using detail::all_digits;
using detail::split;
using detail::trim;

constexpr const char* grammar_hint =
    "expected sizes such as 784-100-10 (at least two positive integers), then options ':act' (hidden layers), "
    "':act-out' (output layer) or ':act@k' (layer k), act an activation such as tanh or leaky_relu(0.2)";

[[noreturn]] void fail(std::string_view spec, const std::string& problem) {
    throw ValueError("MLP spec \"" + std::string(spec) + "\": " + problem + "; " + grammar_hint);
}

// "name" or "name(α)": the shared activation parser, with the registered custom names, its errors quoting the spec.
ActivationSpec parse_act(std::string_view spec, std::string_view text) {
    try {
        return parse_activation(text, registered_activations());
    } catch (const ValueError& e) {
        fail(spec, e.what());
    }
}

}  // namespace

std::string MlpSpec::str() const {
    std::string s;
    for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? "-" : "") + std::to_string(sizes[i]);
    for (std::size_t l = 0; l < activations.size(); ++l) s += ":" + activations[l].str() + "@" + std::to_string(l + 1);
    return s;
}

MlpSpec parse_mlp_spec(std::string_view spec) {
    if (trim(spec).empty()) fail(spec, "the spec is empty");
    const std::vector<std::string_view> parts = split(spec, ':');

    MlpSpec out;
    const std::vector<std::string_view> sizes = split(parts[0], '-');
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const std::string_view s = trim(sizes[i]);
        if (!all_digits(s))
            fail(spec, "size " + std::to_string(i + 1) + " is \"" + std::string(s) + "\", not a positive integer");
        if (s.size() > 9) fail(spec, "size " + std::to_string(i + 1) + " (" + std::string(s) + ") is too large");
        const std::size_t n = std::stoul(std::string(s));
        if (n == 0) fail(spec, "size " + std::to_string(i + 1) + " is 0; a layer needs at least one unit");
        out.sizes.push_back(n);
    }
    if (out.sizes.size() < 2)
        fail(spec, "it has " + std::to_string(out.sizes.size()) + " size; an MLP needs an input and an output size");
    const std::size_t L = out.sizes.size() - 1;

    std::optional<ActivationSpec> hidden, output;
    std::vector<std::optional<ActivationSpec>> per_layer(L);
    for (std::size_t p = 1; p < parts.size(); ++p) {
        const std::string_view opt = trim(parts[p]);
        if (opt.empty()) fail(spec, "option " + std::to_string(p) + " is empty");
        // ':T4' belongs to a recurrent spec, which names its cell as the first option: say so rather than
        // "unknown activation" (tanh is then the Elman cell, rnn).
        if (opt.size() > 1 && (opt[0] == 'T' || opt[0] == 't') && all_digits(opt.substr(1)))
            fail(spec, "\"" + std::string(opt) + "\" is a recurrent spec's sequence length; a recurrent spec names its cell "
                       "first, e.g. 3-6-4:rnn:" + std::string(opt) + " (rnn, rnn-relu, lstm or gru; grammar in "
                       "nn/layers/recurrent_net.hpp)");
        if (const auto at = opt.rfind('@'); at != std::string_view::npos) {
            const std::string_view k = trim(opt.substr(at + 1));
            if (!all_digits(k) || k.size() > 9)
                fail(spec, "the layer in \"" + std::string(opt) + "\" is not a number");
            const std::size_t layer = std::stoul(std::string(k));
            if (layer < 1 || layer > L)
                fail(spec, "layer " + std::to_string(layer) + " in \"" + std::string(opt) + "\" is out of range 1.." +
                               std::to_string(L));
            if (per_layer[layer - 1]) fail(spec, "layer " + std::to_string(layer) + "'s activation is given twice");
            per_layer[layer - 1] = parse_act(spec, opt.substr(0, at));
        } else if (ends_with(opt, "-out") || ends_with(opt, "_out")) {
            if (output) fail(spec, "the output activation is given twice");
            output = parse_act(spec, opt.substr(0, opt.size() - 4));
        } else {
            if (hidden) fail(spec, "the hidden activation is given twice (use '-out' for the output layer)");
            hidden = parse_act(spec, opt);
        }
    }
    for (std::size_t l = 0; l < L; ++l) {
        const bool last = l + 1 == L;
        ActivationSpec act = per_layer[l] ? *per_layer[l]
                             : last       ? output.value_or(ActivationSpec{ActivationKind::identity, 0, {}})
                                          : hidden.value_or(ActivationSpec{ActivationKind::sigmoid, 0, {}});
        if (!last && !act.elementwise())
            fail(spec, act.name() + " on hidden layer " + std::to_string(l + 1) +
                           " (softmax and log_softmax are for the output layer only)");
        out.activations.push_back(act);
    }
    return out;
}

template <class T>
Mlp<T>::Mlp(std::string_view spec, Generator& gen, const MlpOptions& options)
    : Mlp(parse_mlp_spec(spec), gen, options) {}

template <class T>
Mlp<T>::Mlp(MlpSpec spec, Generator& gen, const MlpOptions& options) : spec_(std::move(spec)) {
    if (spec_.sizes.size() < 2 || spec_.activations.size() != spec_.sizes.size() - 1)
        throw ValueError("Mlp: a spec needs L+1 sizes and L activations, got " + std::to_string(spec_.sizes.size()) +
                         " and " + std::to_string(spec_.activations.size()));
    for (std::size_t l = 1; l < spec_.sizes.size(); ++l) {
        const std::string k = std::to_string(l);
        Layer layer;
        layer.linear = this->register_module(
            "fc" + k, std::make_shared<Linear<T>>(spec_.sizes[l - 1], spec_.sizes[l], gen, options.linear));
        layer.activation = this->register_module("act" + k, std::make_shared<Activation<T>>(spec_.activations[l - 1]));
        layers_.push_back(std::move(layer));
    }
}

template <class T>
Mlp<T>::Mlp(const Mlp& other) : Cloneable<Mlp<T>, T>(other), spec_(other.spec_), record_(other.record_) {
    for (std::size_t l = 1; l <= other.layers_.size(); ++l) {
        const std::string k = std::to_string(l);
        layers_.push_back({this->template child<Linear<T>>("fc" + k), this->template child<Activation<T>>("act" + k)});
    }
}

template <class T>
std::string Mlp<T>::describe() const {
    return "Mlp " + spec_.str();
}

template <class T>
std::string Mlp<T>::output_shape_hint() const {
    return "[*, " + std::to_string(spec_.sizes.back()) + "]";
}

template <class T>
Tensor<T> Mlp<T>::forward(const Tensor<T>& x) {
    if (record_) {
        z_.clear();
        a_.clear();
    }
    Tensor<T> a = x;
    for (const Layer& layer : layers_) {
        Tensor<T> z = (*layer.linear)(a);
        a = (*layer.activation)(z);
        if (record_) {
            // An identity activation returns z itself: then a(l) is z(l), one tensor (and one node in the graph).
            if (z.requires_grad()) z.retain_grad();
            z_.push_back(z);
            a_.push_back(a);
        }
    }
    return a;
}

template <class T>
std::vector<MlpLayerArrays<T>> Mlp<T>::layer_arrays() const {
    std::vector<MlpLayerArrays<T>> out;
    for (const Layer& layer : layers_) {
        MlpLayerArrays<T> arrays;
        arrays.W = layer.weight().value();
        if (layer.linear->has_bias()) arrays.b = layer.bias().value();
        else arrays.b = xt::zeros<T>({layer.linear->out_features()});
        arrays.activation = layer.act();
        out.push_back(std::move(arrays));
    }
    return out;
}

template class Mlp<float>;
template class Mlp<double>;

}  // namespace dg::nn
