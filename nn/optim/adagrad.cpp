// Adagrad: checks and the update loop (torch.optim.Adagrad, single-tensor path).
#include "nn/optim/adagrad.hpp"

#include <algorithm>
#include <cmath>

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
std::vector<std::string> Adagrad<T>::state_keys(std::size_t) const {
    return {"sum"};
}

template <class T>
void Adagrad<T>::step() {
    this->update_each([](const AdagradOptions& o, detail::ParamView<T> param, auto& state) {
        T* sum = state.buffers[0].data();
        if (state.step == 1) std::fill(sum, sum + param.n, T(o.initial_accumulator_value()));  // where "sum" starts
        const T eps = T(o.eps()), wd = T(o.weight_decay());
        // clr = lr / (1 + (t - 1)*lr_decay), in double as PyTorch's Python float
        const T clr = T(o.lr() / (1.0 + double(state.step - 1) * o.lr_decay()));
        T* w = param.w;
        const T* grad = param.grad;
        parallel::for_range(param.n, [&](std::size_t lo, std::size_t hi) {
            for (std::size_t k = lo; k < hi; ++k) {
                // d = g + wd*w;  sum = sum + d^2;  w = w - clr * d / (sqrt(sum) + eps)
                const T d = grad[k] + wd * w[k];
                sum[k] += d * d;
                w[k] -= clr * (d / (std::sqrt(sum[k]) + eps));
            }
        });
    });
}

template class Adagrad<float>;
template class Adagrad<double>;

}  // namespace dg::optim
