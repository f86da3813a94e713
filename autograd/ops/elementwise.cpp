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
    check_broadcast(a, b, "add");
    // add: ga = g; gb = g
    // The value is passed to record as a temporary, never moved: moving an xarray copies its shape vectors, a
    // measurable part of the per-op cost on tiny tensors.
    return record<T>(detail::same_shape(a, b) ? detail::zip(a.value(), b.value(), std::plus<T>())
                                              : Array<T>(a.value() + b.value()),
                     {a, b}, "add",
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{g, g}; },
                     Saves::none());
}

template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "sub");
    // sub: ga = g; gb = -g
    return record<T>(detail::same_shape(a, b) ? detail::zip(a.value(), b.value(), std::minus<T>())
                                              : Array<T>(a.value() - b.value()),
                     {a, b}, "sub",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{g, in[1].requires_grad() ? neg(g) : Tensor<T>()};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "mul");
    // mul: ga = g*b; gb = g*a
    return record<T>(detail::same_shape(a, b) ? detail::zip(a.value(), b.value(), std::multiplies<T>())
                     : b.dim() == 0 ? detail::scale(a.value(), b.item())
                                    : Array<T>(a.value() * b.value()),
                     {a, b}, "mul",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{in[0].requires_grad() ? mul(g, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(g, in[0]) : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "div");
    // div: ga = g/b; gb = -g*y/b  (= -g*a/b^2)
    return record<T>(a.value() / b.value(), {a, b}, "div",
                     [](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{in[0].requires_grad() ? div(g, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? neg(div(mul(g, y), in[1])) : Tensor<T>()};
                     },
                     Saves{~0u, true});
}

template <class T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
    check_broadcast(a, b, "pow");
    // pow: ga = g*b*a^(b-1); gb = g*y*log(a)
    return record<T>(xt::pow(a.value(), b.value()), {a, b}, "pow",
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
    // maximum: ga = g*[a>=b]; gb = g*[a<b]  (ties go to a)
    return record<T>(xt::maximum(a.value(), b.value()), {a, b}, "maximum",
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
    // minimum: ga = g*[a<=b]; gb = g*[a>b]  (ties go to a)
    return record<T>(xt::minimum(a.value(), b.value()), {a, b}, "minimum",
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
    // add scalar: ga = g
    return record<T>(detail::map(a.value(), [s](T x) { return x + s; }), {a}, "add_scalar",
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{g}; },
                     Saves::none());
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, Scalar<T> s) {
    // mul scalar: ga = g*s
    return record<T>(detail::map(a.value(), [s](T x) { return x * s; }), {a}, "mul_scalar",
                     [s](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{mul(g, s)}; },
                     Saves::none());
}

template <class T>
Tensor<T> pow(const Tensor<T>& a, Scalar<T> p) {
    // pow scalar: ga = g*p*a^(p-1)
    Array<T> v = p == T(2) ? Array<T>(a.value() * a.value()) : Array<T>(xt::pow(a.value(), p));
    return record<T>(std::move(v), {a}, "pow_scalar",
                     [p](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         if (p == T(2)) return Grads<T>{mul(g, mul(in[0], T(2)))};
                         return Grads<T>{mul(g, mul(pow(in[0], p - T(1)), p))};
                     });
}

template <class T>
Tensor<T> rsub(Scalar<T> s, const Tensor<T>& a) {
    // rsub: y = s - a; ga = -g
    return record<T>(s - a.value(), {a}, "rsub",
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{neg(g)}; },
                     Saves::none());
}

template <class T>
Tensor<T> rdiv(Scalar<T> s, const Tensor<T>& a) {
    // rdiv: y = s / a; ga = -g*y/a
    return record<T>(s / a.value(), {a}, "rdiv",
                     [](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{neg(div(mul(g, y), in[0]))};
                     },
                     Saves{~0u, true});
}

// ---- unary ---------------------------------------------------------------------------------------------------

template <class T>
Tensor<T> neg(const Tensor<T>& x) {
    // neg: gx = -g
    return record<T>(detail::map(x.value(), [](T v) { return -v; }), {x}, "neg",
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{neg(g)}; },
                     Saves::none());
}

template <class T>
Tensor<T> exp(const Tensor<T>& x) {
    // exp: gx = g*y
    return record<T>(xt::exp(x.value()), {x}, "exp",
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) { return Grads<T>{mul(g, y)}; },
                     Saves::only_output());
}

template <class T>
Tensor<T> log(const Tensor<T>& x) {
    // log: gx = g/x   (x < 0 gives NaN, as NumPy; anomaly mode points at it)
    return record<T>(xt::log(x.value()), {x}, "log",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{div(g, in[0])}; });
}

template <class T>
Tensor<T> sqrt(const Tensor<T>& x) {
    // sqrt: gx = g/(2y)
    return record<T>(xt::sqrt(x.value()), {x}, "sqrt",
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{div(g, mul(y, T(2)))};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> sign(const Tensor<T>& x) {
    // sign: piecewise constant, gx = 0 (no gradient flows)
    return record<T>(xt::sign(x.value()), {x}, "sign",
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>&) { return Grads<T>{Tensor<T>()}; },
                     Saves::none());
}

template <class T>
Tensor<T> abs(const Tensor<T>& x) {
    // abs: gx = g*sign(x)   (0 at the kink)
    return record<T>(xt::abs(x.value()), {x}, "abs",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mul(g, constant<T>(xt::sign(in[0].value())))};
                     });
}

template <class T>
Tensor<T> sigmoid(const Tensor<T>& x) {
    // sigmoid: y = 1/(1+e^-x); gx = g*y*(1-y)
    // One xtensor expression, so exp is vectorised by xsimd (a scalar std::exp loop was 14 % of an MLP step at
    // batch 1024). No NaN at the extremes: e^-x overflows to inf for x < -88 (float) and 1/inf = 0.
    Array<T> v = T(1) / (T(1) + xt::exp(-x.value()));
    return record<T>(std::move(v), {x}, "sigmoid",
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{sigmoid_backward(g, y)};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> tanh(const Tensor<T>& x) {
    // tanh: gx = g*(1-y^2)
    return record<T>(xt::tanh(x.value()), {x}, "tanh",
                     [](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{tanh_backward(g, y)};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> relu(const Tensor<T>& x) {
    // relu: gx = g*[x>0]
    return record<T>(detail::map(x.value(), [](T v) { return v > T(0) ? v : T(0); }), {x}, "relu",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mask_grad(g, in[0], T(0), T(1))};
                     });
}

template <class T>
Tensor<T> leaky_relu(const Tensor<T>& x, Scalar<T> alpha) {
    // leaky_relu: y = x>0 ? x : alpha*x; gx = g*(x>0 ? 1 : alpha)
    return record<T>(xt::where(x.value() > T(0), x.value(), alpha * x.value()), {x}, "leaky_relu",
                     [alpha](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mask_grad(g, in[0], alpha, T(1))};
                     });
}

template <class T>
Tensor<T> elu(const Tensor<T>& x, Scalar<T> alpha) {
    // elu: y = x>0 ? x : alpha*(e^x - 1); gx = g*(x>0 ? 1 : y+alpha)
    return record<T>(xt::where(x.value() > T(0), x.value(), alpha * (xt::exp(x.value()) - T(1))), {x}, "elu",
                     [alpha](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{add(mask_grad(g, in[0], T(0), T(1)),
                                             mask_grad(mul(g, add(y, alpha)), in[0], T(1), T(0)))};
                     },
                     Saves{~0u, true});
}

template <class T>
Tensor<T> softplus(const Tensor<T>& x) {
    // softplus: y = log(1+e^x) = max(x,0) + log1p(e^-|x|) (stable); gx = g*sigmoid(x)
    const Array<T>& xv = x.value();
    return record<T>(xt::maximum(xv, T(0)) + xt::log1p(xt::exp(-xt::abs(xv))), {x}, "softplus",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{mul(g, sigmoid(in[0]))};
                     });
}

template <class T>
Tensor<T> clamp(const Tensor<T>& x, Scalar<T> low, Scalar<T> high) {
    if (!(low <= high))
        throw ValueError("clamp: low (" + std::to_string(low) + ") must not exceed high (" + std::to_string(high) + ")");
    // clamp: gx = g*[low<=x<=high]
    return record<T>(xt::clip(x.value(), low, high), {x}, "clamp",
                     [low, high](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Array<T>& xv = in[0].value();
                         return Grads<T>{mul(g, constant<T>(xt::cast<T>(xv >= low && xv <= high)))};
                     });
}

// ---- fused backward helpers ------------------------------------------------------------------------------------

template <class T>
Tensor<T> sigmoid_backward(const Tensor<T>& g, const Tensor<T>& y) {
    check_broadcast(g, y, "sigmoid_backward");
    // sigmoid_backward: v = g*y*(1-y); gg = grad*y*(1-y); gy = grad*g*(1-2y)
    Array<T> v = detail::same_shape(g, y)
                     ? detail::zip(g.value(), y.value(), [](T gv, T yv) { return gv * yv * (T(1) - yv); })
                     : Array<T>(g.value() * y.value() * (T(1) - y.value()));
    return record<T>(std::move(v), {g, y}, "sigmoid_backward",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{in[0].requires_grad() ? sigmoid_backward(gr, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(mul(gr, in[0]), rsub(T(1), mul(in[1], T(2))))
                                                               : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> tanh_backward(const Tensor<T>& g, const Tensor<T>& y) {
    check_broadcast(g, y, "tanh_backward");
    // tanh_backward: v = g*(1-y^2); gg = grad*(1-y^2); gy = -2*grad*g*y
    return record<T>(g.value() * (T(1) - y.value() * y.value()), {g, y}, "tanh_backward",
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{in[0].requires_grad() ? tanh_backward(gr, in[1]) : Tensor<T>(),
                                         in[1].requires_grad() ? mul(mul(gr, in[0]), mul(in[1], T(-2))) : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> mask_grad(const Tensor<T>& g, const Tensor<T>& x, Scalar<T> below, Scalar<T> above) {
    check_broadcast(g, x, "mask_grad");
    // mask_grad: v = g*(x>0 ? above : below); gg = mask_grad(grad, x); x is only a mask (no gradient)
    Array<T> v = detail::same_shape(g, x)
                     ? detail::zip(g.value(), x.value(), [below, above](T gv, T xv) { return gv * (xv > T(0) ? above : below); })
                     : Array<T>(g.value() * xt::where(x.value() > T(0), above, below));
    return record<T>(std::move(v), {g, x}, "mask_grad",
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
