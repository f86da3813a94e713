// Every public op of deltagrad, one line each, with its derivative as a comment (PyTorch's
// derivatives.yaml in miniature). `g` is the gradient of the output, `y` the output. Binary elementwise
// ops broadcast (NumPy rules); the engine reduces broadcast gradients with sum_to, so the formulas below
// are written for the broadcast shape. Each op lives in autograd/ops/*.cpp with its backward right below it.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "autograd/broadcast.hpp"
#include "autograd/engine.hpp"
#include "autograd/parallel.hpp"
#include "autograd/tensor.hpp"

namespace dg {

/// A scalar argument that converts to T instead of taking part in template deduction (x * 2.0 on floats).
template <class T>
using Scalar = typename std::common_type<T>::type;

// ---- elementwise, binary (broadcasting) ---------------------------------------------------------
template <class T> Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b);  // ga = g; gb = g
template <class T> Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b);  // ga = g; gb = -g
template <class T> Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b);  // ga = g*b; gb = g*a
template <class T> Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b);  // ga = g/b; gb = -g*a/b^2
template <class T> Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b);  // ga = g*b*a^(b-1); gb = g*y*log(a)
template <class T> Tensor<T> maximum(const Tensor<T>& a, const Tensor<T>& b);  // ga = g*[a>=b]; gb = g*[a<b]
template <class T> Tensor<T> minimum(const Tensor<T>& a, const Tensor<T>& b);  // ga = g*[a<=b]; gb = g*[a>b]

// ---- elementwise with a scalar ---------------------------------------------------------------------
template <class T> Tensor<T> add(const Tensor<T>& a, Scalar<T> s);   // ga = g
template <class T> Tensor<T> mul(const Tensor<T>& a, Scalar<T> s);   // ga = g*s
template <class T> Tensor<T> pow(const Tensor<T>& a, Scalar<T> p);   // ga = g*p*a^(p-1)
template <class T> Tensor<T> rsub(Scalar<T> s, const Tensor<T>& a);  // y = s - a; ga = -g
template <class T> Tensor<T> rdiv(Scalar<T> s, const Tensor<T>& a);  // y = s / a; ga = -g*y/a

// ---- elementwise, unary ------------------------------------------------------------------------------
template <class T> Tensor<T> neg(const Tensor<T>& x);       // gx = -g
template <class T> Tensor<T> exp(const Tensor<T>& x);       // gx = g*y
template <class T> Tensor<T> log(const Tensor<T>& x);       // gx = g/x            (NaN for x < 0, as NumPy)
template <class T> Tensor<T> sqrt(const Tensor<T>& x);      // gx = g/(2y)
template <class T> Tensor<T> abs(const Tensor<T>& x);       // gx = g*sign(x)      (0 at the kink)
template <class T> Tensor<T> sign(const Tensor<T>& x);      // not differentiable: gx = 0
template <class T> Tensor<T> sigmoid(const Tensor<T>& x);   // gx = g*y*(1-y)      (sigmoid_backward)
template <class T> Tensor<T> tanh(const Tensor<T>& x);      // gx = g*(1-y^2)      (tanh_backward)
template <class T> Tensor<T> relu(const Tensor<T>& x);      // gx = g*[x>0]
template <class T> Tensor<T> leaky_relu(const Tensor<T>& x, Scalar<T> alpha = T(0.01));  // gx = g*(x>0 ? 1 : alpha)
template <class T> Tensor<T> elu(const Tensor<T>& x, Scalar<T> alpha = T(1));  // gx = g*(x>0 ? 1 : y+alpha)
template <class T> Tensor<T> softplus(const Tensor<T>& x);  // y = log(1+e^x), stable; gx = g*sigmoid(x)
template <class T> Tensor<T> clamp(const Tensor<T>& x, Scalar<T> low, Scalar<T> high);  // gx = g*[low<=x<=high]

// Fused backward helpers: one pass instead of three ops; each is itself differentiable (create_graph).
template <class T> Tensor<T> sigmoid_backward(const Tensor<T>& g, const Tensor<T>& y);  // g*y*(1-y)
template <class T> Tensor<T> tanh_backward(const Tensor<T>& g, const Tensor<T>& y);     // g*(1-y^2)
/// g * mask where mask = [x > 0] (relu) or a constant 0/1 array of x's shape; not differentiable in mask.
template <class T> Tensor<T> mask_grad(const Tensor<T>& g, const Tensor<T>& x, Scalar<T> below, Scalar<T> above);  // g*(x>0 ? above : below)

// ---- reductions (axis may be negative; keepdim keeps the reduced axis as size 1) --------------------
template <class T> Tensor<T> sum(const Tensor<T>& x);                                     // gx = broadcast(g)
template <class T> Tensor<T> sum(const Tensor<T>& x, int axis, bool keepdim = false);     // gx = broadcast(g)
template <class T> Tensor<T> mean(const Tensor<T>& x);                                    // gx = broadcast(g)/n
template <class T> Tensor<T> mean(const Tensor<T>& x, int axis, bool keepdim = false);    // gx = broadcast(g)/n
template <class T> Tensor<T> max(const Tensor<T>& x);                                     // gx = g*[x==y]/count
template <class T> Tensor<T> max(const Tensor<T>& x, int axis, bool keepdim = false);     // gx = g*[x==y]/count
template <class T> Tensor<T> min(const Tensor<T>& x);                                     // gx = g*[x==y]/count
template <class T> Tensor<T> min(const Tensor<T>& x, int axis, bool keepdim = false);     // gx = g*[x==y]/count

// ---- linear algebra ------------------------------------------------------------------------------------
/// [n,k]·[k,m] → [n,m]; [n,k]·[k] → [n].  ga = g·bᵀ; gb = aᵀ·g
template <class T> Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b);
/// op(a)·op(b) with op = transpose when the flag is set, through one GEMM call (no transposed copy).
/// C = A'B':  gA' = g·B'ᵀ, gB' = A'ᵀ·g, each again one gemm with flags.
template <class T> Tensor<T> gemm(const Tensor<T>& a, const Tensor<T>& b, bool transpose_a, bool transpose_b);
/// The fully connected layer, PyTorch's convention: y = x·Wᵀ + b with W [out, in], x [batch, in], b [out].
/// gx = g·W; gW = gᵀ·x; gb = Σ_batch g
template <class T> Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b);
template <class T> Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w);  // no bias

// ---- shape -------------------------------------------------------------------------------------------
template <class T> Tensor<T> transpose(const Tensor<T>& x);                     // 2-D; gx = transpose(g)
template <class T> Tensor<T> transpose(const Tensor<T>& x, int dim0, int dim1); // gx = transpose(g, dim0, dim1)
template <class T> Tensor<T> reshape(const Tensor<T>& x, const Shape& shape);   // gx = reshape(g, x.shape)
template <class T> Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape);  // gx = sum_to(g, x.shape)
template <class T> Tensor<T> concat(const std::vector<Tensor<T>>& xs, int axis = 0);  // gx_i = narrow(g, axis, offset_i, len_i)
/// The slice [start, start+length) of x along axis. gx = concat(zeros, g, zeros) along axis
template <class T> Tensor<T> narrow(const Tensor<T>& x, int axis, std::size_t start, std::size_t length);
/// Rows of x (along axis 0) at `indices`: y[i] = x[indices[i]]. gx = index_add of g into zeros(x.shape).
template <class T> Tensor<T> index_select(const Tensor<T>& x, const std::vector<std::size_t>& indices);
/// y[i] = x[i, index[i]] for a 2-D x: picks one entry per row (targets of a classifier).
/// gx = scatter of g into zeros at (i, index[i])
template <class T> Tensor<T> gather_rows(const Tensor<T>& x, const std::vector<std::size_t>& index);
/// Adds the rows of `src` into zeros(shape) at `indices` (the backward of index_select). gsrc = index_select(g)
template <class T> Tensor<T> index_add(const Shape& shape, const std::vector<std::size_t>& indices, const Tensor<T>& src);
/// Puts src[i] at (i, index[i]) of zeros(shape) (the backward of gather_rows). gsrc = gather_rows(g, index)
template <class T> Tensor<T> scatter_rows(const Shape& shape, const std::vector<std::size_t>& index, const Tensor<T>& src);

// ---- softmax family (numerically stable: the max is subtracted) ---------------------------------------
template <class T> Tensor<T> softmax(const Tensor<T>& x, int axis = -1);      // gx = y*(g - Σ(g*y))
template <class T> Tensor<T> log_softmax(const Tensor<T>& x, int axis = -1);  // gx = g - exp(y)*Σg
/// Mean over the batch of -log softmax(logits)[i, target[i]]; logits [batch, classes].
/// Fused: glogits = (softmax(logits) - onehot(target)) * g / batch
template <class T> Tensor<T> softmax_cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& target);

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
