// SGD's checks and update (torch.optim.SGD's single-tensor path, written as one loop per parameter).
#include "nn/optim/sgd.hpp"

#include "nn/optim/update_in_backward.hpp"
#include "autograd/array/errors.hpp"
#include "autograd/kernels/parallel.hpp"
#include "nn/optim/check.hpp"
#include "nn/optim/kernel.hpp"

namespace dg::optim {

void SGDOptions::validate() const {
    const std::string who = "SGD";
    detail::check_non_negative(who, "lr", lr_);
    detail::check_unit_open(who, "momentum", momentum_);
    detail::check_unit_closed(who, "dampening", dampening_);
    detail::check_non_negative(who, "weight_decay", weight_decay_);
    if (nesterov_ && (momentum_ <= 0.0 || dampening_ != 0.0))
        throw ValueError("SGD: invalid nesterov: Nesterov momentum needs momentum > 0 and dampening = 0 (got momentum " +
                         std::to_string(momentum_) + ", dampening " + std::to_string(dampening_) + ")");
}

template <class T>
SGD<T>::SGD(std::vector<Tensor<T>> params, SGDOptions options)
    : GroupedOptimizer<T, SGDOptions>("SGD", std::move(params), options) {}

template <class T>
std::vector<std::string> SGD<T>::state_keys(std::size_t group) const {
    if (this->options_[group].momentum() == 0.0) return {};
    return {"momentum_buffer"};
}

template <class T>
void SGD<T>::step() {
    NoGradGuard no_grad;
    for (std::size_t g = 0; g < this->params_.size(); ++g) {
        const SGDOptions& o = this->options_[g];
        const T lr = T(o.lr()), mu = T(o.momentum()), wd = T(o.weight_decay());
        const T one_minus_dampening = T(1.0 - o.dampening());
        const bool use_momentum = o.momentum() != 0.0, nesterov = o.nesterov();
        for (std::size_t i = 0; i < this->params_[g].size(); ++i) {
            Tensor<T>& p = this->params_[g][i];
            if (!p.has_grad()) continue;
            auto [w, grad, n] = detail::param_and_grad(p, this->name());
            if (!use_momentum) {
                // d = g + wd*w;  w = w - lr*d
                parallel::for_range(n, [&, w = w, grad = grad](std::size_t lo, std::size_t hi) {
                    for (std::size_t k = lo; k < hi; ++k) w[k] -= lr * (grad[k] + wd * w[k]);
                });
                continue;
            }
            auto& s = this->states_[g][i];
            const bool first = s.step == 0;
            if (first) this->init_state(s, p, g);
            ++s.step;
            T* buf = s.buffers[0].data();
            parallel::for_range(n, [&, w = w, grad = grad](std::size_t lo, std::size_t hi) {
                for (std::size_t k = lo; k < hi; ++k) {
                    // d = g + wd*w
                    // b = d on the first step, else b = mu*b + (1 - dampening)*d
                    // d = d + mu*b (Nesterov) or d = b;  w = w - lr*d
                    T d = grad[k] + wd * w[k];
                    buf[k] = first ? d : mu * buf[k] + one_minus_dampening * d;
                    d = nesterov ? d + mu * buf[k] : buf[k];
                    w[k] -= lr * d;
                }
            });
        }
    }
}

template <class T>
void SGD<T>::backward_and_step(const Tensor<T>& loss) {
    UpdateInBackward<T> in_backward;  // installed for this backward pass only
    for (std::size_t g = 0; g < this->params_.size(); ++g) {
        const SGDOptions& o = this->options_[g];
        if (o.momentum() != 0.0) continue;  // the momentum buffer needs the whole gradient: step() does it
        // w − lr·(g + wd·w) = (1 − lr·wd)·w − lr·g
        const T lr = T(o.lr()), decay = T(1) - lr * T(o.weight_decay());
        for (const Tensor<T>& p : this->params_[g])
            // A parameter holding an earlier gradient is left to step(), which adds the two; a frozen one is skipped.
            if (p.requires_grad() && !p.has_grad()) in_backward.add(p, lr, decay);
    }
    loss.backward();
    step();
}

template class SGD<float>;
template class SGD<double>;

}  // namespace dg::optim
