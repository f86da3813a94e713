// Conv2d: the 2-d convolution layer on NCHW images (PyTorch's nn.Conv2d: weight [C_out, C_in/groups, kH, kW], bias
// [C_out], its default initialization), on the conv2d op.
#pragma once

#include <cstddef>

#include "autograd/ops.hpp"
#include "nn/init.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// How a Conv2d layer is built: its geometry (the conv2d op's stride, padding, dilation, groups) and whether it has a
/// bias. Initialization as PyTorch's: W ~ U(±1/√fan_in) (kaiming_uniform with a = √5), b ~ U(±1/√fan_in),
/// fan_in = C_in/groups·kH·kW.
struct Conv2dLayerOptions {
    Conv2dOptions geometry;  ///< stride, padding, dilation, groups (PyTorch's defaults: 1, 0, 1, 1)
    bool bias = true;        ///< whether the layer has a bias
};

/// y = conv2d(x, W, b): x [N, C_in, H, W] → [N, C_out, H_out, W_out] (the extents in autograd/ops.hpp's conv2d).
/// Parameters "weight" [C_out, C_in/groups, kH, kW] and "bias" [C_out]. An input of another rank or channel count,
/// or one smaller than the dilated kernel after padding, is a ShapeError naming the layer and the expected shape.
template <class T>
class Conv2d : public Cloneable<Conv2d<T>, T> {
public:
    /// Weights drawn from `gen`; ValueError for a zero size, stride or dilation, or groups that do not divide both
    /// channel counts.
    Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel, Generator& gen,
           const Conv2dLayerOptions& options = {});
    /// The copy under clone(): the copy's own weight and bias.
    Conv2d(const Conv2d& other);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "Conv2d"; }
    /// "Conv2d 1→32 k3 p1" (stride, padding, dilation and groups shown when not the default; " no bias").
    std::string describe() const override;
    std::string output_shape_hint() const override;

    /// C_in.
    std::size_t in_channels() const { return in_; }
    /// C_out.
    std::size_t out_channels() const { return out_; }
    /// The kernel's extents.
    Size2 kernel() const { return kernel_; }
    /// Stride, padding, dilation, groups.
    const Conv2dOptions& geometry() const { return geometry_; }
    /// The output shape for an input [N, C_in, H, W] (checked as forward checks it).
    Shape output_shape(const Shape& input) const;
    /// W [C_out, C_in/groups, kH, kW]; aliases the registered parameter.
    const Tensor<T>& weight() const { return weight_; }
    /// b [C_out], or an undefined tensor without bias.
    const Tensor<T>& bias() const { return bias_; }
    /// Whether the layer has a bias.
    bool has_bias() const { return bias_.defined(); }

private:
    std::size_t in_, out_;
    Size2 kernel_;
    Conv2dOptions geometry_;
    Tensor<T> weight_, bias_;
};

extern template class Conv2d<float>;
extern template class Conv2d<double>;

}  // namespace dg::nn
