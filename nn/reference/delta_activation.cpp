// Activations and their hand-written derivatives as materialised xtensor expressions (vectorised by xsimd),
// explicitly instantiated for float, double and long double.
#include "nn/reference/delta_activation.hpp"

#include <algorithm>
#include <string>

#include "autograd/array/errors.hpp"

namespace dg::reference {
namespace {

template <class T>
void match_shape(Array<T>& out, const Array<T>& like) {
    // resize() reallocates even for an equal shape on some paths: only call it when the shape differs.
    if (out.dimension() != like.dimension() ||
        !std::equal(like.shape().begin(), like.shape().end(), out.shape().begin())) {
        out.resize(like.shape());
    }
}

[[noreturn]] void no_formula(const char* fn, ActivationKind f) {
    throw ValueError(std::string(fn) + ": the delta reference has no formula for " + activation_name(f) +
                     " (only for the elementwise built-in activations)");
}

}  // namespace

bool has_formula(ActivationKind f) { return f != ActivationKind::custom && elementwise(f); }

template <class T>
void activate_into(ActivationKind f, T alpha, const Array<T>& z, Array<T>& a) {
    match_shape(a, z);
    switch (f) {
        case ActivationKind::identity: xt::noalias(a) = z; return;
        // 1/(1 + e^{−z}) is stable as written: for z ≪ 0, e^{−z} overflows to inf and the quotient is 0, not NaN.
        case ActivationKind::sigmoid: xt::noalias(a) = T(1) / (T(1) + xt::exp(-z)); return;
        case ActivationKind::tanh: xt::noalias(a) = xt::tanh(z); return;
        case ActivationKind::relu: xt::noalias(a) = xt::where(z > T(0), z, T(0)); return;
        case ActivationKind::leaky_relu: xt::noalias(a) = xt::where(z > T(0), z, alpha * z); return;
        // expm1 keeps α(e^z − 1) accurate near 0; its overflow for large z is discarded by where.
        case ActivationKind::elu: xt::noalias(a) = xt::where(z > T(0), z, alpha * xt::expm1(z)); return;
        // log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}): no overflow for large z.
        case ActivationKind::softplus:
            xt::noalias(a) = xt::where(z > T(0), z, T(0)) + xt::log1p(xt::exp(-xt::abs(z)));
            return;
        case ActivationKind::abs: xt::noalias(a) = xt::abs(z); return;
        case ActivationKind::softmax:
        case ActivationKind::log_softmax:
        case ActivationKind::custom: break;
    }
    no_formula("activate_into", f);
}

template <class T>
void multiply_by_derivative(ActivationKind f, T alpha, const Array<T>& z, const Array<T>& a, Array<T>& g) {
    switch (f) {
        case ActivationKind::identity: return;                                                       // f' = 1
        case ActivationKind::sigmoid: xt::noalias(g) = g * a * (T(1) - a); return;                  // σ' = σ(1 − σ)
        case ActivationKind::tanh: xt::noalias(g) = g * (T(1) - a * a); return;                     // tanh' = 1 − tanh²
        case ActivationKind::relu: xt::noalias(g) = xt::where(z > T(0), g, T(0)); return;           // [z > 0]
        case ActivationKind::leaky_relu: xt::noalias(g) = xt::where(z > T(0), g, alpha * g); return;  // 1 or α
        case ActivationKind::elu: xt::noalias(g) = xt::where(z > T(0), g, alpha * xt::exp(z) * g); return;  // 1 or αe^z
        case ActivationKind::softplus: xt::noalias(g) = g / (T(1) + xt::exp(-z)); return;          // σ(z)
        case ActivationKind::abs: xt::noalias(g) = g * xt::sign(z); return;                         // sign(z)
        case ActivationKind::softmax:
        case ActivationKind::log_softmax:
        case ActivationKind::custom: break;
    }
    no_formula("multiply_by_derivative", f);
}

template <class T>
Array<T> activate(ActivationKind f, const Array<T>& z, T alpha) {
    Array<T> a;
    activate_into(f, alpha, z, a);
    return a;
}

template <class T>
Array<T> activation_derivative(ActivationKind f, const Array<T>& z, T alpha) {
    Array<T> d = xt::ones_like(z);
    if (f == ActivationKind::sigmoid || f == ActivationKind::tanh) {
        // σ' and tanh' are written in terms of the activation itself, as in the notes.
        Array<T> a = activate(f, z, alpha);
        multiply_by_derivative(f, alpha, z, a, d);
    } else {
        multiply_by_derivative(f, alpha, z, z, d);  // the others need z only
    }
    return d;
}

#define DG_INSTANTIATE(T)                                                                                  \
    template void activate_into<T>(ActivationKind, T, const Array<T>&, Array<T>&);                         \
    template void multiply_by_derivative<T>(ActivationKind, T, const Array<T>&, const Array<T>&, Array<T>&); \
    template Array<T> activate<T>(ActivationKind, const Array<T>&, T);                                     \
    template Array<T> activation_derivative<T>(ActivationKind, const Array<T>&, T);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
DG_INSTANTIATE(long double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
