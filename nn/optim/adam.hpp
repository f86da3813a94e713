// Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), with bias correction
// and optional AMSGrad, following torch.optim.Adam / AdamW.
#pragma once

#include "nn/optim/optimizer.hpp"

namespace dg::optim {

/// Adam hyperparameters: AdamOptions(1e-3).betas(0.9, 0.999).eps(1e-8).weight_decay(0).amsgrad(false).
class AdamOptions {
public:
    explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}
    AdamOptions& betas(double beta1, double beta2) {
        beta1_ = beta1;
        beta2_ = beta2;
        return *this;
    }
    /// ValueError naming the optimizer and the argument: lr, eps, weight_decay >= 0 and finite;
    /// 0 <= beta1, beta2 < 1.
    void validate() const { validate_as("Adam"); }
    void validate_as(const char* who) const;
    DG_OPTIM_ARG(AdamOptions, double, lr, 1e-3);
    DG_OPTIM_ARG(AdamOptions, double, beta1, 0.9);
    DG_OPTIM_ARG(AdamOptions, double, beta2, 0.999);
    DG_OPTIM_ARG(AdamOptions, double, eps, 1e-8);
    DG_OPTIM_ARG(AdamOptions, double, weight_decay, 0.0);
    DG_OPTIM_ARG(AdamOptions, bool, amsgrad, false);
};

/// AdamW hyperparameters: as Adam's, but weight decay is decoupled and defaults to 0.01 (as PyTorch).
class AdamWOptions : public AdamOptions {
public:
    explicit AdamWOptions(double lr = 1e-3) : AdamOptions(lr) { weight_decay(1e-2); }
    void validate() const { validate_as("AdamW"); }
};

/// What Adam and AdamW share: the state and the update loop; `decoupled` picks AdamW's weight decay.
template <class T, class Options>
class AdamBase : public GroupedOptimizer<T, Options> {
public:
    void step() override;

protected:
    AdamBase(std::string name, std::vector<Tensor<T>> params, Options options, bool decoupled)
        : GroupedOptimizer<T, Options>(std::move(name), std::move(params), options), decoupled_(decoupled) {}
    std::vector<std::string> state_keys(std::size_t group) const override;

private:
    bool decoupled_;
};

/// Adam. State per parameter: "exp_avg", "exp_avg_sq" (and "max_exp_avg_sq" with amsgrad).
template <class T>
class Adam : public AdamBase<T, AdamOptions> {
public:
    explicit Adam(std::vector<Tensor<T>> params, AdamOptions options = AdamOptions())
        : AdamBase<T, AdamOptions>("Adam", std::move(params), options, false) {}
};

/// AdamW: Adam with the weight decay applied to the parameter (w *= 1 - lr*wd), not to the gradient.
/// Same state as Adam.
template <class T>
class AdamW : public AdamBase<T, AdamWOptions> {
public:
    explicit AdamW(std::vector<Tensor<T>> params, AdamWOptions options = AdamWOptions())
        : AdamBase<T, AdamWOptions>("AdamW", std::move(params), options, true) {}
};

extern template class AdamBase<float, AdamOptions>;
extern template class AdamBase<double, AdamOptions>;
extern template class AdamBase<float, AdamWOptions>;
extern template class AdamBase<double, AdamWOptions>;

}  // namespace dg::optim
