// The softmax family, numerically stable (the max along the axis is subtracted first): softmax,
// log_softmax, and the fused softmax cross-entropy on class-index targets.
#include <array>
#include <cmath>

#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::constant;
using detail::Grads;
using detail::Inputs;
using detail::normalize_axis;

namespace {

/// Softmax along the rows of a [rows, cols] array into `probs` (of x's shape) and each row's log Σ exp into
/// lse[0..rows), from one exp per element. The rows of [batch, classes], the common case: the row max is
/// subtracted in a loop, then exp runs once over the whole array as one xtensor expression (vectorised by xsimd;
/// rows of 10 are too short for it alone).
template <class T>
void row_softmax(const Array<T>& x, Array<T>& probs, T* lse) {
    const std::size_t rows = x.shape()[0], cols = x.shape()[1];
    for (std::size_t i = 0; i < rows; ++i) {
        const T* xi = x.data() + i * cols;
        T m = xi[0];
        for (std::size_t j = 1; j < cols; ++j) m = xi[j] > m ? xi[j] : m;
        // An all -inf row would give (-inf) - (-inf) = NaN; shift by 0 there instead.
        if (!std::isfinite(m)) m = T(0);
        lse[i] = m;
        for (std::size_t j = 0; j < cols; ++j) probs.data()[i * cols + j] = xi[j] - m;
    }
    xt::noalias(probs) = xt::exp(probs);
    for (std::size_t i = 0; i < rows; ++i) {
        T* pi = probs.data() + i * cols;
        T s = 0;
        for (std::size_t j = 0; j < cols; ++j) s += pi[j];
        lse[i] += std::log(s);
        const T inv = T(1) / s;
        for (std::size_t j = 0; j < cols; ++j) pi[j] *= inv;
    }
}

/// Whether row_softmax applies: the rows of a 2-D array with at least one column.
template <class T>
bool rows_of_2d(const Array<T>& x, std::size_t axis) {
    return x.dimension() == 2 && axis == 1 && x.shape()[1] > 0;
}

/// log Σ exp(x) along axis, keepdim form, computed as m + log Σ exp(x - m).
template <class T>
Array<T> logsumexp(const Array<T>& x, std::size_t axis) {
    if (rows_of_2d(x, axis)) {
        Array<T> probs = Array<T>::from_shape(x.shape()), lse = Array<T>::from_shape({x.shape()[0], std::size_t(1)});
        row_softmax(x, probs, lse.data());
        return lse;
    }
    Array<T> m = xt::amax(x, {axis}, xt::keep_dims | immediate);
    // An all -inf slice would give (-inf) - (-inf) = NaN; shift by 0 there instead.
    m = xt::where(xt::isfinite(m), m, T(0));
    Array<T> s = xt::sum(xt::exp(x - m), {axis}, xt::keep_dims | immediate);
    return m + xt::log(s);
}

/// exp(x - logsumexp(x)) along axis.
template <class T>
Array<T> softmax_array(const Array<T>& x, std::size_t axis) {
    if (rows_of_2d(x, axis)) {
        Array<T> probs = Array<T>::from_shape(x.shape());
        pool::Vector<T> lse(x.shape()[0]);  // scratch: each row's log Σ exp
        row_softmax(x, probs, lse.data());
        return probs;
    }
    return Array<T>(xt::exp(x - logsumexp(x, axis)));
}

}  // namespace

template <class T>
Tensor<T> softmax(const Tensor<T>& x, int axis_arg) {
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), "softmax");
    return record<T>(softmax_array(x.value(), axis), {x},
                     {"softmax", "grad_in = y * (grad_out - sum(grad_out * y, axis))"},
                     [axis_arg](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{mul(y, sub(g, sum(mul(g, y), axis_arg, true)))};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> log_softmax(const Tensor<T>& x, int axis_arg) {
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), "log_softmax");
    return record<T>(x.value() - logsumexp(x.value(), axis), {x},
                     {"log_softmax", "grad_in = grad_out - exp(y) * sum(grad_out, axis)"},
                     [axis_arg](const Inputs<T>&, const Tensor<T>& y, const Tensor<T>& g) {
                         return Grads<T>{sub(g, mul(exp(y), sum(g, axis_arg, true)))};
                     },
                     Saves::only_output());
}

template <class T>
Tensor<T> softmax_cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& target) {
    const auto& s = logits.value().shape();
    if (s.size() != 2)
        throw ShapeError("softmax_cross_entropy: logits must be [batch, classes], got " + shape_str(logits.shape()));
    if (target.size() != s[0])
        throw ShapeError("softmax_cross_entropy: " + std::to_string(target.size()) + " targets for a batch of " +
                         std::to_string(s[0]));
    if (s[0] == 0) throw ValueError("softmax_cross_entropy: empty batch");
    for (std::size_t i = 0; i < target.size(); ++i)
        if (target[i] >= s[1])
            throw ValueError("softmax_cross_entropy: target " + std::to_string(target[i]) + " at row " +
                             std::to_string(i) + " out of range for " + std::to_string(s[1]) + " classes");
    // The probabilities in a node of their own: the backward closure holds a handle, not a copy of the array.
    auto probs = make_node<T>(s);
    pool::Vector<T> lse(s[0]);
    row_softmax(logits.value(), probs->value, lse.data());
    T total = 0;
    for (std::size_t i = 0; i < s[0]; ++i) total += lse[i] - logits.value()(i, target[i]);
    auto loss = make_node<T>(std::array<std::size_t, 0>{});  // filled in its node: moving an array costs more
    loss->value() = total / static_cast<T>(s[0]);
    pool::Vector<std::size_t> kept(target.begin(), target.end());  // a copy into a std::vector would call malloc
    return record<T>(std::move(loss), {logits},
                     {"softmax_cross_entropy", "grad_logits = (softmax(logits) - onehot(target)) * grad_out / batch"},
                     [target = std::move(kept), probs_node = Tensor<T>(std::move(probs))](
                         const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Array<T>& probs = probs_node.value();
                         const std::size_t batch = probs.shape()[0];
                         if (grad_enabled()) {
                             // create_graph: the gradient must itself be differentiable in the logits.
                             Array<T> onehot = Array<T>::from_shape(probs.shape());
                             onehot.fill(T(0));
                             for (std::size_t i = 0; i < batch; ++i) onehot(i, target[i]) = T(1);
                             const Tensor<T> scale = mul(g, T(1) / static_cast<T>(batch));
                             return Grads<T>{mul(sub(softmax(in[0], 1), constant<T>(std::move(onehot))), scale)};
                         }
                         // Otherwise one pass over the probabilities the forward pass saved.
                         const T k = g.item() / static_cast<T>(batch);
                         auto gx = detail::scale(probs, k);
                         for (std::size_t i = 0; i < batch; ++i) gx->value(i, target[i]) -= k;
                         return Grads<T>{Tensor<T>(std::move(gx))};
                     });
}

#define DG_INSTANTIATE(T)                                                                         \
    template Tensor<T> softmax(const Tensor<T>&, int);                                            \
    template Tensor<T> log_softmax(const Tensor<T>&, int);                                        \
    template Tensor<T> softmax_cross_entropy(const Tensor<T>&, const std::vector<std::size_t>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
