// Flatten: merges a range of dims into one (PyTorch's nn.Flatten), the link between a CNN's images and its dense layers.
#pragma once

#include "nn/module.hpp"

namespace dg::nn {

/// y = flatten(x, start_dim, end_dim): dims start_dim..end_dim (inclusive; negative counts from the end) merged, by
/// default every dim after the batch: [N, C, H, W] → [N, C·H·W]. Recorded as a reshape. A dim out of range for the
/// input is a ShapeError naming the layer.
template <class T>
class Flatten : public Cloneable<Flatten<T>, T> {
public:
    /// PyTorch's defaults: start_dim 1, end_dim −1.
    explicit Flatten(int start_dim = 1, int end_dim = -1) : start_(start_dim), end_(end_dim) {}

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "Flatten"; }
    /// "Flatten" or "Flatten 0..-1".
    std::string describe() const override;

    /// The first dim merged.
    int start_dim() const { return start_; }
    /// The last dim merged.
    int end_dim() const { return end_; }

private:
    int start_, end_;
};

extern template class Flatten<float>;
extern template class Flatten<double>;

}  // namespace dg::nn
