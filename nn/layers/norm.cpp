// BatchNorm (1d, 2d) and LayerNorm: parameters and buffers under PyTorch's names, input checks naming the layer, and
// the forward passes on the batch_norm and layer_norm ops.
#include "nn/layers/norm.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/array/errors.hpp"

namespace dg::nn {

namespace {

void check_eps(const std::string& who, double eps) {
    if (!(eps >= 0) || !std::isfinite(eps))
        throw ValueError(who + ": eps must be a finite number >= 0, got " + std::to_string(eps));
}

}  // namespace

template <class T>
BatchNorm<T>::BatchNorm(const char* type, std::size_t num_features, const BatchNormOptions& options)
    : type_(type), features_(num_features), options_(options) {
    if (features_ == 0 || features_ > 1u << 24)
        throw ValueError(std::string(type_) + ": num_features must be in 1..2^24, got " + std::to_string(features_));
    check_eps(type_, options_.eps);
    if (!std::isfinite(options_.momentum))
        throw ValueError(std::string(type_) + ": momentum must be finite, got " + std::to_string(options_.momentum));
    if (options_.affine) {
        weight_ = this->register_parameter("weight", Tensor<T>::ones({features_}));
        bias_ = this->register_parameter("bias", Tensor<T>::zeros({features_}));
    }
    if (options_.track_running_stats) {
        running_mean_ = this->register_buffer("running_mean", Tensor<T>::zeros({features_}));
        running_var_ = this->register_buffer("running_var", Tensor<T>::ones({features_}));
        num_batches_ = this->register_buffer("num_batches_tracked", Tensor<T>::zeros({}));
    }
}

template <class T>
BatchNorm<T>::BatchNorm(const BatchNorm& other)
    : Cloneable<BatchNorm<T>, T>(other), type_(other.type_), features_(other.features_), options_(other.options_) {
    if (options_.affine) {
        weight_ = this->parameter("weight");
        bias_ = this->parameter("bias");
    }
    if (options_.track_running_stats) {
        running_mean_ = this->buffer("running_mean");
        running_var_ = this->buffer("running_var");
        num_batches_ = this->buffer("num_batches_tracked");
    }
}

template <class T>
std::string BatchNorm<T>::describe() const {
    return std::string(type_) + " " + std::to_string(features_);
}

template <class T>
std::string BatchNorm<T>::output_shape_hint() const {
    return std::string(type_) == "BatchNorm2d" ? "[*, " + std::to_string(features_) + ", *, *]"
                                               : "[*, " + std::to_string(features_) + "]";
}

template <class T>
Tensor<T> BatchNorm<T>::forward(const Tensor<T>& x) {
    const Shape s = x.shape();
    const bool images = std::string(type_) == "BatchNorm2d";
    const bool rank_ok = images ? s.size() == 4 : s.size() == 2 || s.size() == 3;
    if (!rank_ok || s[1] != features_) {
        const std::string c = std::to_string(features_);
        throw ShapeError(this->where() + ": expected " + (images ? "[N, " + c + ", H, W]" : "[N, " + c + "] or [N, " + c + ", L]") +
                         ", got " + shape_str(s));
    }
    const bool training = this->is_training() || !options_.track_running_stats;
    if (training && x.numel() / features_ < 2)
        throw ValueError(this->where() + ": training needs more than 1 value per channel, got input " + shape_str(s) +
                         " (use a batch of at least 2, or eval())");
    if (this->is_training() && options_.track_running_stats) {
        NoGradGuard no_grad;
        num_batches_.mutable_value()() += T(1);
    }
    return batch_norm(x, weight_, bias_, running_mean_, running_var_, training, options_.momentum, options_.eps);
}

template <class T>
LayerNorm<T>::LayerNorm(Shape normalized_shape, double eps, bool affine) : shape_(std::move(normalized_shape)), eps_(eps) {
    std::size_t n = 1;
    for (std::size_t d : shape_) n = d > (1u << 30) ? 0 : n * d;
    if (shape_.empty() || n == 0 || n > (1u << 30))
        throw ValueError("LayerNorm: normalized_shape must be non-empty with extents >= 1 (and not too large), got " +
                         shape_str(shape_));
    check_eps("LayerNorm", eps_);
    if (affine) {
        weight_ = this->register_parameter("weight", Tensor<T>::ones(shape_));
        bias_ = this->register_parameter("bias", Tensor<T>::zeros(shape_));
    }
}

template <class T>
LayerNorm<T>::LayerNorm(const LayerNorm& other)
    : Cloneable<LayerNorm<T>, T>(other),
      shape_(other.shape_),
      eps_(other.eps_),
      weight_(other.weight_.defined() ? this->parameter("weight") : Tensor<T>()),
      bias_(other.bias_.defined() ? this->parameter("bias") : Tensor<T>()) {}

template <class T>
std::string LayerNorm<T>::describe() const {
    return "LayerNorm " + shape_str(shape_);
}

template <class T>
Tensor<T> LayerNorm<T>::forward(const Tensor<T>& x) {
    const Shape s = x.shape();
    if (s.size() <= shape_.size() || !std::equal(shape_.begin(), shape_.end(), s.end() - shape_.size())) {
        std::string expect = "[N";
        for (std::size_t d : shape_) expect += ", " + std::to_string(d);
        throw ShapeError(this->where() + ": expected [*, ...] ending in " + shape_str(shape_) + " (e.g. " + expect +
                         "]), got " + shape_str(s));
    }
    return layer_norm(x, shape_, weight_, bias_, eps_);
}

template class BatchNorm<float>;
template class BatchNorm<double>;
template class LayerNorm<float>;
template class LayerNorm<double>;

}  // namespace dg::nn
