// Losses: MSE (the notes' ½‖ŷ−y‖² per sample and the plain mean), cross-entropy from logits (fused), NLL,
// BCE, BCE with logits, Huber, and the L2 weight penalty λ/(2m) Σ‖W‖². Samples are rows (axis 0).
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// How per-element (or per-sample) losses are combined: kept as they are, averaged, or summed.
enum class Reduction { none, mean, sum };

// Every loss checks its shapes (no broadcasting between input and target: a [m, 1] vs [m] mix-up is an
// error, not a silent [m, m]) and names itself and the shapes in its dg::ShapeError / dg::ValueError.

/// The notes' convention: (1/m) Σ_samples ½‖ŷ − y‖², m = the number of rows (ŷ.shape[0]; 1 for a scalar).
/// Its gradient is (ŷ − y)/m, the δ of the notes' derivation.
template <class T> Tensor<T> mse_half(const Tensor<T>& input, const Tensor<T>& target);

/// (ŷ − y)² per element; mean (the default) averages over all elements, as PyTorch's MSELoss.
template <class T> Tensor<T> mse(const Tensor<T>& input, const Tensor<T>& target, Reduction reduction = Reduction::mean);

/// −log softmax(logits)[i, target[i]] per row of logits [m, classes]; mean over rows by default.
/// Stable for any finite logits (log-sum-exp with the max subtracted). mean uses the fused
/// dg::softmax_cross_entropy. A class index ≥ classes is a ValueError naming the loss.
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const std::vector<std::size_t>& target,
                        Reduction reduction = Reduction::mean);
/// Two kinds of tensor target: [m, classes] (the logits' shape) holds probabilities, giving
/// −Σ_c y_c log softmax(logits)_c per row; [m] holds class indices as integral values (validated).
template <class T>
Tensor<T> cross_entropy(const Tensor<T>& logits, const Tensor<T>& target, Reduction reduction = Reduction::mean);

/// −log_probs[i, target[i]] per row of log-probabilities [m, classes] (e.g. from log_softmax); mean over rows.
template <class T>
Tensor<T> nll(const Tensor<T>& log_probs, const std::vector<std::size_t>& target, Reduction reduction = Reduction::mean);
/// Class indices as a [m] tensor of integral values.
template <class T>
Tensor<T> nll(const Tensor<T>& log_probs, const Tensor<T>& target, Reduction reduction = Reduction::mean);

/// −[y log p + (1−y) log(1−p)] per element for probabilities p ∈ [0, 1] and targets y ∈ [0, 1] (checked: a
/// ValueError otherwise); mean over all elements by default. Each log is floored as in PyTorch (which
/// clamps it at −100): p and 1−p are clamped below at max(e^−100, the smallest normal T), so the floor is
/// −100 in double and ≈ −87.3 in float, and the loss and gradient stay finite at p = 0 or 1 (the gradient
/// through a clamped log is zero). Prefer bce_with_logits on logits.
template <class T> Tensor<T> bce(const Tensor<T>& probs, const Tensor<T>& target, Reduction reduction = Reduction::mean);

/// BCE on logits x, stable for any x: max(x,0) − x·y + log1p(e^−|x|) = softplus(x) − x·y, whose gradient
/// σ(x) − y is exact everywhere (x = 0 included). Mean over all elements by default.
template <class T>
Tensor<T> bce_with_logits(const Tensor<T>& logits, const Tensor<T>& target, Reduction reduction = Reduction::mean);

/// Huber with threshold δ > 0, per element d = ŷ − y: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond (PyTorch's
/// HuberLoss). Mean over all elements by default.
template <class T>
Tensor<T> huber(const Tensor<T>& input, const Tensor<T>& target, double delta = 1.0, Reduction reduction = Reduction::mean);

/// The L2 penalty of the notes' MNIST slide: λ/(2m) Σ_W ‖W‖² with m the batch size. Its gradient is (λ/m)·W.
template <class T> Tensor<T> l2_penalty(const std::vector<Tensor<T>>& weights, double lambda, std::size_t m);
/// The same over a module's weights only: the parameters named "weight" (fc1.weight, ...), never biases.
template <class T> Tensor<T> l2_penalty(const Module<T>& module, double lambda, std::size_t m);

}  // namespace dg::nn
