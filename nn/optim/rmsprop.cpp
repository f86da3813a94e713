// RMSProp: checks and the update loop (torch.optim.RMSprop, single-tensor path).
#include "nn/optim/rmsprop.hpp"

#include <cmath>

#include "autograd/kernels/parallel.hpp"
#include "nn/optim/check.hpp"
#include "nn/optim/kernel.hpp"

namespace dg::optim {

void RMSPropOptions::validate() const {
    const std::string who = "RMSProp";
    detail::check_non_negative(who, "lr", lr_);
    detail::check_unit_open(who, "alpha", alpha_);
    detail::check_non_negative(who, "eps", eps_);
    detail::check_non_negative(who, "weight_decay", weight_decay_);
    detail::check_unit_open(who, "momentum", momentum_);
}

template <class T>
std::vector<std::string> RMSProp<T>::state_keys(std::size_t group) const {
    const RMSPropOptions& o = this->options_[group];
    std::vector<std::string> keys{"square_avg"};
    if (o.momentum() > 0.0) keys.push_back("momentum_buffer");
    if (o.centered()) keys.push_back("grad_avg");
    return keys;
}

template <class T>
void RMSProp<T>::step() {
    this->update_each([](const RMSPropOptions& o, detail::ParamView<T> param, auto& state) {
        const T lr = T(o.lr()), alpha = T(o.alpha()), one_minus_alpha = T(1.0 - o.alpha());
        const T eps = T(o.eps()), wd = T(o.weight_decay()), mu = T(o.momentum());
        const bool use_momentum = o.momentum() > 0.0, centered = o.centered();
        T* sq = state.buffers[0].data();
        T* buf = use_momentum ? state.buffers[1].data() : nullptr;
        T* gavg = centered ? state.buffers[use_momentum ? 2 : 1].data() : nullptr;
        T* w = param.w;
        const T* grad = param.grad;
        parallel::for_range(param.n, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t k = lo; k < hi; ++k) {
                // d = g + wd*w;  sq = alpha*sq + (1 - alpha)*d^2
                // (centered) ga = alpha*ga + (1 - alpha)*d;  avg = sqrt(sq - ga^2) + eps
                // (otherwise) avg = sqrt(sq) + eps
                // (momentum) b = mu*b + d/avg;  w = w - lr*b      (otherwise) w = w - lr*d/avg
                const T d = grad[k] + wd * w[k];
                sq[k] = alpha * sq[k] + one_minus_alpha * d * d;
                T avg;
                if (centered) {
                    gavg[k] = alpha * gavg[k] + one_minus_alpha * d;
                    avg = std::sqrt(sq[k] - gavg[k] * gavg[k]) + eps;
                } else {
                    avg = std::sqrt(sq[k]) + eps;
                }
                if (use_momentum) {
                    buf[k] = mu * buf[k] + d / avg;
                    w[k] -= lr * buf[k];
                } else {
                    w[k] -= lr * (d / avg);
                }
            }
        });
    });
}

template class RMSProp<float>;
template class RMSProp<double>;

}  // namespace dg::optim
