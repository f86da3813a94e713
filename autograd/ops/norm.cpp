// Batch and layer normalisation. Both standardise x per group of values (a channel over the batch and the pixels; a
// sample's trailing dims) with one fused op, `standardize`, whose backward is a fused op too, and the backward of that
// is written with differentiable ops, so gradients of gradients work in every mode. Batch norm then scales and shifts
// each channel with one fused op (channel_affine), layer norm with broadcasting mul and add.
#include <cmath>

#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;

namespace {

/// x seen as [outer, groups, inner]: statistics are taken per group over its outer·inner values. Batch norm on
/// [N, C, H, W] is [N, C, H·W]; layer norm over the last dims of size F is [1, numel / F, F].
struct Layout {
    std::size_t outer, groups, inner;
    std::size_t count() const { return outer * inner; }  ///< values per group
    Shape shape3() const { return {outer, groups, inner}; }
};

/// The mean and the biased variance of each group, accumulated in double (two passes: the mean, then the squares
/// about it, which keeps a large mean from swamping the variance).
template <class T>
void group_moments(const Layout& l, const T* x, std::vector<double>& mean, std::vector<double>& var) {
    mean.assign(l.groups, 0.0);
    var.assign(l.groups, 0.0);
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t gr = 0; gr < l.groups; ++gr) {
            const T* row = x + (o * l.groups + gr) * l.inner;
            double s = 0;
            for (std::size_t i = 0; i < l.inner; ++i) s += row[i];
            mean[gr] += s;
        }
    for (double& m : mean) m /= static_cast<double>(l.count());
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t gr = 0; gr < l.groups; ++gr) {
            const T* row = x + (o * l.groups + gr) * l.inner;
            const double m = mean[gr];
            double s = 0;
            for (std::size_t i = 0; i < l.inner; ++i) s += (row[i] - m) * (row[i] - m);
            var[gr] += s;
        }
    for (double& v : var) v /= static_cast<double>(l.count());
}

/// A [groups] tensor as [1, groups, 1], to broadcast against x seen as [outer, groups, inner].
template <class T>
Tensor<T> per_group(const Tensor<T>& t, const Layout& l) {
    return reshape(t, Shape{1, l.groups, 1});
}

/// The mean of each group of x3 = x as [outer, groups, inner], as [groups, 1] (broadcasts against x3).
template <class T>
Tensor<T> group_mean(const Tensor<T>& x3, const Layout& l) {
    return mul(sum_to(x3, Shape{l.groups, 1}), T(1) / static_cast<T>(l.count()));
}

template <class T>
Tensor<T> standardize_backward(const Tensor<T>& g, const Tensor<T>& y, const Tensor<T>& s, const Layout& l);

/// s = 1/√(σ² + eps) per group of x [groups], its value computed by the caller (standardize), with the gradient
/// ∂s/∂x = −s³·(x − μ)/M written in differentiable ops.
template <class T>
Tensor<T> group_invstd(const Tensor<T>& x, Array<T> value, const Layout& l) {
    return record<T>(std::move(value), {x},
                     {"group_invstd", "grad_x = -grad_out * y^3 * (x - mean(x)) / M  (y = 1/sqrt(var(x) + eps) per group)"},
                     [l](const Inputs<T>& in, const Tensor<T>& s, const Tensor<T>& g) {
                         const Tensor<T> x3 = reshape(in[0], l.shape3());
                         const Tensor<T> centred = sub(x3, group_mean(x3, l));
                         const Tensor<T> coef = mul(mul(g, pow(s, T(3))), T(-1) / static_cast<T>(l.count()));
                         return Grads<T>{reshape(mul(centred, per_group(coef, l)), in[0].shape())};
                     },
                     Saves{1u, true});
}

/// y = (x − μ)·s per group, μ and s = 1/√(σ² + eps) the group's own; the moments go to *mean and *var (biased).
template <class T>
Tensor<T> standardize(const Tensor<T>& x, const Layout& l, double eps, std::vector<double>* mean = nullptr,
                      std::vector<double>* var = nullptr) {
    std::vector<double> m, v;
    group_moments(l, x.value().data(), m, v);
    Array<T> invstd = Array<T>::from_shape({l.groups});
    for (std::size_t gr = 0; gr < l.groups; ++gr) invstd(gr) = static_cast<T>(1.0 / std::sqrt(v[gr] + eps));
    auto out = make_node<T>(x.shape());
    const T* xv = x.value().data();
    T* yv = out->value.data();
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t gr = 0; gr < l.groups; ++gr) {
            const std::size_t at = (o * l.groups + gr) * l.inner;
            const T mu = static_cast<T>(m[gr]), s = invstd(gr);
            for (std::size_t i = 0; i < l.inner; ++i) yv[at + i] = (xv[at + i] - mu) * s;
        }
    if (mean) *mean = std::move(m);
    if (var) *var = std::move(v);
    // The backward reads y (the output, differentiable in x) and s as an op of x (group_invstd), so that it is itself
    // differentiable in x.
    return record<T>(std::move(out), {x},
                     {"standardize", "grad_x = standardize_backward(grad_out, y, s)  (y = (x - mean(x)) * s per group, s = group_invstd(x))"},
                     [l, invstd](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{standardize_backward(g, y, group_invstd(in[0], invstd, l), l)};
                     },
                     Saves{1u, true});
}

/// The part of standardize_backward without s: g − mean(g) − y·mean(g·y) per group, in differentiable ops.
template <class T>
Tensor<T> centred_grad(const Tensor<T>& g3, const Tensor<T>& y3, const Layout& l) {
    return sub(sub(g3, group_mean(g3, l)), mul(y3, group_mean(mul(g3, y3), l)));
}

/// out = s·(g − mean(g) − y·mean(g·y)) per group: standardize's gradient for its input, given its output y and s.
template <class T>
Tensor<T> standardize_backward(const Tensor<T>& g, const Tensor<T>& y, const Tensor<T>& s, const Layout& l) {
    auto out = make_node<T>(g.shape());
    const T* gv = g.value().data();
    const T* yv = y.value().data();
    T* ov = out->value.data();
    std::vector<double> sum_g(l.groups, 0.0), sum_gy(l.groups, 0.0);
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t gr = 0; gr < l.groups; ++gr) {
            const std::size_t at = (o * l.groups + gr) * l.inner;
            double a = 0, b = 0;
            for (std::size_t i = 0; i < l.inner; ++i) {
                a += gv[at + i];
                b += static_cast<double>(gv[at + i]) * yv[at + i];
            }
            sum_g[gr] += a;
            sum_gy[gr] += b;
        }
    const double inv_m = 1.0 / static_cast<double>(l.count());
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t gr = 0; gr < l.groups; ++gr) {
            const std::size_t at = (o * l.groups + gr) * l.inner;
            const T mg = static_cast<T>(sum_g[gr] * inv_m), mgy = static_cast<T>(sum_gy[gr] * inv_m);
            const T sv = s.value()(gr);
            for (std::size_t i = 0; i < l.inner; ++i) ov[at + i] = sv * (gv[at + i] - mg - yv[at + i] * mgy);
        }
    // Linear in g with a symmetric matrix per group (s·(I − 11ᵀ/M − y yᵀ/M)): grad_g is the same op applied to grad_out.
    return record<T>(std::move(out), {g, y, s},
                     {"standardize_backward", "grad_g = standardize_backward(grad_out, y, s); grad_y = -s * (grad_out * mean(g * y) + g * mean(grad_out * y)); grad_s = sum(grad_out * out / s)  (out = s * (g - mean(g) - y * mean(g * y)) per group)"},
                     [l](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& G) {
                         const Tensor<T>& g_in = in[0];
                         const Tensor<T>& y_in = in[1];
                         const Tensor<T>& s_in = in[2];
                         Tensor<T> gg, gy, gs;
                         if (g_in.requires_grad()) gg = standardize_backward(G, y_in, s_in, l);
                         const Tensor<T> g3 = reshape(g_in, l.shape3()), y3 = reshape(y_in, l.shape3());
                         const Tensor<T> G3 = reshape(G, l.shape3());
                         if (y_in.requires_grad()) {
                             const Tensor<T> inner = add(mul(G3, group_mean(mul(g3, y3), l)),
                                                         mul(g3, group_mean(mul(G3, y3), l)));
                             gy = reshape(neg(mul(inner, per_group(s_in, l))), y_in.shape());
                         }
                         if (s_in.requires_grad())
                             gs = reshape(sum_to(mul(G3, centred_grad(g3, y3, l)), Shape{l.groups, 1}), Shape{l.groups});
                         return Grads<T>{gg, gy, gs};
                     });
}

/// The shape [C, 1, ..., 1] of a per-channel [C] tensor seen against x [N, C, ...] of `dims` dims.
Shape per_channel_shape(std::size_t c, std::size_t dims) {
    Shape s(dims - 1, 1);
    s[0] = c;
    return s;
}

/// y = x·scale_c + shift_c for each channel c of x as [N, C, S] (layout l), scale and shift [C]. One fused loop:
/// xtensor's broadcasting of a [C, 1, 1] operand against [N, C, H, W] took 70 % of a batch norm. The backward is
/// written with this op (for x), mul and sum_to (for scale and shift), so it is differentiable again.
template <class T>
Tensor<T> channel_affine(const Tensor<T>& x, const Tensor<T>& scale, const Tensor<T>& shift, const Layout& l) {
    auto out = make_node<T>(x.shape());
    const T* xv = x.value().data();
    const T* a = scale.value().data();
    const T* b = shift.value().data();
    T* yv = out->value.data();
    for (std::size_t o = 0; o < l.outer; ++o)
        for (std::size_t c = 0; c < l.groups; ++c) {
            const std::size_t at = (o * l.groups + c) * l.inner;
            const T ac = a[c], bc = b[c];
            for (std::size_t i = 0; i < l.inner; ++i) yv[at + i] = xv[at + i] * ac + bc;
        }
    return record<T>(std::move(out), {x, scale, shift},
                     {"channel_affine", "grad_x = channel_affine(grad_out, scale, 0); grad_scale = sum over N, H, W of grad_out * x; grad_shift = sum over N, H, W of grad_out"},
                     [l](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Shape per_c = per_channel_shape(l.groups, in[0].dim()), flat{l.groups};
                         Grads<T> grads{Tensor<T>(), Tensor<T>(), Tensor<T>()};
                         if (in[0].requires_grad())
                             grads[0] = channel_affine(g, in[1], Tensor<T>::zeros(flat), l);
                         if (in[1].requires_grad()) grads[1] = reshape(sum_to(mul(g, in[0]), per_c), flat);
                         if (in[2].requires_grad()) grads[2] = reshape(sum_to(g, per_c), flat);
                         return grads;
                     },
                     Saves{3u, false});
}

/// Checks that an optional per-channel tensor has shape `expect`; `what` names it in the message.
template <class T>
void check_optional(const char* op, const char* what, const Tensor<T>& t, const Shape& expect, const Shape& x) {
    if (t.defined() && t.shape() != expect)
        throw ShapeError(std::string(op) + ": expected " + what + " " + shape_str(expect) + " for input " +
                         shape_str(x) + ", got " + shape_str(t.shape()));
}

void check_eps(const char* op, double eps) {
    if (!(eps >= 0) || !std::isfinite(eps))
        throw ValueError(std::string(op) + ": eps must be a finite number >= 0, got " + std::to_string(eps));
}

}  // namespace

template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta, Tensor<T> running_mean,
                     Tensor<T> running_var, bool training, double momentum, double eps) {
    const Shape s = x.shape();
    if (s.size() < 2 || s[1] == 0)
        throw ShapeError("batch_norm: expected input [N, C] or [N, C, H, W] with C >= 1, got " + shape_str(s));
    const std::size_t c = s[1];
    for (auto [what, t] : {std::pair<const char*, const Tensor<T>*>{"gamma", &gamma}, {"beta", &beta},
                           {"running_mean", &running_mean}, {"running_var", &running_var}})
        check_optional("batch_norm", what, *t, Shape{c}, s);
    check_eps("batch_norm", eps);
    if (!std::isfinite(momentum))
        throw ValueError("batch_norm: momentum must be finite, got " + std::to_string(momentum));
    if (running_mean.defined() != running_var.defined())
        throw ValueError("batch_norm: give both running_mean and running_var, or neither");
    const Layout l{s[0], c, x.numel() / std::max<std::size_t>(s[0] * c, 1)};
    // Absent affine parameters are the constants 1 and 0 (they get no gradient).
    const Tensor<T> g = gamma.defined() ? gamma : Tensor<T>::ones({c});
    const Tensor<T> b = beta.defined() ? beta : Tensor<T>::zeros({c});
    if (!training) {
        if (!running_mean.defined())
            throw ValueError("batch_norm: evaluation mode needs running_mean and running_var");
        // The running statistics are constants: y = x·a + (beta − r_mean·a) with a = gamma / √(r_var + eps), one pass.
        Array<T> invstd = Array<T>::from_shape({c});
        for (std::size_t i = 0; i < c; ++i)
            invstd(i) = static_cast<T>(1.0 / std::sqrt(static_cast<double>(running_var.value()(i)) + eps));
        const Tensor<T> a = mul(g, Tensor<T>(std::move(invstd)));
        return channel_affine(x, a, sub(b, mul(Tensor<T>(Array<T>(running_mean.value())), a)), l);
    }
    if (l.count() < 2)
        throw ValueError("batch_norm: expected more than 1 value per channel when training, got input " +
                         shape_str(s));
    std::vector<double> mean, var;
    Tensor<T> y = standardize(x, l, eps, &mean, &var);
    if (running_mean.defined()) {
        NoGradGuard no_grad;  // the running statistics are state, not part of the graph
        Array<T>& rm = running_mean.mutable_value();
        Array<T>& rv = running_var.mutable_value();
        const double unbiased = static_cast<double>(l.count()) / static_cast<double>(l.count() - 1);
        for (std::size_t i = 0; i < c; ++i) {
            rm(i) = static_cast<T>((1 - momentum) * rm(i) + momentum * mean[i]);
            rv(i) = static_cast<T>((1 - momentum) * rv(i) + momentum * var[i] * unbiased);
        }
    }
    return gamma.defined() || beta.defined() ? channel_affine(y, g, b, l) : y;
}

template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const Tensor<T>& gamma, const Tensor<T>& beta,
                     double eps) {
    const Shape s = x.shape();
    const std::size_t k = normalized_shape.size();
    std::size_t features = 1;
    for (std::size_t d : normalized_shape) features *= d;
    if (k == 0 || k > s.size() || !std::equal(normalized_shape.begin(), normalized_shape.end(), s.end() - k) ||
        features == 0)
        throw ShapeError("layer_norm: normalized_shape " + shape_str(normalized_shape) +
                         " must be the trailing dims of the input (non-empty, no zero extent), got input " +
                         shape_str(s));
    check_optional("layer_norm", "gamma", gamma, normalized_shape, s);
    check_optional("layer_norm", "beta", beta, normalized_shape, s);
    check_eps("layer_norm", eps);
    const Layout l{1, x.numel() / features, features};
    Tensor<T> y = standardize(x, l, eps);
    if (gamma.defined()) y = mul(y, gamma);  // [F] against [rows, F]: broadcasting along the leading dims is fast
    if (beta.defined()) y = add(y, beta);
    return y;
}

#define DG_INSTANTIATE(T)                                                                                         \
    template Tensor<T> batch_norm(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>, Tensor<T>, bool, \
                                  double, double);                                                                \
    template Tensor<T> layer_norm(const Tensor<T>&, const Shape&, const Tensor<T>&, const Tensor<T>&, double);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
