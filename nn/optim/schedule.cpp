// Learning-rate schedules: the closed-form formulas, the warmup factor and the epoch bookkeeping.
#include "nn/optim/schedule.hpp"

#include <algorithm>
#include <cmath>

#include "autograd/array/errors.hpp"
#include "nn/optim/check.hpp"

namespace dg::optim {

template <class T>
LrSchedule<T>::LrSchedule(Optimizer<T>& optimizer, std::string name)
    : optimizer_(optimizer), name_(std::move(name)) {
    for (std::size_t g = 0; g < optimizer_.group_count(); ++g) base_lrs_.push_back(optimizer_.lr(g));
}

template <class T>
void LrSchedule<T>::step() {
    ++epoch_;
    apply();
}

template <class T>
void LrSchedule<T>::set_epoch(std::int64_t epoch) {
    if (epoch < 0) detail::invalid(name_, "epoch", double(epoch), "an epoch >= 0");
    epoch_ = epoch;
    apply();
}

template <class T>
std::vector<double> LrSchedule<T>::last_lrs() const {
    std::vector<double> lrs;
    for (std::size_t g = 0; g < optimizer_.group_count(); ++g) lrs.push_back(optimizer_.lr(g));
    return lrs;
}

template <class T>
LrSchedule<T>& LrSchedule<T>::warmup(std::int64_t steps, double start_factor) {
    if (steps < 1) detail::invalid(name_, "warmup steps", double(steps), "steps >= 1");
    if (!(start_factor > 0.0 && start_factor <= 1.0))
        detail::invalid(name_, "warmup start_factor", start_factor, "0 < start_factor <= 1");
    warmup_steps_ = steps;
    warmup_start_ = start_factor;
    apply();
    return *this;
}

template <class T>
double LrSchedule<T>::lr_at(double base_lr, std::int64_t epoch) const {
    double factor = 1.0;
    if (warmup_steps_ > 0)
        factor = warmup_start_ + (1.0 - warmup_start_) * double(std::min(epoch, warmup_steps_)) / double(warmup_steps_);
    return factor * schedule(base_lr, epoch);
}

template <class T>
void LrSchedule<T>::apply() {
    // A group added to the optimizer after the schedule was made starts from its lr at that moment.
    for (std::size_t g = base_lrs_.size(); g < optimizer_.group_count(); ++g) base_lrs_.push_back(optimizer_.lr(g));
    for (std::size_t g = 0; g < optimizer_.group_count(); ++g) optimizer_.set_lr(g, lr_at(base_lrs_[g], epoch_));
}

template <class T>
StepLR<T>::StepLR(Optimizer<T>& optimizer, std::int64_t step_size, double gamma)
    : LrSchedule<T>(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
    if (step_size < 1) detail::invalid(this->name(), "step_size", double(step_size), "step_size >= 1");
    detail::check_non_negative(this->name(), "gamma", gamma);
}

template <class T>
double StepLR<T>::schedule(double base_lr, std::int64_t epoch) const {
    return base_lr * std::pow(gamma_, double(epoch / step_size_));
}

template <class T>
ExponentialLR<T>::ExponentialLR(Optimizer<T>& optimizer, double gamma)
    : LrSchedule<T>(optimizer, "ExponentialLR"), gamma_(gamma) {
    detail::check_non_negative(this->name(), "gamma", gamma);
}

template <class T>
double ExponentialLR<T>::schedule(double base_lr, std::int64_t epoch) const {
    return base_lr * std::pow(gamma_, double(epoch));
}

template <class T>
CosineAnnealingLR<T>::CosineAnnealingLR(Optimizer<T>& optimizer, std::int64_t t_max, double eta_min)
    : LrSchedule<T>(optimizer, "CosineAnnealingLR"), t_max_(t_max), eta_min_(eta_min) {
    if (t_max < 1) detail::invalid(this->name(), "T_max", double(t_max), "T_max >= 1");
    detail::check_non_negative(this->name(), "eta_min", eta_min);
}

template <class T>
double CosineAnnealingLR<T>::schedule(double base_lr, std::int64_t epoch) const {
    const double pi = 3.14159265358979323846;
    return eta_min_ + (base_lr - eta_min_) * (1.0 + std::cos(pi * double(epoch) / double(t_max_))) / 2.0;
}

template class LrSchedule<float>;
template class LrSchedule<double>;
template class StepLR<float>;
template class StepLR<double>;
template class ExponentialLR<float>;
template class ExponentialLR<double>;
template class CosineAnnealingLR<float>;
template class CosineAnnealingLR<double>;

}  // namespace dg::optim
