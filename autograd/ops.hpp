// Every public op of deltagrad, one line each, grouped as in autograd/ops/*.cpp. Binary elementwise ops
// broadcast (NumPy rules); the engine reduces broadcast gradients with sum_to. Each op's derivative is written
// once, beside its forward in autograd/ops/*.cpp, as the rule its nodes carry (Tensor::op(), the backward
// trace); autograd/OPS.md lists them all, generated from those sources by scripts/op-index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "autograd/broadcast.hpp"
#include "autograd/engine.hpp"
#include "autograd/tensor.hpp"

namespace dg {

/// A scalar argument that converts to T instead of taking part in template deduction (x * 2.0 on floats).
template <class T>
using Scalar = typename std::common_type<T>::type;

// ---- elementwise, binary (broadcasting) ---------------------------------------------------------
/// a + b.
template <class T> Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b);
/// a - b.
template <class T> Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b);
/// a * b, elementwise.
template <class T> Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b);
/// a / b, elementwise.
template <class T> Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b);
/// a^b, elementwise.
template <class T> Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b);
/// max(a, b), elementwise (ties send the gradient to a).
template <class T> Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);
/// min(a, b), elementwise (ties send the gradient to a).
template <class T> Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);

// ---- elementwise with a scalar ---------------------------------------------------------------------
/// a + s.
template <class T> Tensor<T> add(const Tensor<T>& a, Scalar<T> s);
/// a * s.
template <class T> Tensor<T> mul(const Tensor<T>& a, Scalar<T> s);
/// a^p.
template <class T> Tensor<T> pow(const Tensor<T>& a, Scalar<T> p);
/// s - a.
template <class T> Tensor<T> rsub(Scalar<T> s, const Tensor<T>& a);
/// s / a.
template <class T> Tensor<T> rdiv(Scalar<T> s, const Tensor<T>& a);

// ---- elementwise, unary ------------------------------------------------------------------------------
/// -x.
template <class T> Tensor<T> neg(const Tensor<T>& x);
/// e^x.
template <class T> Tensor<T> exp(const Tensor<T>& x);
/// The natural logarithm (NaN for x < 0, as NumPy).
template <class T> Tensor<T> log(const Tensor<T>& x);
/// The square root.
template <class T> Tensor<T> sqrt(const Tensor<T>& x);
/// |x| (gradient 0 at the kink).
template <class T> Tensor<T> abs(const Tensor<T>& x);
/// -1, 0 or 1; not differentiable (gradient 0).
template <class T> Tensor<T> sign(const Tensor<T>& x);
/// 1 / (1 + e^-x).
template <class T> Tensor<T> sigmoid(const Tensor<T>& x);
/// The hyperbolic tangent.
template <class T> Tensor<T> tanh(const Tensor<T>& x);
/// max(x, 0) (gradient 0 at 0, as PyTorch).
template <class T> Tensor<T> relu(const Tensor<T>& x);
/// x > 0 ? x : alpha*x.
template <class T> Tensor<T> leaky_relu(const Tensor<T>& x, Scalar<T> alpha = T(0.01));
/// x > 0 ? x : alpha*(e^x - 1).
template <class T> Tensor<T> elu(const Tensor<T>& x, Scalar<T> alpha = T(1));
/// log(1 + e^x), computed stably.
template <class T> Tensor<T> softplus(const Tensor<T>& x);
/// x limited to [low, high].
template <class T> Tensor<T> clamp(const Tensor<T>& x, Scalar<T> low, Scalar<T> high);

// ---- fused backward helpers: one pass instead of three ops, each itself differentiable (create_graph) ----
/// g*y*(1-y): sigmoid's backward given its output y.
template <class T> Tensor<T> sigmoid_backward(const Tensor<T>& g, const Tensor<T>& y);
/// g*(1-y^2): tanh's backward given its output y.
template <class T> Tensor<T> tanh_backward(const Tensor<T>& g, const Tensor<T>& y);
/// g*(x > 0 ? above : below): relu's and leaky_relu's backward; x is only a mask (no gradient).
template <class T> Tensor<T> mask_grad(const Tensor<T>& g, const Tensor<T>& x, Scalar<T> below, Scalar<T> above);

// ---- reductions (axis may be negative; keepdim keeps the reduced axis as size 1) --------------------
/// The sum of all elements (a 0-d tensor).
template <class T> Tensor<T> sum(const Tensor<T>& x);
/// The sum along `axis`.
template <class T> Tensor<T> sum(const Tensor<T>& x, int axis, bool keepdim = false);
/// The mean of all elements.
template <class T> Tensor<T> mean(const Tensor<T>& x);
/// The mean along `axis`.
template <class T> Tensor<T> mean(const Tensor<T>& x, int axis, bool keepdim = false);
/// The largest element (ties share the gradient).
template <class T> Tensor<T> max(const Tensor<T>& x);
/// The largest element along `axis` (ties share the gradient).
template <class T> Tensor<T> max(const Tensor<T>& x, int axis, bool keepdim = false);
/// The smallest element (ties share the gradient).
template <class T> Tensor<T> min(const Tensor<T>& x);
/// The smallest element along `axis` (ties share the gradient).
template <class T> Tensor<T> min(const Tensor<T>& x, int axis, bool keepdim = false);

// ---- linear algebra ------------------------------------------------------------------------------------
/// The matrix product, as NumPy's and PyTorch's matmul: [n,k]·[k,m] → [n,m]; [..., n,k]·[..., k,m] → [..., n,m]
/// with the batch dims (all but the last two) broadcast; a 1-d left operand is a row [1,k] and a 1-d right one a
/// column [k,1], whose extent the result drops ([n,k]·[k] → [n], [k]·[k] → []).
template <class T> Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b);
/// op(a)·op(b) with op = transpose where the flag is set, through one GEMM call (no transposed copy); 2-d only.
template <class T> Tensor<T> gemm(const Tensor<T>& a, const Tensor<T>& b, bool transpose_a, bool transpose_b);
/// The fully connected layer, PyTorch's convention: y = x·Wᵀ + b with x [batch, in], W [out, in], b [out].
template <class T> Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b);
/// y = x·Wᵀ (no bias).
template <class T> Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w);

// ---- recurrent (autograd/ops/recurrent.cpp) -------------------------------------------------------------
// PyTorch's layouts: W_ih [G·H, C] and W_hh [G·H, H] with the G gate blocks stacked in their rows (Elman G = 1; LSTM
// G = 4: i, f, g, o; GRU G = 3: r, z, n); biases [G·H], optional (an undefined tensor: none). Sequences are time-major
// and flat, [T·N, K] with step t in rows t·N … t·N + N − 1, as linear() produces and reads them. A *_sequence op runs
// the recurrence over all T steps as one node, fed the input projection xp = x·W_ihᵀ + b_ih of every step (one GEMM
// over [T·N, C] beforehand); its backward is backpropagation through time, with ΔW_hh one GEMM over all steps. The
// cells are one step: the projection of x, then the sequence op with T = 1.
/// The Elman network's nonlinearity f.
enum class RnnNonlinearity { tanh, relu };
/// The Elman recurrence h_t = f(xp_t + h_{t−1}·W_hhᵀ + b_hh), h_{−1} = h0: xp [T·N, H], h0 [N, H], w_hh [H, H],
/// b_hh [H] → every h_t, [T·N, H].
template <class T>
Tensor<T> rnn_sequence(const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& w_hh, const Tensor<T>& b_hh,
                       RnnNonlinearity f = RnnNonlinearity::tanh);
/// The LSTM recurrence (PyTorch's): a_t = xp_t + h_{t−1}·W_hhᵀ + b_hh split into i, f, g, o; c_t = σ(f)⊙c_{t−1} +
/// σ(i)⊙tanh(g), h_t = σ(o)⊙tanh(c_t): xp [T·N, 4H], h0, c0 [N, H], w_hh [4H, H], b_hh [4H] → [2·T·N, H], every h_t
/// (the first T·N rows) then every c_t.
template <class T>
Tensor<T> lstm_sequence(const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& c0, const Tensor<T>& w_hh,
                        const Tensor<T>& b_hh);
/// The GRU recurrence (PyTorch's): with hp = h_{t−1}·W_hhᵀ + b_hh, r = σ(xp_r + hp_r), z = σ(xp_z + hp_z),
/// n = tanh(xp_n + r⊙hp_n), h_t = (1 − z)⊙n + z⊙h_{t−1}: xp [T·N, 3H], h0 [N, H], w_hh [3H, H], b_hh [3H] →
/// every h_t, [T·N, H].
template <class T>
Tensor<T> gru_sequence(const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& w_hh, const Tensor<T>& b_hh);
/// One Elman step (PyTorch's RNNCell): f(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), x [N, C], h [N, H] → [N, H].
template <class T>
Tensor<T> rnn_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                   const Tensor<T>& b_ih, const Tensor<T>& b_hh, RnnNonlinearity f = RnnNonlinearity::tanh);
/// An LSTM's state after a step: h' and c', each [N, H].
template <class T>
struct LstmState {
    Tensor<T> h;  ///< the hidden state h'
    Tensor<T> c;  ///< the cell state c'
};
/// One LSTM step (PyTorch's LSTMCell): x [N, C], h and c [N, H] → h', c' (see lstm_sequence).
template <class T>
LstmState<T> lstm_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& c, const Tensor<T>& w_ih,
                       const Tensor<T>& w_hh, const Tensor<T>& b_ih, const Tensor<T>& b_hh);
/// One GRU step (PyTorch's GRUCell): x [N, C], h [N, H] → h' [N, H] (see gru_sequence).
template <class T>
Tensor<T> gru_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                   const Tensor<T>& b_ih, const Tensor<T>& b_hh);
/// One LSTM step backward in one pass (lstm_sequence's BPTT step): from the gradients gh, gc reaching h_t and c_t,
/// the activated gates [N, 4H] (i, f, g, o), c_{t−1} and c_t, returns [N, 5H] = [∂l/∂a_t (4H) | ∂l/∂c_{t−1} (H)].
template <class T>
Tensor<T> lstm_step_backward(const Tensor<T>& gh, const Tensor<T>& gc, const Tensor<T>& gates, const Tensor<T>& c_prev,
                             const Tensor<T>& c);
/// One GRU step backward in one pass (gru_sequence's BPTT step): from the gradient gh reaching h_t, the saved
/// [N, 4H] = r, z, n, hp_n and h_{t−1}, returns [N, 7H] = [∂l/∂xp_t (3H) | ∂l/∂hp_t (3H) | gh⊙z, the part of
/// ∂l/∂h_{t−1} that does not pass through W_hh (H)].
template <class T>
Tensor<T> gru_step_backward(const Tensor<T>& gh, const Tensor<T>& gates, const Tensor<T>& h_prev);

// ---- shape (a negative axis counts from the end) -------------------------------------------------------
/// The transpose of a 2-d tensor.
template <class T> Tensor<T> transpose(const Tensor<T>& x);
/// x with axes dim0 and dim1 swapped.
template <class T> Tensor<T> transpose(const Tensor<T>& x, int dim0, int dim1);
/// x with its axes in the order `dims`: y.shape[i] = x.shape[dims[i]] (ValueError unless dims is a permutation).
template <class T> Tensor<T> permute(const Tensor<T>& x, const std::vector<int>& dims);
/// The same elements in `shape` (row-major order).
template <class T> Tensor<T> reshape(const Tensor<T>& x, const Shape& shape);
/// x with a new axis of extent 1 at `axis` (in [-(x.dim()+1), x.dim()]); recorded as a reshape.
template <class T> Tensor<T> unsqueeze(const Tensor<T>& x, int axis);
/// x without its axes of extent 1; recorded as a reshape.
template <class T> Tensor<T> squeeze(const Tensor<T>& x);
/// x without `axis`, which must have extent 1 (ShapeError otherwise); recorded as a reshape.
template <class T> Tensor<T> squeeze(const Tensor<T>& x, int axis);
/// x repeated to `shape` (NumPy broadcasting).
template <class T> Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape);

// ---- joining and taking parts ----------------------------------------------------------------------------
/// The tensors joined along `axis`.
template <class T> Tensor<T> concat(const std::vector<Tensor<T>>& xs, int axis = 0);
/// The tensors (all of one shape) joined along a new axis `axis`: y[..., i, ...] = xs[i].
template <class T> Tensor<T> stack(const std::vector<Tensor<T>>& xs, int axis = 0);
/// The slice [start, start+length) of x along `axis`.
template <class T> Tensor<T> narrow(const Tensor<T>& x, int axis, std::size_t start, std::size_t length);
/// x[start:stop:step] along `axis`, as Python slices: negative bounds count from the end, bounds beyond the extent
/// are clamped (an empty range gives an empty tensor); step >= 1 (ValueError otherwise).
template <class T>
Tensor<T> slice(const Tensor<T>& x, int axis, std::ptrdiff_t start, std::ptrdiff_t stop, std::ptrdiff_t step = 1);
/// x cut along `axis` into consecutive parts of the given extents, which must add up to the axis's extent.
template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& x, const std::vector<std::size_t>& sizes, int axis = 0);
/// x cut along `axis` into parts of extent `size`, the last one shorter when size does not divide the extent.
template <class T> std::vector<Tensor<T>> split(const Tensor<T>& x, std::size_t size, int axis = 0);
/// x cut along `axis` into at most n parts of extent ceil(extent / n) (torch.chunk: there may be fewer than n).
template <class T> std::vector<Tensor<T>> chunk(const Tensor<T>& x, std::size_t n, int axis = 0);

// ---- indexing (an index out of range is a ValueError naming the index and the extent) ------------------
/// Integer indices with a shape, for gather and scatter_add: Indices{{0, 2}, {1, 1}} is a [2,2] index. A nested list
/// cannot spell a column ({{0}, {2}} also reads as a 1-d list): make one from values and a shape,
/// Indices(xt::adapt(values, Shape{n, 1})).
using Indices = xt::xarray<std::size_t>;
/// The slices of x at `indices` along `axis`, in that order: y[..., i, ...] = x[..., indices[i], ...].
template <class T>
Tensor<T> index_select(const Tensor<T>& x, int axis, const std::vector<std::size_t>& indices);
/// Rows of x (along axis 0) at `indices`: y[i] = x[indices[i]] (an embedding lookup).
template <class T> Tensor<T> index_select(const Tensor<T>& x, const std::vector<std::size_t>& indices);
/// zeros(shape) with the slices of `src` along `axis` added at `indices` (index_select's adjoint).
template <class T>
Tensor<T> index_add(const Shape& shape, int axis, const std::vector<std::size_t>& indices, const Tensor<T>& src);
/// zeros(shape) with the rows of `src` added at `indices` (index_add along axis 0).
template <class T> Tensor<T> index_add(const Shape& shape, const std::vector<std::size_t>& indices, const Tensor<T>& src);
/// torch.gather: y has index's shape and y[p] = x[p with its `axis` coordinate replaced by index[p]]; index has x's
/// rank and, off the axis, extents no larger than x's.
template <class T> Tensor<T> gather(const Tensor<T>& x, int axis, const Indices& index);
/// zeros(shape) with src[p] added at (p with its `axis` coordinate replaced by index[p]); src has index's shape
/// (gather's adjoint).
template <class T> Tensor<T> scatter_add(const Shape& shape, int axis, const Indices& index, const Tensor<T>& src);
/// y[i] = x[i, index[i]] for a 2-d x: one entry per row (the targets of a classifier).
template <class T> Tensor<T> gather_rows(const Tensor<T>& x, const std::vector<std::size_t>& index);
/// zeros(shape) with src[i] at (i, index[i]) (gather_rows's adjoint).
template <class T> Tensor<T> scatter_rows(const Shape& shape, const std::vector<std::size_t>& index, const Tensor<T>& src);
/// cond != 0 ? a : b elementwise, the three broadcast together; cond is a mask and gets no gradient.
template <class T> Tensor<T> where(const Tensor<T>& cond, const Tensor<T>& a, const Tensor<T>& b);

// ---- softmax family (numerically stable: the max is subtracted) ---------------------------------------
/// e^x / Σ e^x along `axis`.
template <class T> Tensor<T> softmax(const Tensor<T>& x, int axis = -1);
/// x - log Σ e^x along `axis`.
template <class T> Tensor<T> log_softmax(const Tensor<T>& x, int axis = -1);
/// The mean over the batch of -log softmax(logits)[i, target[i]], logits [batch, classes]; fused, so its
/// backward is one pass: (softmax(logits) - onehot(target)) * g / batch.
template <class T> Tensor<T> softmax_cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& target);

// ---- convolutional networks: convolution, pooling, normalisation (autograd/ops/conv.cpp, pooling.cpp, norm.cpp) ----
// Images are NCHW: [batch, channels, height, width]. Each backward is made of these ops, so gradients of gradients work.
/// Two extents, for the height and the width axis; one number means both (Size2(2) is 2×2).
struct Size2 {
    std::size_t h = 0;  ///< along the height axis
    std::size_t w = 0;  ///< along the width axis
    /// Both extents `both`.
    Size2(std::size_t both = 0) : h(both), w(both) {}
    /// Height `height`, width `width`.
    Size2(std::size_t height, std::size_t width) : h(height), w(width) {}
};
/// conv2d's geometry, with PyTorch's meaning and defaults, in the order Conv2dOptions{stride, padding, dilation,
/// groups}: Conv2dOptions{2, 1} is stride 2 and padding 1 on both axes, Conv2dOptions{1, {0, 2}} pads 2 columns only.
struct Conv2dOptions {
    Size2 stride{1};         ///< step between windows (>= 1)
    Size2 padding{0};        ///< zeros added before and after each spatial axis
    Size2 dilation{1};       ///< spacing of the kernel taps (>= 1)
    std::size_t groups = 1;  ///< channels split into independent groups (divides C_in and C_out)
};
/// 2-d convolution (a cross-correlation, as PyTorch's): x [N, C_in, H, W], w [C_out, C_in/groups, kH, kW], optional bias
/// b [C_out] (an undefined tensor: none) → [N, C_out, H_out, W_out], H_out = (H + 2·padding − dilation·(kH − 1) − 1) /
/// stride + 1 (likewise W_out). Computed as im2col + GEMM.
template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b, const Conv2dOptions& options = {});
/// conv2d without bias.
template <class T> Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Conv2dOptions& options = {});
/// conv2d's gradient for its input of shape `input_shape` given g = ∂l/∂y [N, C_out, H_out, W_out]: col2im(Wᵀ·g), the
/// transposed convolution of g with w (PyTorch's torch.nn.grad.conv2d_input).
template <class T>
Tensor<T> conv2d_input_grad(const Tensor<T>& g, const Tensor<T>& w, const Shape& input_shape,
                            const Conv2dOptions& options = {});
/// conv2d's gradient for its weight of shape `weight_shape` given the input x and g = ∂l/∂y: g·im2col(x)ᵀ summed over
/// the batch (torch.nn.grad.conv2d_weight).
template <class T>
Tensor<T> conv2d_weight_grad(const Tensor<T>& x, const Tensor<T>& g, const Shape& weight_shape,
                             const Conv2dOptions& options = {});
/// Max pooling of x [N, C, H, W] over kernel windows moved by `stride` (0, the default: the kernel size), with
/// `padding` on each side read as −∞ (at most half the kernel, as PyTorch). The gradient goes to the arg-max of each
/// window; of tied maxima to the first in row-major order (PyTorch's choice); a NaN counts as the maximum.
template <class T> Tensor<T> max_pool2d(const Tensor<T>& x, Size2 kernel, Size2 stride = {}, Size2 padding = {});
/// Average pooling of x [N, C, H, W], padding read as zeros that count in the average (PyTorch's default
/// count_include_pad = true): every window's sum is divided by kH·kW.
template <class T> Tensor<T> avg_pool2d(const Tensor<T>& x, Size2 kernel, Size2 stride = {}, Size2 padding = {});
/// avg_pool2d's gradient for an input of shape `input_shape`: each g[p] spread as g[p]/(kH·kW) over its window (its
/// own backward is avg_pool2d).
template <class T>
Tensor<T> avg_pool2d_backward(const Tensor<T>& g, const Shape& input_shape, Size2 kernel, Size2 stride = {},
                              Size2 padding = {});
/// Batch normalisation of x [N, C] or [N, C, H, W] (any [N, C, ...]) per channel c: y = (x − μ_c)/√(σ²_c + eps)·gamma_c +
/// beta_c, gamma and beta [C] optional (undefined: 1 and 0). Training: μ, σ² are the batch's (σ² biased, over N·H·W
/// values), and running_mean/running_var [C], when defined, are updated in place outside the graph as PyTorch's:
/// r = (1 − momentum)·r + momentum·stat, with the unbiased variance. Evaluation: μ, σ² are running_mean, running_var.
/// (Tensors are handles: the running statistics are written into the caller's tensors.)
template <class T>
Tensor<T> batch_norm(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta, Tensor<T> running_mean,
                     Tensor<T> running_var, bool training, double momentum = 0.1, double eps = 1e-5);
/// Layer normalisation over the trailing dims `normalized_shape` of x: each slice is standardised by its own mean and
/// biased variance, y = (x − μ)/√(σ² + eps)·gamma + beta, gamma and beta of shape normalized_shape, optional.
template <class T>
Tensor<T> layer_norm(const Tensor<T>& x, const Shape& normalized_shape, const Tensor<T>& gamma = {},
                     const Tensor<T>& beta = {}, double eps = 1e-5);
/// x with the dims start_dim..end_dim (inclusive; negative counts from the end) merged into one; recorded as a reshape.
template <class T> Tensor<T> flatten(const Tensor<T>& x, int start_dim = 1, int end_dim = -1);

// ---- operators: tensors and scalars on either side ------------------------------------------------------
template <class T> Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) { return add(a, b); }
template <class T> Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) { return sub(a, b); }
template <class T> Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) { return mul(a, b); }
template <class T> Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) { return div(a, b); }
template <class T> Tensor<T> operator-(const Tensor<T>& a) { return neg(a); }
template <class T> Tensor<T> operator+(const Tensor<T>& a, Scalar<T> s) { return add(a, s); }
template <class T> Tensor<T> operator+(Scalar<T> s, const Tensor<T>& a) { return add(a, s); }
template <class T> Tensor<T> operator-(const Tensor<T>& a, Scalar<T> s) { return add(a, -s); }
template <class T> Tensor<T> operator-(Scalar<T> s, const Tensor<T>& a) { return rsub(s, a); }
template <class T> Tensor<T> operator*(const Tensor<T>& a, Scalar<T> s) { return mul(a, s); }
template <class T> Tensor<T> operator*(Scalar<T> s, const Tensor<T>& a) { return mul(a, s); }
template <class T> Tensor<T> operator/(const Tensor<T>& a, Scalar<T> s) { return mul(a, T(1) / s); }
template <class T> Tensor<T> operator/(Scalar<T> s, const Tensor<T>& a) { return rdiv(s, a); }

}  // namespace dg
