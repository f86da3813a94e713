// RMSProp with optional momentum and the centered variant, following torch.optim.RMSprop.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace dg::optim {

/// RMSProp hyperparameters: RMSPropOptions(1e-2).alpha(0.99).eps(1e-8).momentum(0).centered(false).
class RMSPropOptions {
public:
    explicit RMSPropOptions(double lr = 1e-2) : lr_(lr) {}
    /// ValueError naming "RMSProp" and the argument: lr, eps, weight_decay >= 0 and finite;
    /// 0 <= alpha < 1 (alpha = 1 would never move the average off zero); 0 <= momentum < 1.
    void validate() const;
    DG_OPTIM_ARG(RMSPropOptions, double, lr, 1e-2);
    DG_OPTIM_ARG(RMSPropOptions, double, alpha, 0.99);
    DG_OPTIM_ARG(RMSPropOptions, double, eps, 1e-8);
    DG_OPTIM_ARG(RMSPropOptions, double, weight_decay, 0.0);
    DG_OPTIM_ARG(RMSPropOptions, double, momentum, 0.0);
    DG_OPTIM_ARG(RMSPropOptions, bool, centered, false);
};

/// RMSProp. State per parameter: "square_avg", then "momentum_buffer" (momentum > 0) and "grad_avg"
/// (centered).
template <class T>
class RMSProp : public GroupedOptimizer<T, RMSPropOptions> {
public:
    explicit RMSProp(std::vector<Tensor<T>> params, RMSPropOptions options = RMSPropOptions())
        : GroupedOptimizer<T, RMSPropOptions>("RMSProp", std::move(params), options) {}
    void step() override;

protected:
    std::vector<std::string> state_keys(std::size_t group) const override;
};

extern template class RMSProp<float>;
extern template class RMSProp<double>;

}  // namespace dg::optim
