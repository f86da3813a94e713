// The delta recurrences of the notes carried over to convolutional networks (conv, max and average pooling, flatten,
// dense layers, the MLP reference's losses): forward z(l), a(l); backward δ(l), ΔW(l), Δb(l), written as the textbook
// does, with the plane operations of conv_planes.hpp. Independent of autograd: plain arrays and loops.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_loss.hpp"

namespace dg::reference {

/// Two extents {height, width}.
using Extent2 = std::array<std::size_t, 2>;

/// What a layer of a ConvNet does.
enum class ConvLayerKind { conv, max_pool, avg_pool, flatten, dense };

/// One layer l. Shapes: activations between layers are [m, C, H, W] (m samples) up to a flatten, [m, n] after it.
///
///  - conv (stride s, padding p, dilation d): W [C_out, C_in, kH, kW], b [C_out], activation f. With W_d = dilate(W; d)
///    (the kernel with d − 1 zeros between its taps, of extent k_d = d(k − 1) + 1):
///      z(l)[n, o] = b[o] + Σ_c corr(pad(a(l−1)[n, c]; p), W_d[o, c]; s),   a(l) = f(z(l))
///    backward, with D[n, o] = dilate(δ(l)[n, o]; s) (δ's entries back at the input positions they were computed at):
///      ΔW_d[o, c] = Σ_n corr(pad(a(l−1)[n, c]; p), D[n, o])       (the input correlated with δ; cropped to k_d × k_d,
///                                                                  ΔW[o, c, u, v] = ΔW_d[o, c, u·d, v·d])
///      Δb[o]      = Σ_{n, i, j} δ(l)[n, o, i, j]
///      ∂l/∂a(l−1)[n, c] = Σ_o corr(pad(D[n, o]; k_d − 1 − p), rot180(W_d[o, c]))   (δ correlated with the flipped
///                                                                  kernel: the "full" correlation; the bottom and
///                                                                  right pads grow by the rows and columns the stride
///                                                                  skipped, so that the result is H × W)
///    The padding must be at most k_d − 1 along each axis (the full correlation pads by k_d − 1 − p).
///  - max_pool (kernel k, stride s, padding p read as −∞, p <= k/2): z = a = the maximum of each window; backward
///    routes δ to the arg-max (the first of tied maxima): ∂l/∂a(l−1)[argmax of window q] += δ(l)[q].
///  - avg_pool (kernel k, stride s, zero padding p that counts, p <= k/2): z = a = the window's sum / (kH·kW);
///    backward spreads δ(l)[q] / (kH·kW) over window q.
///  - flatten: z = a = a(l−1) reshaped to [m, C·H·W]; backward reshapes δ back.
///  - dense: z(l) = a(l−1) W^T + b, W [n_out, n_in]; ΔW = δ(l)^T a(l−1), Δb = Σ_rows δ(l), ∂l/∂a(l−1) = δ(l) W.
/// For every layer, δ(l−1) = ∂l/∂a(l−1) ⊙ f'(z(l−1)) (f' = 1 for pooling and flatten).
template <class T>
struct ConvLayer {
    ConvLayerKind kind = ConvLayerKind::dense;  ///< which of the layers above
    Array<T> W = Array<T>::from_shape({0});  ///< conv [C_out, C_in, kH, kW], dense [n_out, n_in]; [0] for the others
    Array<T> b = Array<T>::from_shape({0});  ///< conv [C_out], dense [n_out]; [0] for the others
    ActivationKind activation = ActivationKind::identity;  ///< conv and dense; identity for the others
    std::optional<T> alpha;  ///< leaky_relu / elu parameter; unset means default_alpha(activation)
    Extent2 kernel{0, 0};    ///< pools' window (a conv's is W's)
    Extent2 stride{1, 1};    ///< conv and pools
    Extent2 padding{0, 0};   ///< conv and pools
    Extent2 dilation{1, 1};  ///< conv

    /// A convolution layer.
    static ConvLayer conv(Array<T> W, Array<T> b, ActivationKind f, Extent2 stride = {1, 1}, Extent2 padding = {0, 0},
                          Extent2 dilation = {1, 1});
    /// A max pooling layer; stride {0, 0} means the kernel.
    static ConvLayer max_pool(Extent2 kernel, Extent2 stride = {0, 0}, Extent2 padding = {0, 0});
    /// An average pooling layer; stride {0, 0} means the kernel.
    static ConvLayer avg_pool(Extent2 kernel, Extent2 stride = {0, 0}, Extent2 padding = {0, 0});
    /// [m, C, H, W] → [m, C·H·W].
    static ConvLayer flatten();
    /// A fully connected layer.
    static ConvLayer dense(Array<T> W, Array<T> b, ActivationKind f);

    /// The alpha actually used.
    T resolved_alpha() const { return alpha ? *alpha : static_cast<T>(default_alpha(activation)); }
};

/// A network: layers[0] is layer 1 of the notes; the last layer's output is [m, n] (after a flatten or a dense layer).
template <class T>
struct ConvNetParams {
    std::vector<ConvLayer<T>> layers;  ///< layers[l − 1] is layer l
};

/// The same network with its weights and biases converted to U (double to float and back).
template <class U, class T>
ConvNetParams<U> convert(const ConvNetParams<T>& net);

/// What the reference computes for one layer l.
template <class T>
struct ConvLayerResult {
    Array<T> z;      ///< z(l), before the activation: [m, C, H, W] or [m, n]
    Array<T> a;      ///< a(l) = f(z(l)); for softmax_ce / bce at the output, the softmax / sigmoid of z(L)
    Array<T> delta;  ///< δ(l) = ∂loss/∂z(l), z(l)'s shape, the loss's 1/m factors included
    Array<T> dW = Array<T>::from_shape({0});  ///< ΔW(l), W's shape (conv and dense; [0], empty, for the others)
    Array<T> db = Array<T>::from_shape({0});  ///< Δb(l), b's shape (conv and dense; [0], empty, for the others)
    std::vector<std::size_t> argmax;  ///< max_pool: per output, the flat index into a(l−1) it was taken from
};

/// The full result of conv_backprop.
template <class T>
struct ConvBackpropResult {
    T loss = 0;           ///< the loss of the batch (as delta_loss.hpp's)
    Array<T> input;       ///< a(0) = X
    Array<T> input_grad;  ///< ∂loss/∂X: the recurrence carried one step past layer 1
    std::vector<ConvLayerResult<T>> layers;  ///< layers[l − 1] is layer l

    /// a(l) with a(0) = X, as in the notes.
    const Array<T>& a(std::size_t l) const { return l == 0 ? input : layers.at(l - 1).a; }
};

/// Forward and backward pass on the batch X ([m, C, H, W], or [m, n] for a dense first layer) with targets Y [m, n]:
/// δ(L) from the loss (delta_loss.hpp), then the recurrences above down to layer 1, and ∂loss/∂X.
/// Throws dg::ShapeError for shapes that do not fit (naming the layer, the shape it got and the one it expected) and
/// dg::ValueError for an empty network, bad geometry, an activation without a formula or one the loss does not allow.
template <class T>
ConvBackpropResult<T> conv_backprop(const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss);

/// The loss of the same forward pass, without the backward pass: for finite differences.
template <class T>
T conv_loss(const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss);

}  // namespace dg::reference
