// Conv2d: parameter creation with PyTorch's default initialization, and the forward pass with input checks that
// name the layer.
#include "nn/layers/conv.hpp"

#include <cmath>
#include <cstdint>

#include "autograd/array/errors.hpp"
#include "nn/layers/image_input.hpp"

namespace dg::nn {

template <class T>
Conv2d<T>::Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel, Generator& gen,
                  const Conv2dLayerOptions& options)
    : in_(in_channels), out_(out_channels), kernel_(kernel), geometry_(options.geometry) {
    const Conv2dOptions& g = geometry_;
    if (in_ == 0 || out_ == 0 || kernel_.h == 0 || kernel_.w == 0)
        throw ValueError("Conv2d: channels and kernel must be positive, got " + std::to_string(in_) + "→" +
                         std::to_string(out_) + ", kernel " + detail::size2_str(kernel_));
    if (g.stride.h == 0 || g.stride.w == 0 || g.dilation.h == 0 || g.dilation.w == 0 || g.groups == 0)
        throw ValueError("Conv2d " + std::to_string(in_) + "→" + std::to_string(out_) +
                         ": stride, dilation and groups must be at least 1, got stride " + detail::size2_str(g.stride) +
                         ", dilation " + detail::size2_str(g.dilation) + ", groups " + std::to_string(g.groups));
    if (in_ % g.groups || out_ % g.groups)
        throw ValueError("Conv2d " + std::to_string(in_) + "→" + std::to_string(out_) + ": groups " +
                         std::to_string(g.groups) + " must divide both channel counts");
    // A negative size converted to size_t arrives as a huge number: refuse before allocating.
    const std::size_t fan_in = in_ / g.groups * kernel_.h * kernel_.w;
    if (in_ > 1u << 24 || out_ > 1u << 24 || kernel_.h > 1u << 16 || kernel_.w > 1u << 16 ||
        fan_in > static_cast<std::size_t>(PTRDIFF_MAX) / sizeof(T) / out_)
        throw ValueError("Conv2d: sizes " + std::to_string(in_) + "→" + std::to_string(out_) + ", kernel " +
                         detail::size2_str(kernel_) + " are too large (a negative size converted to size_t?)");
    // fan_in_uniform on [C_out, C_in/groups, kH, kW] is U(±1/√fan_in): PyTorch's kaiming_uniform with a = √5.
    weight_ = this->register_parameter(
        "weight", init::apply_(Tensor<T>::zeros({out_, in_ / g.groups, kernel_.h, kernel_.w}), Init::fan_in_uniform(), gen));
    if (options.bias)
        bias_ = this->register_parameter(
            "bias", init::apply_(Tensor<T>::zeros({out_}), Init::uniform(1.0 / std::sqrt(double(fan_in))), gen));
}

template <class T>
Conv2d<T>::Conv2d(const Conv2d& other)
    : Cloneable<Conv2d<T>, T>(other),
      in_(other.in_),
      out_(other.out_),
      kernel_(other.kernel_),
      geometry_(other.geometry_),
      weight_(this->parameter("weight")),
      bias_(other.has_bias() ? this->parameter("bias") : Tensor<T>()) {}

template <class T>
std::string Conv2d<T>::describe() const {
    const Conv2dOptions& g = geometry_;
    std::string s = "Conv2d " + std::to_string(in_) + "→" + std::to_string(out_) + " k" + detail::size2_str(kernel_);
    if (g.stride.h != 1 || g.stride.w != 1) s += " s" + detail::size2_str(g.stride);
    if (g.padding.h || g.padding.w) s += " p" + detail::size2_str(g.padding);
    if (g.dilation.h != 1 || g.dilation.w != 1) s += " d" + detail::size2_str(g.dilation);
    if (g.groups != 1) s += " g" + std::to_string(g.groups);
    return has_bias() ? s : s + " no bias";
}

template <class T>
std::string Conv2d<T>::output_shape_hint() const {
    return "[*, " + std::to_string(out_) + ", *, *]";
}

template <class T>
Shape Conv2d<T>::output_shape(const Shape& x) const {
    detail::check_image_input(this->where(), x, in_);
    const Conv2dOptions& g = geometry_;
    detail::check_window_fits(this->where(), x, kernel_, g.padding, g.dilation);
    const auto extent = [](std::size_t in, std::size_t k, std::size_t s, std::size_t p, std::size_t d) {
        return (in + 2 * p - (d * (k - 1) + 1)) / s + 1;
    };
    return {x[0], out_, extent(x[2], kernel_.h, g.stride.h, g.padding.h, g.dilation.h),
            extent(x[3], kernel_.w, g.stride.w, g.padding.w, g.dilation.w)};
}

template <class T>
Tensor<T> Conv2d<T>::forward(const Tensor<T>& x) {
    output_shape(x.shape());  // the checks, with this layer's name in the message
    return has_bias() ? conv2d(x, weight_, bias_, geometry_) : conv2d(x, weight_, geometry_);
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace dg::nn
