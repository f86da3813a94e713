// Activation modules: forward on the library's differentiable ops, or on a registered custom function.
#include "nn/layers/activation.hpp"

#include <cmath>
#include <sstream>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"

namespace dg::nn {

namespace {

// y = f(x) for a custom f, which must keep x's shape.
template <class T>
Tensor<T> apply_custom(const ActivationFn<T>& f, const std::string& name, const Tensor<T>& x) {
    Tensor<T> y = f(x);
    if (y.shape() != x.shape())
        throw ShapeError(name + ": the custom activation returned shape " + shape_str(y.shape()) + " for an input of " +
                         "shape " + shape_str(x.shape()) + "; an activation must be elementwise");
    return y;
}

}  // namespace

template <class T>
Tensor<T> activate(const Tensor<T>& x, const ActivationSpec& spec) {
    const T alpha = static_cast<T>(spec.alpha);
    switch (spec.kind) {
        case ActivationKind::identity: return x;
        case ActivationKind::sigmoid: return sigmoid(x);
        case ActivationKind::tanh: return tanh(x);
        case ActivationKind::relu: return relu(x);
        case ActivationKind::leaky_relu: return leaky_relu(x, alpha);
        case ActivationKind::elu: return elu(x, alpha);
        case ActivationKind::softplus: return softplus(x);
        case ActivationKind::abs: return abs(x);
        case ActivationKind::softmax: return softmax(x, -1);
        case ActivationKind::log_softmax: return log_softmax(x, -1);
        case ActivationKind::custom: return apply_custom(registered_activation<T>(spec.custom), spec.custom, x);
    }
    throw ValueError("activate: unknown activation kind");
}

template <class T>
Activation<T>::Activation(ActivationKind kind, double alpha) : Activation(ActivationSpec{kind, alpha, {}}) {}

template <class T>
Activation<T>::Activation(ActivationSpec spec) : spec_(std::move(spec)) {
    if (spec_.kind == ActivationKind::custom) custom_ = registered_activation<T>(spec_.custom);
    else if (!takes_alpha(spec_.kind)) spec_.alpha = 0;  // α means nothing here; keep specs comparable
    else if (!std::isfinite(spec_.alpha))
        throw ValueError(std::string(activation_name(spec_.kind)) + ": alpha must be finite");
}

template <class T>
Activation<T>::Activation(std::string_view text) : Activation(parse_activation(text, registered_activations())) {}

template <class T>
Tensor<T> Activation<T>::forward(const Tensor<T>& x) {
    if (!spec_.elementwise() && x.dim() == 0)
        throw ShapeError(this->where() + ": input has shape [], expected at least 1 dimension");
    if (custom_) return apply_custom(custom_, spec_.custom, x);
    return activate(x, spec_);
}

template <class T>
std::string Activation<T>::type_name() const {
    switch (spec_.kind) {
        case ActivationKind::identity: return "Identity";
        case ActivationKind::sigmoid: return "Sigmoid";
        case ActivationKind::tanh: return "Tanh";
        case ActivationKind::relu: return "ReLU";
        case ActivationKind::leaky_relu: return "LeakyReLU";
        case ActivationKind::elu: return "ELU";
        case ActivationKind::softplus: return "Softplus";
        case ActivationKind::abs: return "Abs";
        case ActivationKind::softmax: return "Softmax";
        case ActivationKind::log_softmax: return "LogSoftmax";
        case ActivationKind::custom: return spec_.custom;
    }
    return "Activation";
}

template <class T>
std::string Activation<T>::describe() const {
    if (!takes_alpha(spec_.kind)) return type_name();
    std::ostringstream out;
    out << type_name() << "(α=" << spec_.alpha << ')';
    return out.str();
}

template class Activation<float>;
template class Activation<double>;
template Tensor<float> activate(const Tensor<float>&, const ActivationSpec&);
template Tensor<double> activate(const Tensor<double>&, const ActivationSpec&);

}  // namespace dg::nn
