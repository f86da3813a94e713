// MaxPool2d and AvgPool2d: pooling layers on NCHW images (PyTorch's nn.MaxPool2d / nn.AvgPool2d), on the max_pool2d
// and avg_pool2d ops.
#pragma once

#include <cstddef>
#include <string>

#include "autograd/ops.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// The window of a pooling layer: kernel, stride (0: the kernel, PyTorch's default) and padding (at most half the
/// kernel).
struct PoolOptions {
    Size2 kernel{2};   ///< the window's extents
    Size2 stride{0};   ///< step between windows; 0 means the kernel
    Size2 padding{0};  ///< added on each side (max: read as −∞; average: zeros that count in the mean)
};

/// The pooling layers' shared part: the window with its stride resolved, its checks and the output shape.
struct PoolWindow {
    PoolOptions options;  ///< stride 0 replaced by the kernel
    /// Resolves the stride; ValueError naming `type` for a zero kernel or a padding above half the kernel.
    PoolWindow(const char* type, const PoolOptions& options);
    /// The output shape for an input [N, C, H, W]; ShapeError naming `where` for another rank or a window larger
    /// than the padded input.
    Shape output_shape(const std::string& where, const Shape& input) const;
    /// "2" or "3 s1 p1".
    std::string str() const;
};

/// y = max_pool2d(x): the maximum of each window; the gradient goes to its arg-max. x [N, C, H, W].
template <class T>
class MaxPool2d : public Cloneable<MaxPool2d<T>, T> {
public:
    /// A kernel×kernel window moved by the kernel (PyTorch's default).
    explicit MaxPool2d(Size2 kernel) : MaxPool2d(PoolOptions{kernel}) {}
    /// Any window.
    explicit MaxPool2d(const PoolOptions& options) : window_("MaxPool2d", options) {}
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "MaxPool2d"; }
    /// "MaxPool2d 2", "MaxPool2d 3 s2 p1".
    std::string describe() const override { return "MaxPool2d " + window_.str(); }
    /// The window, with the stride resolved.
    const PoolOptions& options() const { return window_.options; }
    /// The output shape for an input [N, C, H, W] (checked as forward checks it).
    Shape output_shape(const Shape& input) const { return window_.output_shape(this->where(), input); }

private:
    PoolWindow window_;
};

/// y = avg_pool2d(x): each window's mean (padding counts as zeros, PyTorch's count_include_pad). x [N, C, H, W].
template <class T>
class AvgPool2d : public Cloneable<AvgPool2d<T>, T> {
public:
    /// A kernel×kernel window moved by the kernel.
    explicit AvgPool2d(Size2 kernel) : AvgPool2d(PoolOptions{kernel}) {}
    /// Any window.
    explicit AvgPool2d(const PoolOptions& options) : window_("AvgPool2d", options) {}
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "AvgPool2d"; }
    /// "AvgPool2d 2", "AvgPool2d 3 s1 p1".
    std::string describe() const override { return "AvgPool2d " + window_.str(); }
    /// The window, with the stride resolved.
    const PoolOptions& options() const { return window_.options; }
    /// The output shape for an input [N, C, H, W] (checked as forward checks it).
    Shape output_shape(const Shape& input) const { return window_.output_shape(this->where(), input); }

private:
    PoolWindow window_;
};

extern template class MaxPool2d<float>;
extern template class MaxPool2d<double>;
extern template class AvgPool2d<float>;
extern template class AvgPool2d<double>;

}  // namespace dg::nn
