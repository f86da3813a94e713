// Adam and AdamW: checks and the shared update loop (torch.optim.Adam / AdamW, single-tensor path).
#include "nn/optim/adam.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/kernels/parallel.hpp"
#include "nn/optim/check.hpp"
#include "nn/optim/kernel.hpp"

namespace dg::optim {

namespace {
void check_adam(const char* who, double lr, double beta1, double beta2, double eps, double weight_decay) {
    detail::check_non_negative(who, "lr", lr);
    detail::check_unit_open(who, "beta1", beta1);
    detail::check_unit_open(who, "beta2", beta2);
    detail::check_non_negative(who, "eps", eps);
    detail::check_non_negative(who, "weight_decay", weight_decay);
}
}  // namespace

void AdamOptions::validate() const { check_adam("Adam", lr_, beta1_, beta2_, eps_, weight_decay_); }
void AdamWOptions::validate() const { check_adam("AdamW", lr_, beta1_, beta2_, eps_, weight_decay_); }

template <class T, class Options>
std::vector<std::string> AdamBase<T, Options>::state_keys(std::size_t group) const {
    if (this->options_[group].amsgrad()) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    return {"exp_avg", "exp_avg_sq"};
}

template <class T, class Options>
void AdamBase<T, Options>::step() {
    this->update_each([this](const Options& o, detail::ParamView<T> param, auto& state) {
        const T beta1 = T(o.beta1()), beta2 = T(o.beta2()), eps = T(o.eps());
        const T one_minus_beta1 = T(1.0 - o.beta1()), one_minus_beta2 = T(1.0 - o.beta2());
        // Adam adds wd*w to the gradient; AdamW shrinks the parameter by (1 - lr*wd) before the update.
        const T l2 = decoupled_ ? T(0) : T(o.weight_decay());
        const T shrink = decoupled_ ? T(1.0 - o.lr() * o.weight_decay()) : T(1);
        const bool amsgrad = o.amsgrad();
        // Bias corrections in double, as PyTorch computes them on Python floats:
        // step_size = lr / (1 - beta1^t);  c2 = sqrt(1 - beta2^t)
        const double t = double(state.step);
        const T step_size = T(o.lr() / (1.0 - std::pow(o.beta1(), t)));
        const T c2 = T(std::sqrt(1.0 - std::pow(o.beta2(), t)));
        T* m = state.buffers[0].data();
        T* v = state.buffers[1].data();
        T* vmax = amsgrad ? state.buffers[2].data() : nullptr;
        T* w = param.w;
        const T* grad = param.grad;
        parallel::for_range(param.n, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t k = lo; k < hi; ++k) {
                // (AdamW) w = w*(1 - lr*wd)          (Adam) d = g + wd*w
                // m = beta1*m + (1 - beta1)*d;       v = beta2*v + (1 - beta2)*d^2
                // (amsgrad) vmax = max(vmax, v), used in place of v below
                // w = w - step_size * m / (sqrt(v)/c2 + eps)
                w[k] *= shrink;
                const T d = grad[k] + l2 * w[k];
                m[k] = beta1 * m[k] + one_minus_beta1 * d;
                v[k] = beta2 * v[k] + one_minus_beta2 * d * d;
                T second = v[k];
                if (amsgrad) second = vmax[k] = std::max(vmax[k], v[k]);
                w[k] -= step_size * (m[k] / (std::sqrt(second) / c2 + eps));
            }
        });
    });
}

template class AdamBase<float, AdamOptions>;
template class AdamBase<double, AdamOptions>;
template class AdamBase<float, AdamWOptions>;
template class AdamBase<double, AdamWOptions>;

}  // namespace dg::optim
