// The image layers' input checks: rank, channels, and windows that fit the padded planes.
#include "nn/layers/image_input.hpp"

#include "autograd/array/errors.hpp"

namespace dg::nn::detail {

void check_image_input(const std::string& where, const Shape& x, std::size_t channels) {
    if (x.size() == 4 && (channels == 0 || x[1] == channels)) return;
    throw ShapeError(where + ": expected [N, " + (channels ? std::to_string(channels) : std::string("C")) +
                     ", H, W], got " + shape_str(x));
}

void check_window_fits(const std::string& where, const Shape& x, Size2 kernel, Size2 padding, Size2 dilation) {
    const std::size_t span_h = dilation.h * (kernel.h - 1) + 1, span_w = dilation.w * (kernel.w - 1) + 1;
    const std::size_t h = x[2] + 2 * padding.h, w = x[3] + 2 * padding.w;
    if (h >= span_h && w >= span_w) return;
    throw ShapeError(where + ": the window spans " + std::to_string(span_h) + "×" + std::to_string(span_w) +
                     " but the input " + shape_str(x) + " padded by " + size2_str(padding) + " is " +
                     std::to_string(h) + "×" + std::to_string(w) + "; expected H ≥ " +
                     std::to_string(span_h > 2 * padding.h ? span_h - 2 * padding.h : 1) + " and W ≥ " +
                     std::to_string(span_w > 2 * padding.w ? span_w - 2 * padding.w : 1));
}

std::string size2_str(Size2 s) {
    return s.h == s.w ? std::to_string(s.h) : std::to_string(s.h) + "×" + std::to_string(s.w);
}

}  // namespace dg::nn::detail
