// Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), with bias correction
// and optional AMSGrad, following torch.optim.Adam / AdamW.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace dg::optim {

// Adam and AdamW take the same hyperparameters; only AdamW's weight decay default differs. Two classes
// (not one derived from the other) so that chained setters return the right type.
#define DG_ADAM_OPTIONS(Self, default_weight_decay)              \
public:                                                           \
    explicit Self(double lr = 1e-3) : lr_(lr) {}                  \
    Self& betas(double beta1, double beta2) {                     \
        beta1_ = beta1;                                           \
        beta2_ = beta2;                                           \
        return *this;                                             \
    }                                                             \
    void validate() const;                                        \
    DG_OPTIM_ARG(Self, double, lr, 1e-3);                         \
    DG_OPTIM_ARG(Self, double, beta1, 0.9);                       \
    DG_OPTIM_ARG(Self, double, beta2, 0.999);                     \
    DG_OPTIM_ARG(Self, double, eps, 1e-8);                        \
    DG_OPTIM_ARG(Self, double, weight_decay, default_weight_decay); \
    DG_OPTIM_ARG(Self, bool, amsgrad, false)

/// Adam hyperparameters: AdamOptions(1e-3).betas(0.9, 0.999).eps(1e-8).weight_decay(0).amsgrad(false).
/// beta1 and beta2 are the decays of the running averages m of g and v of g²; the step is
/// lr·m̂ / (√v̂ + eps) with the bias-corrected m̂, v̂; weight_decay adds λ·w to g; amsgrad divides by the
/// largest v̂ so far. validate(): ValueError naming "Adam" and the argument: lr, eps, weight_decay >= 0 and
/// finite; 0 <= beta1, beta2 < 1.
class AdamOptions {
    DG_ADAM_OPTIONS(AdamOptions, 0.0);  ///< the constructor (lr), validate(), and the chainable options above
};

/// AdamW hyperparameters: as Adam's (checked the same way, named "AdamW"), but the weight decay is
/// decoupled and defaults to 0.01, as in PyTorch.
class AdamWOptions {
    DG_ADAM_OPTIONS(AdamWOptions, 1e-2);  ///< the constructor (lr), validate(), and AdamOptions' chainable options
};

/// What Adam and AdamW share: the state and the update loop; `decoupled` picks AdamW's weight decay.
template <class T, class Options>
class AdamBase : public GroupedOptimizer<T, Options> {
public:
    void step() override;  ///< one Adam (AdamW) update of every parameter that has a gradient

protected:
    /// `name` prefixes errors ("Adam", "AdamW"); `params` form the first group.
    AdamBase(std::string name, std::vector<Tensor<T>> params, Options options, bool decoupled)
        : GroupedOptimizer<T, Options>(std::move(name), std::move(params), options), decoupled_(decoupled) {}
    /// "exp_avg", "exp_avg_sq", and "max_exp_avg_sq" when the group uses amsgrad.
    std::vector<std::string> state_keys(std::size_t group) const override;

private:
    bool decoupled_;
};

/// Adam. State per parameter: "exp_avg", "exp_avg_sq" (and "max_exp_avg_sq" with amsgrad).
template <class T>
class Adam : public AdamBase<T, AdamOptions> {
public:
    /// Optimizes `params` as one group with `options`.
    explicit Adam(std::vector<Tensor<T>> params, AdamOptions options = AdamOptions())
        : AdamBase<T, AdamOptions>("Adam", std::move(params), options, false) {}
};

/// AdamW: Adam with the weight decay applied to the parameter (w *= 1 - lr*wd), not to the gradient.
/// Same state as Adam.
template <class T>
class AdamW : public AdamBase<T, AdamWOptions> {
public:
    /// Optimizes `params` as one group with `options`.
    explicit AdamW(std::vector<Tensor<T>> params, AdamWOptions options = AdamWOptions())
        : AdamBase<T, AdamWOptions>("AdamW", std::move(params), options, true) {}
};

extern template class AdamBase<float, AdamOptions>;
extern template class AdamBase<double, AdamOptions>;
extern template class AdamBase<float, AdamWOptions>;
extern template class AdamBase<double, AdamWOptions>;

}  // namespace dg::optim
