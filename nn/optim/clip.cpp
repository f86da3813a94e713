// Gradient clipping by global norm and by value (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
#include "nn/optim/clip.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/engine.hpp"
#include "autograd/array/errors.hpp"
#include "nn/optim/check.hpp"

namespace dg::optim {

namespace {

/// The gradient of `p` for an in-place change (a handle copy: grad() is const).
template <class T>
Array<T>& mutable_grad(const Tensor<T>& p) {
    Tensor<T> g = p.grad();
    return g.mutable_value();
}

}  // namespace

template <class T>
double clip_grad_norm(const std::vector<Tensor<T>>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
    const char* who = "clip_grad_norm";
    if (!(max_norm >= 0.0)) detail::invalid(who, "max_norm", max_norm, "max_norm >= 0");
    if (!(norm_type > 0.0)) detail::invalid(who, "norm_type", norm_type, "norm_type > 0 (or INFINITY)");
    NoGradGuard no_grad;
    const bool inf_norm = std::isinf(norm_type);
    // total = (sum over all grads of |g|^p)^(1/p), or max |g| for p = inf. Summed in double.
    double acc = 0.0;
    bool any = false;
    for (const auto& p : params) {
        if (!p.defined() || !p.requires_grad() || !p.has_grad()) continue;
        any = true;
        const Array<T>& g = p.grad().value();
        const T* d = g.data();
        if (inf_norm) {
            for (std::size_t k = 0; k < g.size(); ++k) acc = std::max(acc, double(std::abs(d[k])));
            if (std::any_of(d, d + g.size(), [](T x) { return std::isnan(x); })) acc = NAN;
        } else if (norm_type == 2.0) {
            for (std::size_t k = 0; k < g.size(); ++k) acc += double(d[k]) * double(d[k]);
        } else {
            for (std::size_t k = 0; k < g.size(); ++k) acc += std::pow(std::abs(double(d[k])), norm_type);
        }
    }
    if (!any) return 0.0;
    const double total = inf_norm ? acc : norm_type == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / norm_type);
    if (error_if_nonfinite && !std::isfinite(total))
        throw AnomalyError(std::string(who) + ": the total norm of the gradients is " + std::to_string(total) +
                           " (pass error_if_nonfinite = false to clip anyway)");
    // scale = max_norm / (total + 1e-6), applied only when it is < 1 (total > max_norm, up to the 1e-6).
    const double scale = max_norm / (total + 1e-6);
    if (scale < 1.0 || std::isnan(scale)) {
        const T s = T(scale);
        for (const auto& p : params) {
            if (!p.defined() || !p.requires_grad() || !p.has_grad()) continue;
            Array<T>& g = mutable_grad(p);
            T* d = g.data();
            for (std::size_t k = 0; k < g.size(); ++k) d[k] *= s;
        }
    }
    return total;
}

template <class T>
void clip_grad_value(const std::vector<Tensor<T>>& params, double clip_value) {
    if (!(clip_value >= 0.0)) detail::invalid("clip_grad_value", "clip_value", clip_value, "clip_value >= 0");
    NoGradGuard no_grad;
    const T hi = T(clip_value), lo = -hi;
    for (const auto& p : params) {
        if (!p.defined() || !p.requires_grad() || !p.has_grad()) continue;
        Array<T>& g = mutable_grad(p);
        T* d = g.data();
        // g = min(max(g, -clip), clip)
        for (std::size_t k = 0; k < g.size(); ++k) d[k] = std::min(std::max(d[k], lo), hi);
    }
}

template double clip_grad_norm<float>(const std::vector<Tensor<float>>&, double, double, bool);
template double clip_grad_norm<double>(const std::vector<Tensor<double>>&, double, double, bool);
template void clip_grad_value<float>(const std::vector<Tensor<float>>&, double);
template void clip_grad_value<double>(const std::vector<Tensor<double>>&, double);

}  // namespace dg::optim
