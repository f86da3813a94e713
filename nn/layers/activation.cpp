// Activation modules: names and parsing, and forward on the library's differentiable ops.
#include "nn/layers/activation.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"

namespace dg::nn {

namespace {

constexpr ActivationKind all_kinds[] = {
    ActivationKind::identity, ActivationKind::sigmoid, ActivationKind::tanh,     ActivationKind::relu,
    ActivationKind::leaky_relu, ActivationKind::elu,   ActivationKind::softplus, ActivationKind::abs,
    ActivationKind::softmax,  ActivationKind::log_softmax};

bool takes_alpha(ActivationKind k) { return k == ActivationKind::leaky_relu || k == ActivationKind::elu; }

}  // namespace

const char* activation_name(ActivationKind kind) {
    switch (kind) {
        case ActivationKind::identity: return "identity";
        case ActivationKind::sigmoid: return "sigmoid";
        case ActivationKind::tanh: return "tanh";
        case ActivationKind::relu: return "relu";
        case ActivationKind::leaky_relu: return "leaky_relu";
        case ActivationKind::elu: return "elu";
        case ActivationKind::softplus: return "softplus";
        case ActivationKind::abs: return "abs";
        case ActivationKind::softmax: return "softmax";
        case ActivationKind::log_softmax: return "log_softmax";
    }
    return "?";
}

double default_alpha(ActivationKind kind) {
    if (kind == ActivationKind::leaky_relu) return 0.01;
    if (kind == ActivationKind::elu) return 1.0;
    return 0.0;
}

ActivationKind parse_activation_kind(std::string_view name) {
    std::string s(name);
    for (char& c : s)
        if (c == '-') c = '_';
    if (s == "linear") return ActivationKind::identity;
    std::string valid;
    for (ActivationKind k : all_kinds) {
        if (s == activation_name(k)) return k;
        valid += (valid.empty() ? "" : ", ") + std::string(activation_name(k));
    }
    throw ValueError("unknown activation \"" + std::string(name) + "\" (expected one of: " + valid + ", linear)");
}

const char* ActivationSpec::name() const { return activation_name(kind); }

std::string ActivationSpec::str() const {
    if (!takes_alpha(kind)) return name();
    // The shortest text that parses back to exactly this α (an ostream's 6 digits lost it: 0.1234567 came back
    // as 0.123457 from a spec or checkpoint text).
    char digits[64];
    const auto end = std::to_chars(digits, digits + sizeof digits, alpha).ptr;
    return std::string(name()) + '(' + std::string(digits, end) + ')';
}

bool ActivationSpec::elementwise() const {
    return kind != ActivationKind::softmax && kind != ActivationKind::log_softmax;
}

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
    }
    throw ValueError("activate: unknown activation kind");
}

template <class T>
Activation<T>::Activation(ActivationKind kind, double alpha) : spec_{kind, alpha} {
    if (!takes_alpha(kind)) spec_.alpha = 0;  // α means nothing here; keep specs comparable
    else if (!std::isfinite(alpha))
        throw ValueError(std::string(activation_name(kind)) + ": alpha must be finite");
}

template <class T>
Tensor<T> Activation<T>::forward(const Tensor<T>& x) {
    if (!spec_.elementwise() && x.dim() == 0)
        throw ShapeError(this->where() + ": input has shape [], expected at least 1 dimension");
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
