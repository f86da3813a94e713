// Elementwise ops (binary with broadcasting, with a scalar, unary) and the fused backward helpers.
// Each op computes its value, then attaches its backward right below it, written with the same ops.
#include <cmath>
#include <functional>

#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::check_broadcast;
using detail::constant;
using detail::Grads;
using detail::Inputs;

// ---- binary ---------------------------------------------------------------------------------------------

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
    const bool same = check_broadcast(a, b, "add");  // equal shapes: zip (compared once)
    // The value is passed to record as a temporary, never moved: moving an xarray copies its shape vectors, a
    // measurable part of the per-op cost on tiny tensors.
    return record<T>(same ? detail::zip(a.value(), b.value(), std::plus<T>())
                          : detail::output(Array<T>(a.value() + b.value())),
                     {a, b}, {"add", "grad_a = grad_out; grad_b = grad_out"},
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{g, g}; },
                     Saves::none());
}

template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
    const bool same = check_broadcast(a, b, "sub");  // equal shapes: zip (compared once)
    return record<T>(same ? detail::zip(a.value(), b.value(), std::minus<T>())
                          : detail::output(Array<T>(a.value() - b.value())),
                     {a, b}, {"sub", "grad_a = grad_out; grad_b = -grad_out"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{g, in[1].requires_grad() ? neg(g) : Tensor<T>()};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
    const bool same = check_broadcast(a, b, "mul");  // equal shapes: zip (compared once)
    return record<T>(same ? detail::zip(a.value(), b.value(), std::multiplies<T>())
                     : b.dim() == 0 ? detail::scale(a.value(), b.item())
                                    : detail::output(Array<T>(a.value() * b.value())),
                     {a, b}, {"mul", "grad_a = grad_out * b; grad_b = grad_out * a"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{in[0].requires_grad() ? mul(g, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(g, in[0]) : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "div");
    return record<T>(a.value() / b.value(), {a, b}, {"div", "grad_a = grad_out / b; grad_b = -grad_out * a / b^2"},
                     [](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{in[0].requires_grad() ? div(g, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? neg(div(mul(g, y), in[1])) : Tensor<T>()};
                     },
                     Saves{~0u, true});
}

template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "pow");
    return record<T>(xt::pow(a.value(), b.value()), {a, b},
                     {"pow", "grad_a = grad_out * b * a^(b-1); grad_b = grad_out * y * log(a)"},
                     [](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{
                             in[0].requires_grad() ? mul(g, mul(in[1], pow(in[0], add(in[1], T(-1))))) : Tensor<T>(),
                             in[1].requires_grad() ? mul(g, mul(y, log(in[0]))) : Tensor<T>()};
                     },
                     Saves{~0u, true});
}

template <class T>
Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "maximum");
    return record<T>(xt::maximum(a.value(), b.value()), {a, b},
                     {"maximum", "grad_a = grad_out * [a >= b]; grad_b = grad_out * [a < b]  (ties go to a)"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Array<T>& av = in[0].value();
                         const Array<T>& bv = in[1].value();
                         return Grads<T>{in[0].requires_grad() ? mul(g, constant<T>(xt::cast<T>(av >= bv))) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(g, constant<T>(xt::cast<T>(av < bv))) : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "minimum");
    return record<T>(xt::minimum(a.value(), b.value()), {a, b},
                     {"minimum", "grad_a = grad_out * [a <= b]; grad_b = grad_out * [a > b]  (ties go to a)"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Array<T>& av = in[0].value();
                         const Array<T>& bv = in[1].value();
                         return Grads<T>{in[0].requires_grad() ? mul(g, constant<T>(xt::cast<T>(av <= bv))) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(g, constant<T>(xt::cast<T>(av > bv))) : Tensor<T>()};
                     });
}

// ---- with a scalar -----------------------------------------------------------------------------------------

template <class T>
Tensor<T> add(const Tensor<T>& a, Scalar<T> s) {
    return record<T>(detail::map(a.value(), [s](T x) { return x + s; }), {a},
                     {"add_scalar", "grad_in = grad_out  (y = x + s)"},
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{g}; },
                     Saves::none());
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, Scalar<T> s) {
    return record<T>(detail::map(a.value(), [s](T x) { return x * s; }), {a},
                     {"mul_scalar", "grad_in = grad_out * s  (y = x * s)"},
                     [s](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{mul(g, s)}; },
                     Saves::none());
}

template <class T>
Tensor<T> pow(const Tensor<T>& a, Scalar<T> p) {
    Array<T> v = p == T(2) ? Array<T>(a.value() * a.value()) : Array<T>(xt::pow(a.value(), p));
    return record<T>(std::move(v), {a}, {"pow_scalar", "grad_in = grad_out * p * x^(p-1)  (y = x^p)"},
                     [p](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         if (p == T(2)) return Grads<T>{mul(g, mul(in[0], T(2)))};
                         return Grads<T>{mul(g, mul(pow(in[0], p - T(1)), p))};
                     });
}

template <class T>
Tensor<T> rsub(Scalar<T> s, const Tensor<T>& a) {
    return record<T>(s - a.value(), {a}, {"rsub", "grad_in = -grad_out  (y = s - x)"},
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{neg(g)}; },
                     Saves::none());
}

template <class T>
Tensor<T> rdiv(Scalar<T> s, const Tensor<T>& a) {
    return record<T>(s / a.value(), {a}, {"rdiv", "grad_in = -grad_out * y / x  (y = s / x)"},
                     [](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{neg(div(mul(g, y), in[0]))};
                     },
                     Saves{~0u, true});
}

// ---- unary ---------------------------------------------------------------------------------------------------

template <class T>
Tensor<T> neg(const Tensor<T>& x) {
    return record<T>(detail::map(x.value(), [](T v) { return -v; }), {x}, {"neg", "grad_in = -grad_out"},
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{neg(g)}; },
                     Saves::none());
}

template <class T>
Tensor<T> exp(const Tensor<T>& x) {
    return record<T>(xt::exp(x.value()), {x}, {"exp", "grad_in = grad_out * y"},
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) { return Grads<T>{mul(g, y)}; },
                     Saves::only_output());
}

template <class T>
Tensor<T> log(const Tensor<T>& x) {
    return record<T>(xt::log(x.value()), {x}, {"log", "grad_in = grad_out / x  (NaN for x < 0, as NumPy)"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{div(g, in[0])}; });
}

template <class T>
Tensor<T> sqrt(const Tensor<T>& x) {
    return record<T>(xt::sqrt(x.value()), {x}, {"sqrt", "grad_in = grad_out / (2y)"},
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{div(g, mul(y, T(2)))};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> sign(const Tensor<T>& x) {
    return record<T>(xt::sign(x.value()), {x}, {"sign", "grad_in = 0  (not differentiable)"},
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>&) { return Grads<T>{Tensor<T>()}; },
                     Saves::none());
}

template <class T>
Tensor<T> abs(const Tensor<T>& x) {
    return record<T>(xt::abs(x.value()), {x}, {"abs", "grad_in = grad_out * sign(x)  (0 at the kink)"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mul(g, constant<T>(xt::sign(in[0].value())))};
                     });
}

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
    // One xtensor expression, so exp is vectorised by xsimd (a scalar std::exp loop was 14 % of an MLP step at
    // batch 1024), written straight into the output node. No NaN at the extremes: e^-x overflows to inf for
    // x < -88 (float) and 1/inf = 0.
    auto y = make_node<T>(x.value().shape());
    xt::noalias(y->value) = T(1) / (T(1) + xt::exp(-x.value()));
    return record<T>(std::move(y), {x}, {"sigmoid", "grad_in = grad_out * y * (1 - y)"},
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{sigmoid_backward(g, y)};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> tanh(const Tensor<T>& x) {
    return record<T>(xt::tanh(x.value()), {x}, {"tanh", "grad_in = grad_out * (1 - y^2)"},
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{tanh_backward(g, y)};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
    return record<T>(detail::map(x.value(), [](T v) { return v > T(0) ? v : T(0); }), {x},
                     {"relu", "grad_in = grad_out * [x > 0]"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mask_grad(g, in[0], T(0), T(1))};
                     });
}

template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, Scalar<T> alpha) {
    return record<T>(xt::where(x.value() > T(0), x.value(), alpha * x.value()), {x},
                     {"leaky_relu", "grad_in = grad_out * (x > 0 ? 1 : alpha)  (y = x > 0 ? x : alpha*x)"},
                     [alpha](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mask_grad(g, in[0], alpha, T(1))};
                     });
}

template <class T>
Tensor<T> elu(const Tensor<T>& x, Scalar<T> alpha) {
    return record<T>(xt::where(x.value() > T(0), x.value(), alpha * (xt::exp(x.value()) - T(1))), {x},
                     {"elu", "grad_in = grad_out * (x > 0 ? 1 : y + alpha)  (y = x > 0 ? x : alpha*(e^x - 1))"},
                     [alpha](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{add(mask_grad(g, in[0], T(0), T(1)),
                                             mask_grad(mul(g, add(y, alpha)), in[0], T(1), T(0)))};
                     },
                     Saves{~0u, true});
}

template <class T>
Tensor<T> softplus(const Tensor<T>& x) {
    const Array<T>& xv = x.value();
    return record<T>(xt::maximum(xv, T(0)) + xt::log1p(xt::exp(-xt::abs(xv))), {x},
                     {"softplus", "grad_in = grad_out * sigmoid(x)  (y = log(1 + e^x), computed stably)"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mul(g, sigmoid(in[0]))};
                     });
}

template <class T>
Tensor<T> clamp(const Tensor<T>& x, Scalar<T> low, Scalar<T> high) {
    if (!(low <= high))
        throw ValueError("clamp: low (" + std::to_string(low) + ") must not exceed high (" + std::to_string(high) + ")");
    return record<T>(xt::clip(x.value(), low, high), {x}, {"clamp", "grad_in = grad_out * [low <= x <= high]"},
                     [low, high](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Array<T>& xv = in[0].value();
                         return Grads<T>{mul(g, constant<T>(xt::cast<T>(xv >= low && xv <= high)))};
                     });
}

// ---- fused backward helpers ------------------------------------------------------------------------------------

template <class T>
Tensor<T> sigmoid_backward(const Tensor<T>& g, const Tensor<T>& y) {
    auto v = check_broadcast(g, y, "sigmoid_backward")
                 ? detail::zip(g.value(), y.value(), [](T gv, T yv) { return gv * yv * (T(1) - yv); })
                 : detail::output(Array<T>(g.value() * y.value() * (T(1) - y.value())));
    return record<T>(std::move(v), {g, y},
                     {"sigmoid_backward",
                      "grad_g = grad_out * y * (1 - y); grad_y = grad_out * g * (1 - 2y)  (out = g*y*(1-y))"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{in[0].requires_grad() ? sigmoid_backward(gr, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(mul(gr, in[0]), rsub(T(1), mul(in[1], T(2))))
                                                               : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> tanh_backward(const Tensor<T>& g, const Tensor<T>& y) {
    check_broadcast(g, y, "tanh_backward");
    return record<T>(g.value() * (T(1) - y.value() * y.value()), {g, y},
                     {"tanh_backward",
                      "grad_g = grad_out * (1 - y^2); grad_y = -2 * grad_out * g * y  (out = g*(1-y^2))"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{in[0].requires_grad() ? tanh_backward(gr, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(mul(gr, in[0]), mul(in[1], T(-2))) : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> mask_grad(const Tensor<T>& g, const Tensor<T>& x, Scalar<T> below, Scalar<T> above) {
    auto v = check_broadcast(g, x, "mask_grad")
                 ? detail::zip(g.value(), x.value(), [below, above](T gv, T xv) { return gv * (xv > T(0) ? above : below); })
                 : detail::output(Array<T>(g.value() * xt::where(x.value() > T(0), above, below)));
    return record<T>(std::move(v), {g, x},
                     {"mask_grad", "grad_g = grad_out * (x > 0 ? above : below); x is only a mask (no gradient)"},
                     [below, above](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{mask_grad(gr, in[1], below, above), Tensor<T>()};
                     },
                     Saves{2u, false});
}

#define DG_BINARY(T, name) template Tensor<T> name(const Tensor<T>&, const Tensor<T>&);
#define DG_UNARY(T, name) template Tensor<T> name(const Tensor<T>&);
#define DG_INSTANTIATE(T)                                                                                   \
    DG_BINARY(T, add) DG_BINARY(T, sub) DG_BINARY(T, mul) DG_BINARY(T, div) DG_BINARY(T, pow)               \
    DG_BINARY(T, maximum) DG_BINARY(T, minimum) DG_BINARY(T, sigmoid_backward) DG_BINARY(T, tanh_backward)  \
    DG_UNARY(T, neg) DG_UNARY(T, exp) DG_UNARY(T, log) DG_UNARY(T, sqrt) DG_UNARY(T, abs) DG_UNARY(T, sign) \
    DG_UNARY(T, sigmoid) DG_UNARY(T, tanh) DG_UNARY(T, relu) DG_UNARY(T, softplus)                          \
    template Tensor<T> add(const Tensor<T>&, Scalar<T>);                                                    \
    template Tensor<T> mul(const Tensor<T>&, Scalar<T>);                                                    \
    template Tensor<T> pow(const Tensor<T>&, Scalar<T>);                                                    \
    template Tensor<T> rsub(Scalar<T>, const Tensor<T>&);                                                   \
    template Tensor<T> rdiv(Scalar<T>, const Tensor<T>&);                                                   \
    template Tensor<T> leaky_relu(const Tensor<T>&, Scalar<T>);                                             \
    template Tensor<T> elu(const Tensor<T>&, Scalar<T>);                                                    \
    template Tensor<T> clamp(const Tensor<T>&, Scalar<T>, Scalar<T>);                                       \
    template Tensor<T> mask_grad(const Tensor<T>&, const Tensor<T>&, Scalar<T>, Scalar<T>);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
