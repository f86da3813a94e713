// Adagrad: checks and the update loop (torch.optim.Adagrad, single-tensor path).
#include "nn/optim/adagrad.hpp"

#include <cmath>

#include "autograd/engine.hpp"
#include "autograd/kernels/parallel.hpp"
#include "nn/optim/check.hpp"
#include "nn/optim/kernel.hpp"

namespace dg::optim {

void AdagradOptions::validate() const {
    const std::string who = "Adagrad";
    detail::check_non_negative(who, "lr", lr_);
    detail::check_non_negative(who, "lr_decay", lr_decay_);
    detail::check_non_negative(who, "weight_decay", weight_decay_);
    detail::check_non_negative(who, "initial_accumulator_value", initial_accumulator_value_);
    detail::check_non_negative(who, "eps", eps_);
}

template <class T>
Adagrad<T>::Adagrad(std::vector<Tensor<T>> params, AdagradOptions options)
    : GroupedOptimizer<T, AdagradOptions>("Adagrad", std::move(params), options) {}

template <class T>
std::vector<std::string> Adagrad<T>::state_keys(std::size_t) const {
    return {"sum"};
}

template <class T>
void Adagrad<T>::step() {
    NoGradGuard no_grad;
    for (std::size_t g = 0; g < this->params_.size(); ++g) {
        const AdagradOptions& o = this->options_[g];
        const T eps = T(o.eps()), wd = T(o.weight_decay());
        for (std::size_t i = 0; i < this->params_[g].size(); ++i) {
            Tensor<T>& p = this->params_[g][i];
            if (!p.has_grad()) continue;
            auto [w, grad, n] = detail::param_and_grad(p, this->name());
            auto& s = this->states_[g][i];
            if (s.step == 0) this->init_state(s, p, g, T(o.initial_accumulator_value()));
            const std::int64_t t = ++s.step;
            // clr = lr / (1 + (t - 1)*lr_decay), in double as PyTorch's Python float
            const T clr = T(o.lr() / (1.0 + double(t - 1) * o.lr_decay()));
            T* sum = s.buffers[0].data();
            parallel::for_range(n, [&, w = w, grad = grad](std::size_t lo, std::size_t hi) {
                for (std::size_t k = lo; k < hi; ++k) {
                    // d = g + wd*w;  sum = sum + d^2;  w = w - clr * d / (sqrt(sum) + eps)
                    const T d = grad[k] + wd * w[k];
                    sum[k] += d * d;
                    w[k] -= clr * (d / (std::sqrt(sum[k]) + eps));
                }
            });
        }
    }
}

template class Adagrad<float>;
template class Adagrad<double>;

}  // namespace dg::optim
