// Normalization layers: BatchNorm1d and BatchNorm2d (batch statistics in training, running statistics in evaluation,
// kept as buffers under PyTorch's names) and LayerNorm, on the batch_norm and layer_norm ops.
#pragma once

#include <cstddef>

#include "autograd/ops.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// How a batch normalization layer is built (PyTorch's defaults).
struct BatchNormOptions {
    double eps = 1e-5;                ///< added to the variance
    double momentum = 0.1;            ///< running = (1 − momentum)·running + momentum·batch statistic
    bool affine = true;               ///< learnable "weight" (γ, ones) and "bias" (β, zeros) per channel
    bool track_running_stats = true;  ///< keep running_mean, running_var, num_batches_tracked (else: batch statistics always)
};

/// y = (x − μ_c)/√(σ²_c + eps)·γ_c + β_c per channel c (dim 1). In training mode μ and σ² are the batch's and the
/// running statistics are updated (num_batches_tracked counts the batches); in evaluation mode (eval()) the running
/// statistics are used. Parameters "weight", "bias" [C]; persistent buffers "running_mean" (zeros), "running_var"
/// (ones), "num_batches_tracked" (a scalar), so that checkpoints hold them as PyTorch's state_dict does. The base of
/// BatchNorm1d and BatchNorm2d, which fix the input's rank.
template <class T>
class BatchNorm : public Cloneable<BatchNorm<T>, T> {
public:
    /// `type` is "BatchNorm1d" (input [N, C] or [N, C, L]) or "BatchNorm2d" ([N, C, H, W]); ValueError for zero
    /// features, a negative or non-finite eps, or a non-finite momentum.
    BatchNorm(const char* type, std::size_t num_features, const BatchNormOptions& options = {});
    /// The copy under clone(): the copy's own parameters and buffers.
    BatchNorm(const BatchNorm& other);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return type_; }
    /// "BatchNorm2d 32".
    std::string describe() const override;
    std::string output_shape_hint() const override;

    /// C, the number of channels.
    std::size_t num_features() const { return features_; }
    /// The options it was built with.
    const BatchNormOptions& options() const { return options_; }
    /// γ [C] (undefined without affine).
    const Tensor<T>& weight() const { return weight_; }
    /// β [C] (undefined without affine).
    const Tensor<T>& bias() const { return bias_; }
    /// The running mean [C] (undefined without track_running_stats).
    const Tensor<T>& running_mean() const { return running_mean_; }
    /// The running (unbiased) variance [C].
    const Tensor<T>& running_var() const { return running_var_; }
    /// The number of training batches seen, as a scalar tensor.
    const Tensor<T>& num_batches_tracked() const { return num_batches_; }

private:
    const char* type_;
    std::size_t features_;
    BatchNormOptions options_;
    Tensor<T> weight_, bias_, running_mean_, running_var_, num_batches_;
};

/// Batch normalization of [N, C] or [N, C, L] inputs (PyTorch's nn.BatchNorm1d).
template <class T>
struct BatchNorm1d : Cloneable<BatchNorm1d<T>, T, BatchNorm<T>> {
    /// C features; options as BatchNorm.
    explicit BatchNorm1d(std::size_t num_features, const BatchNormOptions& options = {})
        : Cloneable<BatchNorm1d<T>, T, BatchNorm<T>>("BatchNorm1d", num_features, options) {}
};

/// Batch normalization of [N, C, H, W] images per channel (PyTorch's nn.BatchNorm2d).
template <class T>
struct BatchNorm2d : Cloneable<BatchNorm2d<T>, T, BatchNorm<T>> {
    /// C channels; options as BatchNorm.
    explicit BatchNorm2d(std::size_t num_features, const BatchNormOptions& options = {})
        : Cloneable<BatchNorm2d<T>, T, BatchNorm<T>>("BatchNorm2d", num_features, options) {}
};

/// y = (x − μ)/√(σ² + eps)·γ + β, μ and σ² (biased) over the trailing dims `normalized_shape` of each sample
/// (PyTorch's nn.LayerNorm). Parameters "weight" (ones) and "bias" (zeros) of shape normalized_shape when affine. The
/// same in training and evaluation.
template <class T>
class LayerNorm : public Cloneable<LayerNorm<T>, T> {
public:
    /// ValueError for an empty shape, a zero extent or a negative or non-finite eps.
    explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool affine = true);
    /// The copy under clone().
    LayerNorm(const LayerNorm& other);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "LayerNorm"; }
    /// "LayerNorm [32, 7, 7]".
    std::string describe() const override;

    /// The trailing dims normalized over.
    const Shape& normalized_shape() const { return shape_; }
    /// γ (undefined without affine).
    const Tensor<T>& weight() const { return weight_; }
    /// β (undefined without affine).
    const Tensor<T>& bias() const { return bias_; }

private:
    Shape shape_;
    double eps_;
    Tensor<T> weight_, bias_;
};

extern template class BatchNorm<float>;
extern template class BatchNorm<double>;
extern template class LayerNorm<float>;
extern template class LayerNorm<double>;

}  // namespace dg::nn
