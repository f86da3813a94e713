// conv_backprop and conv_loss: shape checks, the forward pass layer by layer, δ(L) from the loss, then each layer's
// backward recurrence (conv_backprop.hpp) written with the plane operations of conv_planes.hpp.
#include "nn/reference/conv_backprop.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/conv_planes.hpp"
#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {

template <class T>
ConvLayer<T> ConvLayer<T>::conv(Array<T> W, Array<T> b, ActivationKind f, Extent2 stride, Extent2 padding,
                                Extent2 dilation) {
    ConvLayer l;
    l.kind = ConvLayerKind::conv;
    l.W = std::move(W);
    l.b = std::move(b);
    l.activation = f;
    l.stride = stride;
    l.padding = padding;
    l.dilation = dilation;
    return l;
}

template <class T>
ConvLayer<T> ConvLayer<T>::max_pool(Extent2 kernel, Extent2 stride, Extent2 padding) {
    ConvLayer l;
    l.kind = ConvLayerKind::max_pool;
    l.kernel = kernel;
    l.stride = {stride[0] ? stride[0] : kernel[0], stride[1] ? stride[1] : kernel[1]};
    l.padding = padding;
    return l;
}

template <class T>
ConvLayer<T> ConvLayer<T>::avg_pool(Extent2 kernel, Extent2 stride, Extent2 padding) {
    ConvLayer l = max_pool(kernel, stride, padding);
    l.kind = ConvLayerKind::avg_pool;
    return l;
}

template <class T>
ConvLayer<T> ConvLayer<T>::flatten() {
    ConvLayer l;
    l.kind = ConvLayerKind::flatten;
    return l;
}

template <class T>
ConvLayer<T> ConvLayer<T>::dense(Array<T> W, Array<T> b, ActivationKind f) {
    ConvLayer l;
    l.W = std::move(W);
    l.b = std::move(b);
    l.activation = f;
    return l;
}

template <class U, class T>
ConvNetParams<U> convert(const ConvNetParams<T>& net) {
    ConvNetParams<U> out;
    for (const ConvLayer<T>& l : net.layers) {
        ConvLayer<U> c;
        c.kind = l.kind;
        c.W = xt::cast<U>(l.W);
        c.b = xt::cast<U>(l.b);
        c.activation = l.activation;
        if (l.alpha) c.alpha = static_cast<U>(*l.alpha);
        c.kernel = l.kernel;
        c.stride = l.stride;
        c.padding = l.padding;
        c.dilation = l.dilation;
        out.layers.push_back(std::move(c));
    }
    return out;
}

namespace {

std::string pair_str(Extent2 e) { return "(" + std::to_string(e[0]) + ", " + std::to_string(e[1]) + ")"; }

/// The output extent of a window k_eff moved by s over an axis of extent `in` padded by p on both sides.
std::size_t out_extent(std::size_t in, std::size_t k_eff, std::size_t s, std::size_t p) {
    return (in + 2 * p - k_eff) / s + 1;
}

/// Checks layer `l` (1-based in messages) against the shape of its input and returns the shape of its output.
template <class T>
Shape check_layer(const char* fn, std::size_t index, const ConvLayer<T>& l, const Shape& in) {
    const std::string where = std::string(fn) + ": layer " + std::to_string(index) + " ";
    const bool has_weights = l.kind == ConvLayerKind::conv || l.kind == ConvLayerKind::dense;
    if (has_weights && !has_formula(l.activation))
        throw ValueError(where + "activation is " + activation_name(l.activation) +
                         ", which the reference has no formula for (it has the elementwise built-ins)");
    if (has_weights && !std::isfinite(l.resolved_alpha()))
        throw ValueError(where + "alpha is not a finite number");
    switch (l.kind) {
        case ConvLayerKind::dense: {
            if (in.size() != 2)
                throw ShapeError(where + "(dense) expected input [m, n_in], got " + shape_str(in));
            if (l.W.dimension() != 2 || l.W.shape()[1] != in[1] || l.W.shape()[0] == 0)
                throw ShapeError(where + "(dense) weight has shape " + shape_str(shape_of(l.W)) + ", expected [*, " +
                                 std::to_string(in[1]) + "]");
            if (l.b.dimension() != 1 || l.b.shape()[0] != l.W.shape()[0])
                throw ShapeError(where + "(dense) bias has shape " + shape_str(shape_of(l.b)) + ", expected [" +
                                 std::to_string(l.W.shape()[0]) + "]");
            return {in[0], l.W.shape()[0]};
        }
        case ConvLayerKind::flatten:
            if (in.size() != 4) throw ShapeError(where + "(flatten) expected input [m, C, H, W], got " + shape_str(in));
            return {in[0], in[1] * in[2] * in[3]};
        case ConvLayerKind::conv: {
            if (in.size() != 4) throw ShapeError(where + "(conv) expected input [m, C, H, W], got " + shape_str(in));
            if (l.W.dimension() != 4 || l.W.shape()[1] != in[1] || l.W.shape()[0] == 0 || l.W.shape()[2] == 0 ||
                l.W.shape()[3] == 0)
                throw ShapeError(where + "(conv) weight has shape " + shape_str(shape_of(l.W)) +
                                 ", expected [C_out, " + std::to_string(in[1]) + ", kH, kW]");
            if (l.b.dimension() != 1 || l.b.shape()[0] != l.W.shape()[0])
                throw ShapeError(where + "(conv) bias has shape " + shape_str(shape_of(l.b)) + ", expected [" +
                                 std::to_string(l.W.shape()[0]) + "]");
            if (l.stride[0] == 0 || l.stride[1] == 0 || l.dilation[0] == 0 || l.dilation[1] == 0)
                throw ValueError(where + "(conv) stride " + pair_str(l.stride) + " and dilation " +
                                 pair_str(l.dilation) + " must be at least 1");
            Shape out{in[0], l.W.shape()[0], 0, 0};
            for (int axis = 0; axis < 2; ++axis) {
                const std::size_t k_d = l.dilation[axis] * (l.W.shape()[2 + axis] - 1) + 1;
                if (l.padding[axis] + 1 > k_d)
                    throw ValueError(where + "(conv) padding " + pair_str(l.padding) +
                                     " must be at most the dilated kernel's extent − 1 (" + std::to_string(k_d - 1) +
                                     " along axis " + std::to_string(axis) + ")");
                if (in[2 + axis] + 2 * l.padding[axis] < k_d)
                    throw ShapeError(where + "(conv) input " + shape_str(in) + " is smaller than its dilated kernel");
                out[2 + axis] = out_extent(in[2 + axis], k_d, l.stride[axis], l.padding[axis]);
            }
            return out;
        }
        case ConvLayerKind::max_pool:
        case ConvLayerKind::avg_pool: {
            if (in.size() != 4) throw ShapeError(where + "(pool) expected input [m, C, H, W], got " + shape_str(in));
            Shape out{in[0], in[1], 0, 0};
            for (int axis = 0; axis < 2; ++axis) {
                const std::size_t k = l.kernel[axis], s = l.stride[axis], p = l.padding[axis];
                if (k == 0 || s == 0 || 2 * p > k)
                    throw ValueError(where + "(pool) kernel " + pair_str(l.kernel) + ", stride " + pair_str(l.stride) +
                                     ", padding " + pair_str(l.padding) +
                                     ": kernel and stride must be at least 1, padding at most half the kernel");
                if (in[2 + axis] + 2 * p < k)
                    throw ShapeError(where + "(pool) input " + shape_str(in) + " is smaller than its kernel");
                out[2 + axis] = out_extent(in[2 + axis], k, s, p);
            }
            return out;
        }
    }
    throw ValueError(where + "has an unknown kind");
}

template <class T>
void validate(const char* fn, const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss) {
    if (net.layers.empty()) throw ValueError(std::string(fn) + ": the network has no layers");
    Shape shape = shape_of(X);
    if ((shape.size() != 2 && shape.size() != 4) || shape[0] == 0)
        throw ShapeError(std::string(fn) + ": input X has shape " + shape_str(shape) +
                         ", expected [m, C, H, W] (or [m, n] for a dense first layer) with m >= 1");
    for (std::size_t l = 0; l < net.layers.size(); ++l) shape = check_layer(fn, l + 1, net.layers[l], shape);
    if (shape.size() != 2)
        throw ShapeError(std::string(fn) + ": the last layer's output has shape " + shape_str(shape) +
                         ", expected [m, n] (end with flatten or dense)");
    const ActivationKind out = net.layers.back().activation;
    if (!output_activation_allowed(loss, out))
        throw ValueError(std::string(fn) + ": loss " + loss_name(loss) + " does not allow the output activation " +
                         activation_name(out));
    if (shape_of(Y) != shape)
        throw ShapeError(std::string(fn) + ": target Y has shape " + shape_str(shape_of(Y)) + ", expected " +
                         shape_str(shape));
}

/// The dilated kernel W_d[o, c] of a conv layer.
template <class T>
Array<T> dilated_kernel(const ConvLayer<T>& l, std::size_t o, std::size_t c) {
    return dilate_plane(plane(l.W, o, c), l.dilation[0], l.dilation[1]);
}

/// z[n, o] = b[o] + Σ_c corr(pad(a[n, c]; p), W_d[o, c]; s).
template <class T>
Array<T> conv_forward(const ConvLayer<T>& l, const Array<T>& a, const Shape& out_shape) {
    Array<T> z = Array<T>::from_shape(out_shape);
    const std::size_t m = out_shape[0], c_out = out_shape[1], c_in = a.shape()[1];
    for (std::size_t n = 0; n < m; ++n)
        for (std::size_t o = 0; o < c_out; ++o) {
            Array<T> acc = xt::zeros<T>({out_shape[2], out_shape[3]});
            acc += l.b(o);
            for (std::size_t c = 0; c < c_in; ++c) {
                const Array<T> padded = pad_plane(plane(a, n, c), l.padding[0], l.padding[0], l.padding[1], l.padding[1]);
                acc += correlate(padded, dilated_kernel(l, o, c), l.stride[0], l.stride[1]);
            }
            std::copy(acc.begin(), acc.end(), z.data() + (n * c_out + o) * acc.size());
        }
    return z;
}

/// A pooling layer's output; for max pooling also the flat index into a each output was taken from.
template <class T>
Array<T> pool_forward(const ConvLayer<T>& l, const Array<T>& a, const Shape& out_shape,
                      std::vector<std::size_t>* argmax) {
    const std::size_t h = a.shape()[2], w = a.shape()[3], oh = out_shape[2], ow = out_shape[3];
    Array<T> z = Array<T>::from_shape(out_shape);
    if (argmax) argmax->assign(z.size(), 0);
    const bool is_max = l.kind == ConvLayerKind::max_pool;
    for (std::size_t n = 0; n < out_shape[0]; ++n)
        for (std::size_t c = 0; c < out_shape[1]; ++c)
            for (std::size_t i = 0; i < oh; ++i)
                for (std::size_t j = 0; j < ow; ++j) {
                    T best = -std::numeric_limits<T>::infinity(), sum = 0;
                    std::size_t where = 0;
                    for (std::size_t u = 0; u < l.kernel[0]; ++u)
                        for (std::size_t v = 0; v < l.kernel[1]; ++v) {
                            const long r = long(i * l.stride[0] + u) - long(l.padding[0]);
                            const long q = long(j * l.stride[1] + v) - long(l.padding[1]);
                            if (r < 0 || q < 0 || r >= long(h) || q >= long(w)) continue;  // padding
                            const std::size_t at = ((n * out_shape[1] + c) * h + std::size_t(r)) * w + std::size_t(q);
                            sum += a.data()[at];
                            if (a.data()[at] > best || std::isnan(a.data()[at])) {  // the first maximum wins
                                best = a.data()[at];
                                where = at;
                            }
                        }
                    const std::size_t out = ((n * out_shape[1] + c) * oh + i) * ow + j;
                    z.data()[out] = is_max ? best : sum / static_cast<T>(l.kernel[0] * l.kernel[1]);
                    if (argmax) (*argmax)[out] = where;
                }
    return z;
}

/// One layer forward: z, then a (the loss's output activation for the last layer).
template <class T>
void layer_forward(const ConvLayer<T>& l, const Array<T>& a_prev, const Shape& out_shape, bool last, Loss loss,
                   ConvLayerResult<T>& r) {
    switch (l.kind) {
        case ConvLayerKind::conv: r.z = conv_forward(l, a_prev, out_shape); break;
        case ConvLayerKind::max_pool: r.z = pool_forward(l, a_prev, out_shape, &r.argmax); break;
        case ConvLayerKind::avg_pool: r.z = pool_forward(l, a_prev, out_shape, nullptr); break;
        case ConvLayerKind::flatten: r.z = a_prev; r.z.reshape(out_shape); break;
        case ConvLayerKind::dense: {
            // The MLP reference's z = a W^T + b (delta_kernels), with this layer's W, b and activation.
            detail::linear_forward(a_prev, LayerParams<T>{l.W, l.b, l.activation, l.alpha}, r.z);
            break;
        }
    }
    if (last) output_activation_into(loss, l.activation, l.resolved_alpha(), r.z, r.a);
    else activate_into(l.activation, l.resolved_alpha(), r.z, r.a);
}

/// The forward pass into result.layers; returns the loss.
template <class T>
T forward(const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss,
          std::vector<ConvLayerResult<T>>& layers) {
    layers.resize(net.layers.size());
    const Array<T>* prev = &X;
    Shape shape = shape_of(X);
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        shape = check_layer("conv_backprop", l + 1, net.layers[l], shape);  // validated already: gives the shape
        layer_forward(net.layers[l], *prev, shape, l + 1 == net.layers.size(), loss, layers[l]);
        prev = &layers[l].a;
    }
    return loss_value(loss, layers.back().z, layers.back().a, Y);
}

/// Conv layer backward: ΔW, Δb into r, and ∂l/∂a(l−1) (a_prev's shape) into grad_prev.
template <class T>
void conv_backward(const ConvLayer<T>& l, const Array<T>& a_prev, ConvLayerResult<T>& r, Array<T>& grad_prev) {
    const std::size_t m = a_prev.shape()[0], c_in = a_prev.shape()[1], h = a_prev.shape()[2], w = a_prev.shape()[3];
    const std::size_t c_out = l.W.shape()[0], kh = l.W.shape()[2], kw = l.W.shape()[3];
    const std::size_t kdh = l.dilation[0] * (kh - 1) + 1, kdw = l.dilation[1] * (kw - 1) + 1;
    const std::size_t oh = r.delta.shape()[2], ow = r.delta.shape()[3];
    // The rows and columns at the bottom and right that no window reached (the stride skipped them).
    const std::size_t rest_h = h + 2 * l.padding[0] - kdh - (oh - 1) * l.stride[0];
    const std::size_t rest_w = w + 2 * l.padding[1] - kdw - (ow - 1) * l.stride[1];
    r.dW = xt::zeros<T>(l.W.shape());
    r.db = xt::zeros<T>(l.b.shape());
    grad_prev = xt::zeros<T>(a_prev.shape());
    for (std::size_t n = 0; n < m; ++n)
        for (std::size_t o = 0; o < c_out; ++o) {
            const Array<T> d = plane(r.delta, n, o);
            r.db(o) += xt::sum(d, immediate)();  // Δb = Σ δ
            const Array<T> D = dilate_plane(d, l.stride[0], l.stride[1]);
            const Array<T> D_full = pad_plane(D, kdh - 1 - l.padding[0], kdh - 1 - l.padding[0] + rest_h,
                                              kdw - 1 - l.padding[1], kdw - 1 - l.padding[1] + rest_w);
            for (std::size_t c = 0; c < c_in; ++c) {
                // ΔW_d = corr(pad(a(l−1)), D), cropped to the dilated kernel; ΔW takes its taps.
                const Array<T> a_pad = pad_plane(plane(a_prev, n, c), l.padding[0], l.padding[0], l.padding[1],
                                                 l.padding[1]);
                const Array<T> dW_d = correlate(a_pad, D);
                for (std::size_t u = 0; u < kh; ++u)
                    for (std::size_t v = 0; v < kw; ++v) r.dW(o, c, u, v) += dW_d(u * l.dilation[0], v * l.dilation[1]);
                // ∂l/∂a(l−1) = corr(pad(D; k_d − 1 − p), rot180(W_d)): δ correlated with the flipped kernel.
                add_to_plane(grad_prev, n, c, correlate(D_full, rotate180(dilated_kernel(l, o, c))));
            }
        }
}

/// Pooling backward: max routes δ to the arg-max, average spreads δ/(kH·kW) over the window.
template <class T>
void pool_backward(const ConvLayer<T>& l, const Array<T>& a_prev, const ConvLayerResult<T>& r, Array<T>& grad_prev) {
    grad_prev = xt::zeros<T>(a_prev.shape());
    if (l.kind == ConvLayerKind::max_pool) {
        for (std::size_t q = 0; q < r.delta.size(); ++q) grad_prev.data()[r.argmax[q]] += r.delta.data()[q];
        return;
    }
    const std::size_t h = a_prev.shape()[2], w = a_prev.shape()[3], oh = r.delta.shape()[2], ow = r.delta.shape()[3];
    const T share = T(1) / static_cast<T>(l.kernel[0] * l.kernel[1]);
    for (std::size_t n = 0; n < r.delta.shape()[0]; ++n)
        for (std::size_t c = 0; c < r.delta.shape()[1]; ++c)
            for (std::size_t i = 0; i < oh; ++i)
                for (std::size_t j = 0; j < ow; ++j)
                    for (std::size_t u = 0; u < l.kernel[0]; ++u)
                        for (std::size_t v = 0; v < l.kernel[1]; ++v) {
                            const long row = long(i * l.stride[0] + u) - long(l.padding[0]);
                            const long col = long(j * l.stride[1] + v) - long(l.padding[1]);
                            if (row < 0 || col < 0 || row >= long(h) || col >= long(w)) continue;
                            grad_prev(n, c, std::size_t(row), std::size_t(col)) += r.delta(n, c, i, j) * share;
                        }
}

/// One layer backward from its δ: ΔW, Δb (conv, dense) and ∂l/∂a(l−1).
template <class T>
void layer_backward(const ConvLayer<T>& l, const Array<T>& a_prev, ConvLayerResult<T>& r, Array<T>& grad_prev) {
    switch (l.kind) {
        case ConvLayerKind::conv: conv_backward(l, a_prev, r, grad_prev); return;
        case ConvLayerKind::max_pool:
        case ConvLayerKind::avg_pool: pool_backward(l, a_prev, r, grad_prev); return;
        case ConvLayerKind::flatten:
            grad_prev = r.delta;
            grad_prev.reshape(a_prev.shape());
            return;
        case ConvLayerKind::dense:
            // ΔW = δ^T a(l−1), Δb = Σ_rows δ, ∂l/∂a(l−1) = δ W: the MLP reference's products.
            r.dW = Array<T>::from_shape(l.W.shape());
            gemm_into(r.delta, true, a_prev, false, r.dW);
            detail::column_sums(r.delta, r.db);
            grad_prev = Array<T>::from_shape({r.delta.shape()[0], l.W.shape()[1]});
            gemm_into(r.delta, false, l.W, false, grad_prev);
            return;
    }
}

}  // namespace

template <class T>
ConvBackpropResult<T> conv_backprop(const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss) {
    validate("conv_backprop", net, X, Y, loss);
    ConvBackpropResult<T> result;
    result.input = X;
    result.loss = forward(net, X, Y, loss, result.layers);
    const ConvLayer<T>& out = net.layers.back();
    ConvLayerResult<T>& top = result.layers.back();
    output_delta_into(loss, out.activation, out.resolved_alpha(), top.z, top.a, Y, top.delta);
    for (std::size_t l = net.layers.size(); l-- > 0;) {  // l is the 0-based index of layer l + 1
        const Array<T>& a_prev = l == 0 ? X : result.layers[l - 1].a;
        Array<T> grad_prev;
        layer_backward(net.layers[l], a_prev, result.layers[l], grad_prev);
        if (l == 0) {
            result.input_grad = std::move(grad_prev);
            break;
        }
        // δ(l−1) = ∂l/∂a(l−1) ⊙ f'(z(l−1)).
        ConvLayerResult<T>& below = result.layers[l - 1];
        const ConvLayer<T>& params = net.layers[l - 1];
        multiply_by_derivative(params.activation, params.resolved_alpha(), below.z, below.a, grad_prev);
        below.delta = std::move(grad_prev);
    }
    return result;
}

template <class T>
T conv_loss(const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss) {
    validate("conv_loss", net, X, Y, loss);
    std::vector<ConvLayerResult<T>> layers;
    return forward(net, X, Y, loss, layers);
}

#define DG_INSTANTIATE(T)                                                                                      \
    template struct ConvLayer<T>;                                                                              \
    template ConvBackpropResult<T> conv_backprop<T>(const ConvNetParams<T>&, const Array<T>&, const Array<T>&, \
                                                    Loss);                                                     \
    template T conv_loss<T>(const ConvNetParams<T>&, const Array<T>&, const Array<T>&, Loss);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE
template ConvNetParams<float> convert<float, double>(const ConvNetParams<double>&);
template ConvNetParams<double> convert<double, float>(const ConvNetParams<float>&);

}  // namespace dg::reference
