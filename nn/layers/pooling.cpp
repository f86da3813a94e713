// MaxPool2d and AvgPool2d: the window's checks (naming the layer) and the forward passes on the pooling ops.
#include "nn/layers/pooling.hpp"

#include "autograd/array/errors.hpp"
#include "nn/layers/image_input.hpp"

namespace dg::nn {

PoolWindow::PoolWindow(const char* type, const PoolOptions& o) : options(o) {
    if (options.stride.h == 0) options.stride.h = options.kernel.h;
    if (options.stride.w == 0) options.stride.w = options.kernel.w;
    if (o.kernel.h == 0 || o.kernel.w == 0)
        throw ValueError(std::string(type) + ": the kernel must be at least 1×1, got " + detail::size2_str(o.kernel));
    if (o.padding.h > o.kernel.h / 2 || o.padding.w > o.kernel.w / 2)
        throw ValueError(std::string(type) + " " + detail::size2_str(o.kernel) + ": padding " +
                         detail::size2_str(o.padding) + " is more than half the kernel");
    if (o.kernel.h > 1u << 16 || o.kernel.w > 1u << 16 || options.stride.h > 1u << 16 || options.stride.w > 1u << 16)
        throw ValueError(std::string(type) + ": kernel " + detail::size2_str(o.kernel) + ", stride " +
                         detail::size2_str(options.stride) + " are too large (a negative size converted to size_t?)");
}

Shape PoolWindow::output_shape(const std::string& where, const Shape& x) const {
    detail::check_image_input(where, x, 0);
    detail::check_window_fits(where, x, options.kernel, options.padding);
    const auto extent = [](std::size_t in, std::size_t k, std::size_t s, std::size_t p) { return (in + 2 * p - k) / s + 1; };
    return {x[0], x[1], extent(x[2], options.kernel.h, options.stride.h, options.padding.h),
            extent(x[3], options.kernel.w, options.stride.w, options.padding.w)};
}

std::string PoolWindow::str() const {
    std::string s = detail::size2_str(options.kernel);
    if (options.stride.h != options.kernel.h || options.stride.w != options.kernel.w)
        s += " s" + detail::size2_str(options.stride);
    if (options.padding.h || options.padding.w) s += " p" + detail::size2_str(options.padding);
    return s;
}

template <class T>
Tensor<T> MaxPool2d<T>::forward(const Tensor<T>& x) {
    output_shape(x.shape());
    return max_pool2d(x, window_.options.kernel, window_.options.stride, window_.options.padding);
}

template <class T>
Tensor<T> AvgPool2d<T>::forward(const Tensor<T>& x) {
    output_shape(x.shape());
    return avg_pool2d(x, window_.options.kernel, window_.options.stride, window_.options.padding);
}

template class MaxPool2d<float>;
template class MaxPool2d<double>;
template class AvgPool2d<float>;
template class AvgPool2d<double>;

}  // namespace dg::nn
