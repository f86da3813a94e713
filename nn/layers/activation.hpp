// Activation modules: sigmoid, tanh, ReLU, leaky ReLU(α), ELU(α), softplus, |x|, identity, softmax,
// log-softmax — one Activation<T> class with a kind, plus libtorch-style named subclasses (ReLU<T>, ...).
#pragma once

#include <string>
#include <string_view>

#include "nn/module.hpp"

namespace dg::nn {

/// The activations a layer can apply. The elementwise ones (all but softmax / log_softmax) are those of
/// the delta reference, with the same names.
enum class ActivationKind { identity, sigmoid, tanh, relu, leaky_relu, elu, softplus, abs, softmax, log_softmax };

/// An activation and its parameter α (used by leaky_relu and elu only).
struct ActivationSpec {
    ActivationKind kind = ActivationKind::identity;
    double alpha = 0;

    /// The name, as the delta reference spells it: "identity", "sigmoid", "leaky_relu", ...
    const char* name() const;
    /// "leaky_relu(0.2)", "sigmoid": the name with α when the kind takes one.
    std::string str() const;
    /// Elementwise (everything but softmax and log_softmax).
    bool elementwise() const;
};

/// "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "abs", "softmax", "log_softmax".
const char* activation_name(ActivationKind kind);
/// 0.01 for leaky_relu, 1 for elu, 0 otherwise (PyTorch's defaults).
double default_alpha(ActivationKind kind);
/// Parses a name ('-' accepted for '_', "linear" for identity); ValueError listing the valid names.
ActivationKind parse_activation_kind(std::string_view name);

/// y = f(x), elementwise (softmax and log_softmax: along the last axis). Keeps the input's shape.
template <class T>
class Activation : public Module<T> {
public:
    explicit Activation(ActivationKind kind, double alpha);
    explicit Activation(ActivationKind kind) : Activation(kind, default_alpha(kind)) {}
    explicit Activation(ActivationSpec spec) : Activation(spec.kind, spec.alpha) {}

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override;
    std::string describe() const override;

    const ActivationSpec& spec() const { return spec_; }
    ActivationKind kind() const { return spec_.kind; }
    double alpha() const { return spec_.alpha; }

private:
    ActivationSpec spec_;
};

/// f applied to a tensor without a module (what Activation::forward does).
template <class T>
Tensor<T> activate(const Tensor<T>& x, const ActivationSpec& spec);

// Named classes in the manner of libtorch: std::make_shared<ReLU<float>>(), std::make_shared<LeakyReLU<float>>(0.2).
template <class T> struct Identity : Activation<T> { Identity() : Activation<T>(ActivationKind::identity) {} };
template <class T> struct Sigmoid : Activation<T> { Sigmoid() : Activation<T>(ActivationKind::sigmoid) {} };
template <class T> struct Tanh : Activation<T> { Tanh() : Activation<T>(ActivationKind::tanh) {} };
template <class T> struct ReLU : Activation<T> { ReLU() : Activation<T>(ActivationKind::relu) {} };
template <class T> struct LeakyReLU : Activation<T> {
    explicit LeakyReLU(double alpha = 0.01) : Activation<T>(ActivationKind::leaky_relu, alpha) {}
};
template <class T> struct ELU : Activation<T> {
    explicit ELU(double alpha = 1.0) : Activation<T>(ActivationKind::elu, alpha) {}
};
template <class T> struct Softplus : Activation<T> { Softplus() : Activation<T>(ActivationKind::softplus) {} };
template <class T> struct Abs : Activation<T> { Abs() : Activation<T>(ActivationKind::abs) {} };
template <class T> struct Softmax : Activation<T> { Softmax() : Activation<T>(ActivationKind::softmax) {} };
template <class T> struct LogSoftmax : Activation<T> { LogSoftmax() : Activation<T>(ActivationKind::log_softmax) {} };

extern template class Activation<float>;
extern template class Activation<double>;

}  // namespace dg::nn
