// RMSProp with optional momentum and the centered variant, following torch.optim.RMSprop.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace dg::optim {

/// RMSProp hyperparameters: RMSPropOptions(1e-2).alpha(0.99).eps(1e-8).momentum(0).centered(false).
class RMSPropOptions {
public:
    explicit RMSPropOptions(double lr = 1e-2) : lr_(lr) {}  ///< every other option at its default
    /// ValueError naming "RMSProp" and the argument: lr, eps, weight_decay >= 0 and finite;
    /// 0 <= alpha < 1 (alpha = 1 would never move the average off zero); 0 <= momentum < 1.
    void validate() const;
    DG_OPTIM_ARG(RMSPropOptions, double, lr, 1e-2);          ///< the step size: w ← w − lr·g / (√v + eps)
    DG_OPTIM_ARG(RMSPropOptions, double, alpha, 0.99);       ///< the decay of v ← α·v + (1 − α)·g²
    DG_OPTIM_ARG(RMSPropOptions, double, eps, 1e-8);         ///< added to √v, so the step stays finite
    DG_OPTIM_ARG(RMSPropOptions, double, weight_decay, 0.0); ///< λ: λ·w is added to g (L2)
    DG_OPTIM_ARG(RMSPropOptions, double, momentum, 0.0);     ///< μ: b ← μ·b + g / (√v + eps), w ← w − lr·b
    DG_OPTIM_ARG(RMSPropOptions, bool, centered, false);     ///< divide by √(v − ḡ²), ḡ the average of g
};

/// RMSProp. State per parameter: "square_avg", then "momentum_buffer" (momentum > 0) and "grad_avg"
/// (centered).
template <class T>
class RMSProp : public GroupedOptimizer<T, RMSPropOptions> {
public:
    /// Optimizes `params` as one group with `options`.
    explicit RMSProp(std::vector<Tensor<T>> params, RMSPropOptions options = RMSPropOptions())
        : GroupedOptimizer<T, RMSPropOptions>("RMSProp", std::move(params), options) {}
    void step() override;  ///< one RMSProp update of every parameter that has a gradient

protected:
    std::vector<std::string> state_keys(std::size_t group) const override;
};

extern template class RMSProp<float>;
extern template class RMSProp<double>;

}  // namespace dg::optim
