// Activation modules: sigmoid, tanh, ReLU, leaky ReLU(α), ELU(α), softplus, |x|, identity, softmax, log-softmax and
// registered custom activations — one Activation<T> class with an ActivationSpec, plus libtorch-style named subclasses.
#pragma once

#include <string>
#include <string_view>

#include "nn/layers/custom_activation.hpp"
#include "nn/module.hpp"
#include "nn/reference/activation_kind.hpp"

namespace dg::nn {

/// y = f(x), elementwise (softmax and log_softmax: along the last axis). Keeps the input's shape. The kinds, their
/// names and α are the shared vocabulary of nn/reference/activation_kind.hpp; custom ones come from the registry.
template <class T>
class Activation : public Cloneable<Activation<T>, T> {
public:
    /// A built-in kind with its α (dropped by the kinds that take none); ValueError if α is not finite. A custom
    /// activation is made from its name (the spec or text constructors).
    explicit Activation(ActivationKind kind, double alpha);
    /// A built-in kind with its default α.
    explicit Activation(ActivationKind kind) : Activation(kind, default_alpha(kind)) {}
    /// From a spec, checked as above; a custom one takes the function registered under its name (ValueError if
    /// there is none).
    explicit Activation(ActivationSpec spec);
    /// From text as an Mlp spec writes it: "relu", "leaky_relu(0.2)", or a registered name such as "swish".
    explicit Activation(std::string_view text);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override;
    std::string describe() const override;

    /// The kind, α and (for a custom activation) the registered name.
    const ActivationSpec& spec() const { return spec_; }
    /// spec().kind
    ActivationKind kind() const { return spec_.kind; }
    /// spec().alpha
    double alpha() const { return spec_.alpha; }

private:
    ActivationSpec spec_;
    ActivationFn<T> custom_;  // the registered function of a custom activation, looked up once
};

/// f applied to a tensor without a module (a custom spec looks its function up in the registry each call).
template <class T>
Tensor<T> activate(const Tensor<T>& x, const ActivationSpec& spec);

/// The base of the named activation classes in the manner of libtorch (std::make_shared<ReLU<float>>(),
/// std::make_shared<LeakyReLU<float>>(0.2)): an Activation that names itself to Cloneable, so that its clone() is of
/// its own class.
template <class Self, class T>
using NamedActivation = Cloneable<Self, T, Activation<T>>;
/// f(x) = x.
template <class T> struct Identity : NamedActivation<Identity<T>, T> {
    Identity() : NamedActivation<Identity<T>, T>(ActivationKind::identity) {}
};
/// f(x) = 1 / (1 + e^−x).
template <class T> struct Sigmoid : NamedActivation<Sigmoid<T>, T> {
    Sigmoid() : NamedActivation<Sigmoid<T>, T>(ActivationKind::sigmoid) {}
};
/// f(x) = tanh x.
template <class T> struct Tanh : NamedActivation<Tanh<T>, T> {
    Tanh() : NamedActivation<Tanh<T>, T>(ActivationKind::tanh) {}
};
/// f(x) = max(x, 0).
template <class T> struct ReLU : NamedActivation<ReLU<T>, T> {
    ReLU() : NamedActivation<ReLU<T>, T>(ActivationKind::relu) {}
};
/// f(x) = x for x > 0, αx otherwise.
template <class T> struct LeakyReLU : NamedActivation<LeakyReLU<T>, T> {
    /// α, the slope for x <= 0 (0.01 by default).
    explicit LeakyReLU(double alpha = default_alpha(ActivationKind::leaky_relu))
        : NamedActivation<LeakyReLU<T>, T>(ActivationKind::leaky_relu, alpha) {}
};
/// f(x) = x for x > 0, α(e^x − 1) otherwise.
template <class T> struct ELU : NamedActivation<ELU<T>, T> {
    /// α, the value approached as x → −∞ is −α (1 by default).
    explicit ELU(double alpha = default_alpha(ActivationKind::elu))
        : NamedActivation<ELU<T>, T>(ActivationKind::elu, alpha) {}
};
/// f(x) = log(1 + e^x).
template <class T> struct Softplus : NamedActivation<Softplus<T>, T> {
    Softplus() : NamedActivation<Softplus<T>, T>(ActivationKind::softplus) {}
};
/// f(x) = |x|.
template <class T> struct Abs : NamedActivation<Abs<T>, T> {
    Abs() : NamedActivation<Abs<T>, T>(ActivationKind::abs) {}
};
/// Softmax along the last axis.
template <class T> struct Softmax : NamedActivation<Softmax<T>, T> {
    Softmax() : NamedActivation<Softmax<T>, T>(ActivationKind::softmax) {}
};
/// Log-softmax along the last axis.
template <class T> struct LogSoftmax : NamedActivation<LogSoftmax<T>, T> {
    LogSoftmax() : NamedActivation<LogSoftmax<T>, T>(ActivationKind::log_softmax) {}
};

extern template class Activation<float>;
extern template class Activation<double>;

}  // namespace dg::nn
