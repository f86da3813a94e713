// Activations and their hand-written derivatives as materialised xtensor expressions (vectorised by xsimd),
// explicitly instantiated for float and double.
#include "nn/reference/delta_activation.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "autograd/array/errors.hpp"

namespace dg::reference {
namespace {

constexpr std::array<std::pair<Activation, const char*>, 8> activation_names{{
    {Activation::identity, "identity"},
    {Activation::sigmoid, "sigmoid"},
    {Activation::tanh, "tanh"},
    {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"},
    {Activation::elu, "elu"},
    {Activation::softplus, "softplus"},
    {Activation::abs, "abs"},
}};

template <class T>
void match_shape(Array<T>& out, const Array<T>& like) {
    // resize() reallocates even for an equal shape on some paths: only call it when the shape differs.
    if (out.dimension() != like.dimension() ||
        !std::equal(like.shape().begin(), like.shape().end(), out.shape().begin())) {
        out.resize(like.shape());
    }
}

}  // namespace

const char* activation_name(Activation f) {
    for (const auto& [value, name] : activation_names) {
        if (value == f) return name;
    }
    throw ValueError("activation_name: unknown Activation value " + std::to_string(static_cast<int>(f)));
}

Activation parse_activation(std::string_view name) {
    std::string key(name);
    for (char& c : key) {
        if (c == '-') c = '_';
    }
    for (const auto& [value, known] : activation_names) {
        if (key == known) return value;
    }
    std::string valid;
    for (const auto& [value, known] : activation_names) {
        valid += valid.empty() ? "" : ", ";
        valid += known;
    }
    throw ValueError("parse_activation: unknown activation \"" + std::string(name) + "\", expected one of " + valid);
}

double default_alpha(Activation f) {
    switch (f) {
        case Activation::leaky_relu: return 0.01;
        case Activation::elu: return 1.0;
        default: return 0.0;
    }
}

template <class T>
void activate_into(Activation f, T alpha, const Array<T>& z, Array<T>& a) {
    match_shape(a, z);
    switch (f) {
        case Activation::identity: xt::noalias(a) = z; return;
        // 1/(1 + e^{−z}) is stable as written: for z ≪ 0, e^{−z} overflows to inf and the quotient is 0, not NaN.
        case Activation::sigmoid: xt::noalias(a) = T(1) / (T(1) + xt::exp(-z)); return;
        case Activation::tanh: xt::noalias(a) = xt::tanh(z); return;
        case Activation::relu: xt::noalias(a) = xt::where(z > T(0), z, T(0)); return;
        case Activation::leaky_relu: xt::noalias(a) = xt::where(z > T(0), z, alpha * z); return;
        // expm1 keeps α(e^z − 1) accurate near 0; its overflow for large z is discarded by where.
        case Activation::elu: xt::noalias(a) = xt::where(z > T(0), z, alpha * xt::expm1(z)); return;
        // log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}): no overflow for large z.
        case Activation::softplus:
            xt::noalias(a) = xt::where(z > T(0), z, T(0)) + xt::log1p(xt::exp(-xt::abs(z)));
            return;
        case Activation::abs: xt::noalias(a) = xt::abs(z); return;
    }
    throw ValueError("activate_into: unknown Activation value " + std::to_string(static_cast<int>(f)));
}

template <class T>
void multiply_by_derivative(Activation f, T alpha, const Array<T>& z, const Array<T>& a, Array<T>& g) {
    switch (f) {
        case Activation::identity: return;                                                    // f' = 1
        case Activation::sigmoid: xt::noalias(g) = g * a * (T(1) - a); return;               // σ' = σ(1 − σ)
        case Activation::tanh: xt::noalias(g) = g * (T(1) - a * a); return;                  // tanh' = 1 − tanh²
        case Activation::relu: xt::noalias(g) = xt::where(z > T(0), g, T(0)); return;        // [z > 0]
        case Activation::leaky_relu: xt::noalias(g) = xt::where(z > T(0), g, alpha * g); return;  // 1 or α
        case Activation::elu: xt::noalias(g) = xt::where(z > T(0), g, alpha * xt::exp(z) * g); return;  // 1 or αe^z
        case Activation::softplus: xt::noalias(g) = g / (T(1) + xt::exp(-z)); return;       // σ(z)
        case Activation::abs: xt::noalias(g) = g * xt::sign(z); return;                      // sign(z)
    }
    throw ValueError("multiply_by_derivative: unknown Activation value " + std::to_string(static_cast<int>(f)));
}

template <class T>
Array<T> activate(Activation f, const Array<T>& z, T alpha) {
    Array<T> a;
    activate_into(f, alpha, z, a);
    return a;
}

template <class T>
Array<T> activation_derivative(Activation f, const Array<T>& z, T alpha) {
    Array<T> d = xt::ones_like(z);
    if (f == Activation::sigmoid || f == Activation::tanh) {
        // σ' and tanh' are written in terms of the activation itself, as in the notes.
        Array<T> a = activate(f, z, alpha);
        multiply_by_derivative(f, alpha, z, a, d);
    } else {
        multiply_by_derivative(f, alpha, z, z, d);  // the others need z only
    }
    return d;
}

#define DG_INSTANTIATE(T)                                                                              \
    template void activate_into<T>(Activation, T, const Array<T>&, Array<T>&);                         \
    template void multiply_by_derivative<T>(Activation, T, const Array<T>&, const Array<T>&, Array<T>&); \
    template Array<T> activate<T>(Activation, const Array<T>&, T);                                     \
    template Array<T> activation_derivative<T>(Activation, const Array<T>&, T);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
