// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
// following torch.optim.SGD's update exactly.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace dg::optim {

/// SGD hyperparameters: SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(1e-4).
class SGDOptions {
public:
    explicit SGDOptions(double lr) : lr_(lr) {}  ///< every other option at its default
    /// ValueError naming "SGD" and the argument: lr, weight_decay >= 0 and finite; 0 <= momentum < 1;
    /// 0 <= dampening <= 1; nesterov needs momentum > 0 and dampening = 0.
    void validate() const;
    DG_OPTIM_ARG(SGDOptions, double, lr, 0.0);            ///< the step size: w ← w − lr·d
    DG_OPTIM_ARG(SGDOptions, double, momentum, 0.0);      ///< μ in b ← μ·b + (1 − dampening)·g; 0: d = g
    DG_OPTIM_ARG(SGDOptions, double, dampening, 0.0);     ///< how much less of each new g goes into b
    DG_OPTIM_ARG(SGDOptions, double, weight_decay, 0.0);  ///< λ: λ·w is added to g (L2)
    DG_OPTIM_ARG(SGDOptions, bool, nesterov, false);      ///< d = g + μ·b instead of d = b
};

/// SGD. State per parameter (momentum > 0 only): "momentum_buffer".
template <class T>
class SGD : public GroupedOptimizer<T, SGDOptions> {
public:
    /// Optimizes `params` as one group with `options` (SGD has no default learning rate).
    SGD(std::vector<Tensor<T>> params, SGDOptions options);
    void step() override;
    /// Groups without momentum are updated inside backward (UpdateInBackward: for a linear layer's weight the
    /// update is the gradient GEMM itself, as in the delta reference's step), and their parameters keep no
    /// .grad. Momentum groups, and parameters that already hold a gradient, get the usual step() afterwards.
    void backward_and_step(const Tensor<T>& loss) override;

protected:
    std::vector<std::string> state_keys(std::size_t group) const override;
};

extern template class SGD<float>;
extern template class SGD<double>;

}  // namespace dg::optim
