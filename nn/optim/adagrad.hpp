// Adagrad with learning-rate decay and an initial accumulator value, following torch.optim.Adagrad.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace dg::optim {

/// Adagrad hyperparameters: AdagradOptions(1e-2).lr_decay(0).initial_accumulator_value(0).eps(1e-10).
class AdagradOptions {
public:
    explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}  ///< every other option at its default
    /// ValueError naming "Adagrad" and the argument: every value >= 0 and finite.
    void validate() const;
    DG_OPTIM_ARG(AdagradOptions, double, lr, 1e-2);  ///< the step size: w ← w − lr_t·g / (√sum + eps)
    /// lr_t = lr / (1 + (t − 1)·lr_decay) at step t.
    DG_OPTIM_ARG(AdagradOptions, double, lr_decay, 0.0);
    DG_OPTIM_ARG(AdagradOptions, double, weight_decay, 0.0);  ///< λ: λ·w is added to g (L2)
    /// Where "sum", the running Σ g², starts.
    DG_OPTIM_ARG(AdagradOptions, double, initial_accumulator_value, 0.0);
    DG_OPTIM_ARG(AdagradOptions, double, eps, 1e-10);  ///< added to √sum, so the step stays finite
};

/// Adagrad. State per parameter: "sum" (starts at initial_accumulator_value on the first step).
template <class T>
class Adagrad : public GroupedOptimizer<T, AdagradOptions> {
public:
    /// Optimizes `params` as one group with `options`.
    explicit Adagrad(std::vector<Tensor<T>> params, AdagradOptions options = AdagradOptions())
        : GroupedOptimizer<T, AdagradOptions>("Adagrad", std::move(params), options) {}
    void step() override;  ///< one Adagrad update of every parameter that has a gradient

protected:
    std::vector<std::string> state_keys(std::size_t group) const override;
};

extern template class Adagrad<float>;
extern template class Adagrad<double>;

}  // namespace dg::optim
