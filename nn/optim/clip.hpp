// Gradient clipping on the .grad of parameters: by global norm (torch.nn.utils.clip_grad_norm_) and by
// value (clip_grad_value_). Both change the gradients in place and skip parameters without a gradient.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace dg::optim {

/// Scales every gradient by max_norm / (total_norm + 1e-6) when total_norm > max_norm, where total_norm
/// is the norm_type-norm of all gradients taken together (2 by default; INFINITY for the largest |g|).
/// Returns total_norm before clipping (accumulated in double), or 0 if no parameter has a gradient.
/// ValueError for a negative or NaN max_norm or a norm_type that is not > 0; with error_if_nonfinite,
/// AnomalyError when total_norm is NaN or infinite (otherwise such gradients are scaled, as PyTorch does).
template <class T>
double clip_grad_norm(const std::vector<Tensor<T>>& params, double max_norm, double norm_type = 2.0,
                      bool error_if_nonfinite = false);

/// Clamps every gradient element into [-clip_value, clip_value]. ValueError if clip_value is negative or NaN.
template <class T>
void clip_grad_value(const std::vector<Tensor<T>>& params, double clip_value);

extern template double clip_grad_norm<float>(const std::vector<Tensor<float>>&, double, double, bool);
extern template double clip_grad_norm<double>(const std::vector<Tensor<double>>&, double, double, bool);
extern template void clip_grad_value<float>(const std::vector<Tensor<float>>&, double);
extern template void clip_grad_value<double>(const std::vector<Tensor<double>>&, double);

}  // namespace dg::optim
