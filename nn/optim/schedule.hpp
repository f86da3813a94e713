// Learning-rate schedules: step decay, exponential decay and cosine annealing, each optionally multiplied
// by a linear warmup. A schedule sets its optimizer's group learning rates from a closed-form formula.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/optim/optimizer.hpp"

namespace dg::optim {

/// Base of the schedules. At construction it records each group's lr as its base lr (epoch 0); every
/// step() advances the epoch by one and sets lr_g = warmup(epoch) * schedule(base_lr_g, epoch).
/// Call it once per epoch (or per iteration), after optimizer.step(), as in PyTorch.
/// The optimizer must outlive the schedule.
template <class T>
class LrSchedule {
public:
    virtual ~LrSchedule() = default;
    LrSchedule(const LrSchedule&) = delete;
    LrSchedule& operator=(const LrSchedule&) = delete;

    /// Advances one epoch and sets the optimizer's learning rates.
    void step();
    /// The number of step() calls so far (PyTorch's last_epoch).
    std::int64_t epoch() const { return epoch_; }
    /// Jumps to `epoch` and sets the learning rates (to resume from a checkpoint).
    void set_epoch(std::int64_t epoch);
    /// The learning rate of each group at epoch 0.
    const std::vector<double>& base_lrs() const { return base_lrs_; }
    /// The learning rate of each group at the current epoch, as set on the optimizer.
    std::vector<double> last_lrs() const;

    /// Multiplies the schedule by a linear warmup over `steps` epochs (PyTorch's LinearLR with end factor 1):
    /// factor(e) = start_factor + (1 - start_factor) * min(e, steps) / steps. It runs alongside the schedule
    /// (as ChainedScheduler), not before it. steps >= 1, 0 < start_factor <= 1. Sets the current lrs.
    LrSchedule& warmup(std::int64_t steps, double start_factor = 1.0 / 3.0);

    /// The learning rate this schedule gives a group with base lr `base_lr` at `epoch` (warmup included).
    double lr_at(double base_lr, std::int64_t epoch) const;

protected:
    /// Takes each group's current lr as its base lr; `name` ("StepLR", ...) prefixes errors.
    LrSchedule(Optimizer<T>& optimizer, std::string name);
    /// The schedule's own formula, without warmup.
    virtual double schedule(double base_lr, std::int64_t epoch) const = 0;
    const std::string& name() const { return name_; }  ///< "StepLR", ...: the prefix of error messages

private:
    void apply();

    Optimizer<T>& optimizer_;
    std::string name_;
    std::vector<double> base_lrs_;
    std::int64_t epoch_ = 0;
    std::int64_t warmup_steps_ = 0;
    double warmup_start_ = 1.0;
};

/// lr = base_lr * gamma^floor(epoch / step_size)   (torch.optim.lr_scheduler.StepLR)
template <class T>
class StepLR : public LrSchedule<T> {
public:
    /// step_size >= 1 epochs between decays, gamma >= 0 (ValueError otherwise).
    StepLR(Optimizer<T>& optimizer, std::int64_t step_size, double gamma = 0.1);

protected:
    double schedule(double base_lr, std::int64_t epoch) const override;

private:
    std::int64_t step_size_;
    double gamma_;
};

/// lr = base_lr * gamma^epoch   (torch.optim.lr_scheduler.ExponentialLR)
template <class T>
class ExponentialLR : public LrSchedule<T> {
public:
    /// gamma >= 0, the factor per epoch (ValueError otherwise).
    ExponentialLR(Optimizer<T>& optimizer, double gamma);

protected:
    double schedule(double base_lr, std::int64_t epoch) const override;

private:
    double gamma_;
};

/// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
/// (torch.optim.lr_scheduler.CosineAnnealingLR's closed form; past T_max the cosine rises again, as there).
template <class T>
class CosineAnnealingLR : public LrSchedule<T> {
public:
    /// t_max >= 1 epochs from base_lr down to eta_min >= 0 (ValueError otherwise).
    CosineAnnealingLR(Optimizer<T>& optimizer, std::int64_t t_max, double eta_min = 0.0);

protected:
    double schedule(double base_lr, std::int64_t epoch) const override;

private:
    std::int64_t t_max_;
    double eta_min_;
};

extern template class LrSchedule<float>;
extern template class LrSchedule<double>;
extern template class StepLR<float>;
extern template class StepLR<double>;
extern template class ExponentialLR<float>;
extern template class ExponentialLR<double>;
extern template class CosineAnnealingLR<float>;
extern template class CosineAnnealingLR<double>;

}  // namespace dg::optim
