// Losses on the library's differentiable ops (their gradients come from autograd), with shape and value
// checks that name the loss. The stable forms are chosen here: log-softmax, softplus, clamped logs.
#include "nn/loss.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"

namespace dg::nn {

namespace {

template <class T>
void check_same_shape(const char* who, const Tensor<T>& input, const Tensor<T>& target) {
    if (input.shape() != target.shape())
        throw ShapeError(std::string(who) + ": input has shape " + shape_str(input.shape()) + " but target has " +
                         shape_str(target.shape()) + "; expected equal shapes");
    if (input.numel() == 0) throw ValueError(std::string(who) + ": empty input " + shape_str(input.shape()));
}

template <class T>
Tensor<T> reduce(const Tensor<T>& per, Reduction reduction) {
    switch (reduction) {
        case Reduction::none: return per;
        case Reduction::mean: return mean(per);
        case Reduction::sum: return sum(per);
    }
    throw ValueError("unknown reduction");
}

// Checks logits [m, classes] against m class indices, each < classes.
template <class T>
void check_classes(const char* who, const Tensor<T>& scores, const std::vector<std::size_t>& target) {
    const auto& s = scores.value().shape();  // the array's own: no Shape vector unless there is an error to report
    if (s.size() != 2)
        throw ShapeError(std::string(who) + ": input has shape " + shape_str(scores.shape()) + ", expected [batch, classes]");
    if (target.size() != s[0])
        throw ShapeError(std::string(who) + ": input " + shape_str(scores.shape()) + " has " + std::to_string(s[0]) + " rows but " +
                         std::to_string(target.size()) + " class targets were given; expected one per row");
    if (s[0] == 0 || s[1] == 0) throw ValueError(std::string(who) + ": empty input " + shape_str(scores.shape()));
    for (std::size_t i = 0; i < target.size(); ++i)
        if (target[i] >= s[1])
            throw ValueError(std::string(who) + ": class index " + std::to_string(target[i]) + " at row " +
                             std::to_string(i) + " is out of range for " + std::to_string(s[1]) + " classes " +
                             "(input " + shape_str(scores.shape()) + ")");
}

// Class indices stored as T in a [m] tensor: each must be a non-negative integer (range is checked later).
template <class T>
std::vector<std::size_t> to_indices(const char* who, const Tensor<T>& target) {
    if (target.dim() != 1)
        throw ShapeError(std::string(who) + ": class-index target has shape " + shape_str(target.shape()) +
                         ", expected [batch]");
    std::vector<std::size_t> out(target.numel());
    for (std::size_t i = 0; i < out.size(); ++i) {
        const T v = target.value().data()[i];
        if (!(v >= T(0)) || std::floor(v) != v || v > T(1e15)) {
            std::ostringstream msg;
            msg << who << ": class index " << v << " at row " << i << " is not a non-negative integer";
            throw ValueError(msg.str());
        }
        out[i] = static_cast<std::size_t>(v);
    }
    return out;
}

template <class T>
void check_unit_interval(const char* who, const char* what, const Tensor<T>& t) {
    const Array<T>& v = t.value();
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!(v.data()[i] >= T(0) && v.data()[i] <= T(1))) {
            std::ostringstream msg;
            msg << who << ": " << what << " " << v.data()[i] << " at index " << i << " is outside [0, 1] (shape "
                << shape_str(t.shape()) << ")";
            throw ValueError(msg.str());
        }
}

}  // namespace

template <class T>
Tensor<T> mse_half(const Tensor<T>& input, const Tensor<T>& target) {
    check_same_shape("mse_half", input, target);
    const std::size_t m = input.dim() == 0 ? 1 : input.shape()[0];
    const Tensor<T> d = sub(input, target);
    // (1/m) Σ ½‖ŷ − y‖²: gradient (ŷ − y)/m
    return mul(sum(mul(d, d)), T(0.5) / static_cast<T>(m));
}

template <class T>
Tensor<T> mse(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction) {
    check_same_shape("mse", input, target);
    const Tensor<T> d = sub(input, target);
    return reduce(mul(d, d), reduction);
}

template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& target, Reduction reduction) {
    check_classes("cross_entropy", logits, target);
    switch (reduction) {
        case Reduction::mean: return softmax_cross_entropy(logits, target);
        case Reduction::sum: return mul(softmax_cross_entropy(logits, target), static_cast<T>(target.size()));
        case Reduction::none: return neg(gather_rows(log_softmax(logits, 1), target));
    }
    throw ValueError("cross_entropy: unknown reduction");
}

template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<T>& target, Reduction reduction) {
    if (target.dim() == 1) return cross_entropy(logits, to_indices("cross_entropy", target), reduction);
    if (logits.dim() != 2 || target.shape() != logits.shape())
        throw ShapeError("cross_entropy: logits have shape " + shape_str(logits.shape()) + " but target has " +
                         shape_str(target.shape()) + "; expected logits [batch, classes] with class indices [batch] or probabilities of the logits' shape");
    if (logits.numel() == 0) throw ValueError("cross_entropy: empty input " + shape_str(logits.shape()));
    // Probability targets: −Σ_c y_c log softmax(x)_c per row, log_softmax being stable for any finite x.
    const Tensor<T> per_row = neg(sum(mul(target, log_softmax(logits, 1)), 1));
    return reduce(per_row, reduction);
}

template <class T>
Tensor<T> nll(const Tensor<T>& log_probs, const std::vector<std::size_t>& target, Reduction reduction) {
    check_classes("nll", log_probs, target);
    return reduce(neg(gather_rows(log_probs, target)), reduction);
}

template <class T>
Tensor<T> nll(const Tensor<T>& log_probs, const Tensor<T>& target, Reduction reduction) {
    return nll(log_probs, to_indices("nll", target), reduction);
}

template <class T>
Tensor<T> bce(const Tensor<T>& probs, const Tensor<T>& target, Reduction reduction) {
    check_same_shape("bce", probs, target);
    check_unit_interval("bce", "probability", probs);
    check_unit_interval("bce", "target", target);
    // The floor keeps log finite at p = 0 and 1/floor finite in T (see the header).
    const T floor = std::max(static_cast<T>(std::exp(-100.0)), std::numeric_limits<T>::min());
    const Tensor<T> log_p = log(clamp(probs, floor, T(1)));
    const Tensor<T> log_q = log(clamp(rsub(T(1), probs), floor, T(1)));
    // −[y log p + (1−y) log(1−p)]
    const Tensor<T> per = neg(add(mul(target, log_p), mul(rsub(T(1), target), log_q)));
    return reduce(per, reduction);
}

template <class T>
Tensor<T> bce_with_logits(const Tensor<T>& logits, const Tensor<T>& target, Reduction reduction) {
    check_same_shape("bce_with_logits", logits, target);
    // softplus(x) = max(x,0) + log1p(e^−|x|): stable; gradient σ(x) − y.
    return reduce(sub(softplus(logits), mul(logits, target)), reduction);
}

template <class T>
Tensor<T> huber(const Tensor<T>& input, const Tensor<T>& target, double delta, Reduction reduction) {
    if (!(delta > 0) || !std::isfinite(delta)) {
        std::ostringstream msg;
        msg << "huber: delta must be positive and finite, got " << delta;
        throw ValueError(msg.str());
    }
    check_same_shape("huber", input, target);
    const T dt = static_cast<T>(delta);
    // With a = |d| and q = min(a, δ): ½q² + δ(a − q) is ½d² inside and δ(|d| − ½δ) outside, and its gradient
    // (d inside, δ·sign(d) outside) comes out of clamp and abs without a branch.
    const Tensor<T> a = abs(sub(input, target));
    const Tensor<T> q = clamp(a, T(0), dt);
    const Tensor<T> per = add(mul(mul(q, q), T(0.5)), mul(sub(a, q), dt));
    return reduce(per, reduction);
}

template <class T>
Tensor<T> l2_penalty(const std::vector<Tensor<T>>& weights, double lambda, std::size_t m) {
    if (!(lambda >= 0) || !std::isfinite(lambda)) {
        std::ostringstream msg;
        msg << "l2_penalty: lambda must be finite and >= 0, got " << lambda;
        throw ValueError(msg.str());
    }
    if (m == 0) throw ValueError("l2_penalty: the batch size m must be positive");
    Tensor<T> total = Tensor<T>::scalar(T(0));
    for (const Tensor<T>& w : weights) total = add(total, sum(mul(w, w)));
    // λ/(2m) Σ‖W‖²: gradient (λ/m)·W
    return mul(total, static_cast<T>(lambda / (2.0 * static_cast<double>(m))));
}

template <class T>
Tensor<T> l2_penalty(const Module<T>& module, double lambda, std::size_t m) {
    std::vector<Tensor<T>> weights;
    for (const auto& [name, p] : module.named_parameters()) {
        const std::size_t dot = name.rfind('.');
        if (name.substr(dot == std::string::npos ? 0 : dot + 1) == "weight") weights.push_back(p);
    }
    return l2_penalty(weights, lambda, m);
}

#define DG_INSTANTIATE(T)                                                                               \
    template Tensor<T> mse_half(const Tensor<T>&, const Tensor<T>&);                                    \
    template Tensor<T> mse(const Tensor<T>&, const Tensor<T>&, Reduction);                              \
    template Tensor<T> cross_entropy(const Tensor<T>&, const std::vector<std::size_t>&, Reduction);     \
    template Tensor<T> cross_entropy(const Tensor<T>&, const Tensor<T>&, Reduction);                    \
    template Tensor<T> nll(const Tensor<T>&, const std::vector<std::size_t>&, Reduction);               \
    template Tensor<T> nll(const Tensor<T>&, const Tensor<T>&, Reduction);                              \
    template Tensor<T> bce(const Tensor<T>&, const Tensor<T>&, Reduction);                              \
    template Tensor<T> bce_with_logits(const Tensor<T>&, const Tensor<T>&, Reduction);                  \
    template Tensor<T> huber(const Tensor<T>&, const Tensor<T>&, double, Reduction);                    \
    template Tensor<T> l2_penalty(const std::vector<Tensor<T>>&, double, std::size_t);                  \
    template Tensor<T> l2_penalty(const Module<T>&, double, std::size_t);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::nn
