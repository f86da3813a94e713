// Initializers: validation of their arguments, fan computation, and the in-place fill under NoGradGuard.
#include "nn/init.hpp"

#include <cmath>
#include <sstream>

#include "autograd/engine.hpp"
#include "autograd/array/errors.hpp"

namespace dg::nn {

namespace {

std::string num(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
}

// Fills every element with draw(), in row-major order. The NoGradGuard is what lets us change a leaf
// that requires grad (Tensor::mutable_value refuses otherwise).
template <class T, class Draw>
Tensor<T> fill(Tensor<T> t, const char* who, Draw draw) {
    if (!t.defined()) throw ValueError(std::string("init::") + who + ": undefined tensor");
    NoGradGuard no_grad;
    Array<T>& v = t.mutable_value();
    for (auto& x : v) x = static_cast<T>(draw());
    return t;
}

void check_finite(double v, const char* who, const char* what) {
    if (!std::isfinite(v)) throw ValueError(std::string("init::") + who + ": " + what + " must be finite, got " + num(v));
}

void check_scale(double v, const char* who, const char* what) {
    if (!std::isfinite(v) || v < 0)
        throw ValueError(std::string("init::") + who + ": " + what + " must be finite and >= 0, got " + num(v));
}

}  // namespace

std::string Init::str() const {
    switch (kind) {
        case Kind::zeros: return "zeros";
        case Kind::constant: return "constant(" + num(a) + ")";
        case Kind::normal: return "normal(mean=" + num(b) + ", σ=" + num(a) + ")";
        case Kind::uniform: return "uniform(−" + num(a) + ", " + num(a) + ")";
        case Kind::fan_in_uniform: return "uniform(±1/√fan_in)";
        case Kind::xavier_uniform: return "xavier_uniform(gain=" + num(a) + ")";
        case Kind::xavier_normal: return "xavier_normal(gain=" + num(a) + ")";
        case Kind::kaiming_uniform: return "kaiming_uniform(gain=" + num(a) + ")";
        case Kind::kaiming_normal: return "kaiming_normal(gain=" + num(a) + ")";
    }
    return "?";
}

std::pair<std::size_t, std::size_t> fans(const Shape& shape, const char* who) {
    if (shape.size() < 2)
        throw ValueError(std::string("init::") + who + ": needs a tensor of at least 2 dimensions [out, in, ...], got " +
                         shape_str(shape));
    std::size_t receptive = 1;
    for (std::size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
    return {shape[1] * receptive, shape[0] * receptive};
}

namespace init {

template <class T>
Tensor<T> zeros_(Tensor<T> t) {
    return fill(std::move(t), "zeros_", [] { return 0.0; });
}

template <class T>
Tensor<T> constant_(Tensor<T> t, double value) {
    return fill(std::move(t), "constant_", [value] { return value; });
}

template <class T>
Tensor<T> normal_(Tensor<T> t, Generator& gen, double mean, double stddev) {
    check_finite(mean, "normal_", "mean");
    check_scale(stddev, "normal_", "stddev");
    return fill(std::move(t), "normal_", [&] { return gen.normal(mean, stddev); });
}

template <class T>
Tensor<T> uniform_(Tensor<T> t, Generator& gen, double low, double high) {
    check_finite(low, "uniform_", "low");
    check_finite(high, "uniform_", "high");
    if (low > high) throw ValueError("init::uniform_: low (" + num(low) + ") exceeds high (" + num(high) + ")");
    return fill(std::move(t), "uniform_", [&] { return gen.uniform(low, high); });
}

template <class T>
Tensor<T> xavier_uniform_(Tensor<T> t, Generator& gen, double gain) {
    check_scale(gain, "xavier_uniform_", "gain");
    const auto [in, out] = fans(t.shape(), "xavier_uniform_");
    const double a = gain * std::sqrt(6.0 / static_cast<double>(in + out));
    return fill(std::move(t), "xavier_uniform_", [&] { return gen.uniform(-a, a); });
}

template <class T>
Tensor<T> xavier_normal_(Tensor<T> t, Generator& gen, double gain) {
    check_scale(gain, "xavier_normal_", "gain");
    const auto [in, out] = fans(t.shape(), "xavier_normal_");
    const double s = gain * std::sqrt(2.0 / static_cast<double>(in + out));
    return fill(std::move(t), "xavier_normal_", [&] { return gen.normal(0.0, s); });
}

template <class T>
Tensor<T> kaiming_uniform_(Tensor<T> t, Generator& gen, double gain) {
    check_scale(gain, "kaiming_uniform_", "gain");
    const std::size_t in = fans(t.shape(), "kaiming_uniform_").first;
    const double a = gain * std::sqrt(3.0 / static_cast<double>(in));
    return fill(std::move(t), "kaiming_uniform_", [&] { return gen.uniform(-a, a); });
}

template <class T>
Tensor<T> kaiming_normal_(Tensor<T> t, Generator& gen, double gain) {
    check_scale(gain, "kaiming_normal_", "gain");
    const std::size_t in = fans(t.shape(), "kaiming_normal_").first;
    const double s = gain / std::sqrt(static_cast<double>(in));
    return fill(std::move(t), "kaiming_normal_", [&] { return gen.normal(0.0, s); });
}

template <class T>
Tensor<T> apply_(Tensor<T> t, const Init& init, Generator& gen) {
    switch (init.kind) {
        case Init::Kind::zeros: return zeros_(std::move(t));
        case Init::Kind::constant: return constant_(std::move(t), init.a);
        case Init::Kind::normal: return normal_(std::move(t), gen, init.b, init.a);
        case Init::Kind::uniform:
            check_scale(init.a, "uniform_", "half-width");
            return uniform_(std::move(t), gen, -init.a, init.a);
        case Init::Kind::fan_in_uniform: {
            // Also for biases ([out]): then fan_in is unknown, so a 1-D tensor uses its own length.
            const Shape s = t.shape();
            const std::size_t in = s.size() >= 2 ? fans(s, "fan_in_uniform").first : (s.empty() ? 1 : s[0]);
            const double a = 1.0 / std::sqrt(static_cast<double>(std::max<std::size_t>(in, 1)));
            return uniform_(std::move(t), gen, -a, a);
        }
        case Init::Kind::xavier_uniform: return xavier_uniform_(std::move(t), gen, init.a);
        case Init::Kind::xavier_normal: return xavier_normal_(std::move(t), gen, init.a);
        case Init::Kind::kaiming_uniform: return kaiming_uniform_(std::move(t), gen, init.a);
        case Init::Kind::kaiming_normal: return kaiming_normal_(std::move(t), gen, init.a);
    }
    throw ValueError("init::apply_: unknown initializer kind");
}

#define DG_INSTANTIATE(T)                                                         \
    template Tensor<T> zeros_(Tensor<T>);                                         \
    template Tensor<T> constant_(Tensor<T>, double);                              \
    template Tensor<T> normal_(Tensor<T>, Generator&, double, double);            \
    template Tensor<T> uniform_(Tensor<T>, Generator&, double, double);           \
    template Tensor<T> xavier_uniform_(Tensor<T>, Generator&, double);            \
    template Tensor<T> xavier_normal_(Tensor<T>, Generator&, double);             \
    template Tensor<T> kaiming_uniform_(Tensor<T>, Generator&, double);           \
    template Tensor<T> kaiming_normal_(Tensor<T>, Generator&, double);            \
    template Tensor<T> apply_(Tensor<T>, const Init&, Generator&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace init
}  // namespace dg::nn
