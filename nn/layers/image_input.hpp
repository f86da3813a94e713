// The input checks shared by the image layers (Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d): an [N, C, H, W] tensor
// with the channels they expect, and windows that fit the padded planes, each error naming the module and the shape.
#pragma once

#include <cstddef>
#include <string>

#include "autograd/ops.hpp"

namespace dg::nn::detail {

/// ShapeError "<where>: expected [N, <channels>, H, W], got <shape>" unless x is 4-d with that many channels
/// (channels 0: any).
void check_image_input(const std::string& where, const Shape& x, std::size_t channels);

/// ShapeError naming the module unless a window of `kernel` taps spaced by `dilation` fits the input plane of x
/// ([N, C, H, W]) padded by `padding` on each side.
void check_window_fits(const std::string& where, const Shape& x, Size2 kernel, Size2 padding, Size2 dilation = {1});

/// "3×3", or "3" for a square.
std::string size2_str(Size2 s);

}  // namespace dg::nn::detail
