// The optimizer base: parameter groups with their own options, zero_grad, per-parameter state (step count
// and buffers) and its export/import for checkpoints. Concrete update rules live in sgd, adam, rmsprop, adagrad.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

/// Declares a hyperparameter with a chainable setter and a getter, as libtorch's TORCH_ARG:
/// SGDOptions(0.1).momentum(0.9).nesterov(true).
#define DG_OPTIM_ARG(Self, Type, name, default_value) \
public:                                                 \
    Self& name(Type value) {                            \
        name##_ = value;                                \
        return *this;                                   \
    }                                                   \
    Type name() const { return name##_; }               \
                                                        \
private:                                                \
    Type name##_ = default_value

namespace dg::optim {

/// An optimizer's state as ordered (name, value) lists, ready for a checkpoint. Names follow PyTorch's
/// state_dict: "state.<i>.<buffer>" and "state.<i>.step" for parameter i (counted across groups in order),
/// "param_groups.<g>.lr" for each group's current learning rate. Only parameters that have been stepped
/// have state. Step counts are stored as double (exact up to 2^53).
template <class T>
struct OptimizerState {
    std::vector<std::pair<std::string, Array<T>>> arrays;  ///< the buffers: "state.<i>.<buffer>"
    std::vector<std::pair<std::string, double>> scalars;   ///< "state.<i>.step" and "param_groups.<g>.lr"
};

/// Base of every optimizer. Parameters are leaf tensors that require grad, organised in groups; each
/// group has its own options (see GroupedOptimizer). Tensors are handles, so the optimizer updates the
/// very tensors the model holds.
template <class T>
class Optimizer {
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// One update of every parameter that has a gradient (others are skipped, their state untouched).
    /// Runs under NoGradGuard and changes values in place.
    virtual void step() = 0;
    /// loss.backward() then step(), with the update fused into backward where the rule allows (SGD without
    /// momentum: see UpdateInBackward in nn/optim/update_in_backward.hpp). Parameters updated that way are left without a .grad.
    /// The base runs the two calls one after the other.
    virtual void backward_and_step(const Tensor<T>& loss);
    /// Sets every parameter's gradient to none (as PyTorch's zero_grad(set_to_none=True)).
    void zero_grad();

    /// "SGD", "Adam", ...: the prefix of every error message.
    const std::string& name() const { return name_; }
    std::size_t group_count() const { return params_.size(); }  ///< the number of parameter groups
    /// The parameters of one group, in the order they were given (ValueError for a bad group).
    const std::vector<Tensor<T>>& params(std::size_t group) const;
    /// Every parameter of every group, in order (a copy of the handles: for clipping, not the hot loop).
    std::vector<Tensor<T>> parameters() const;

    /// The learning rate of a group (what schedules read and write).
    virtual double lr(std::size_t group) const = 0;
    /// Changes the learning rate of a group; ValueError if negative, NaN or infinite.
    virtual void set_lr(std::size_t group, double lr) = 0;

    /// The number of updates applied to a parameter so far (0 before its first gradient).
    std::int64_t step_count(std::size_t group, std::size_t index) const;

    /// A copy of the state: step counts, buffers, group learning rates.
    OptimizerState<T> state() const;
    /// Replaces the state with `state` (from state() of an optimizer over parameters of the same shapes and
    /// options). Checked before anything changes: an unknown or missing name, a wrong shape, a negative step
    /// count or an invalid lr is a ValueError that names the entry.
    void load_state(const OptimizerState<T>& state);

protected:
    /// Per-parameter state: the step count and the optimizer's buffers (names from state_keys()), allocated
    /// on the first step of that parameter and reused afterwards.
    struct ParamState {
        std::int64_t step = 0;          ///< updates applied so far
        std::vector<Array<T>> buffers;  ///< one per state_keys() name, the parameter's shape
    };

    explicit Optimizer(std::string name) : name_(std::move(name)) {}  ///< no groups yet: see append_group
    /// Checks `params` (non-empty, defined, leaves that require grad, not already optimized) and appends
    /// them as a new group with empty state.
    void append_group(std::vector<Tensor<T>> params);
    /// The names of the buffers a parameter of `group` carries, in the order of ParamState::buffers.
    virtual std::vector<std::string> state_keys(std::size_t group) const = 0;
    /// Allocates a parameter's buffers (zeros of the parameter's shape) on its first step.
    void init_state(ParamState& state, const Tensor<T>& param, std::size_t group) const;

    std::vector<std::vector<Tensor<T>>> params_;   ///< params_[group][i]: the parameters, by group
    std::vector<std::vector<ParamState>> states_;  ///< states_[group][i]: parameter i's state

private:
    std::string name_;
};

/// An optimizer whose groups carry options of type Options (lr(), validate(), ...).
template <class T, class Options>
class GroupedOptimizer : public Optimizer<T> {
public:
    /// Adds a group with its own options (validated).
    void add_param_group(std::vector<Tensor<T>> params, Options options) {
        options.validate();
        this->append_group(std::move(params));
        options_.push_back(options);
    }
    /// Adds a group with the optimizer's default options.
    void add_param_group(std::vector<Tensor<T>> params) { add_param_group(std::move(params), defaults_); }

    /// The options given at construction (used by add_param_group without options).
    const Options& defaults() const { return defaults_; }
    /// The options of one group (std::out_of_range for a bad group).
    const Options& options(std::size_t group) const { return options_.at(group); }

    /// The learning rate of a group: its options' lr().
    double lr(std::size_t group) const override { return options_.at(group).lr(); }
    /// Sets a group's options' lr; ValueError (and nothing changed) if validate() refuses it.
    void set_lr(std::size_t group, double lr) override {
        Options changed = options_.at(group);
        changed.lr(lr);
        changed.validate();
        options_[group] = changed;
    }

protected:
    /// `name` prefixes errors; `params` form the first group with `defaults`, also used by add_param_group.
    GroupedOptimizer(std::string name, std::vector<Tensor<T>> params, Options defaults)
        : Optimizer<T>(std::move(name)), defaults_(defaults) {
        add_param_group(std::move(params), defaults);
    }

    /// The loop of a stateful step() (Adam, RMSProp, Adagrad), under NoGradGuard: for each parameter of each group
    /// that has a gradient, allocates its buffers on its first step, counts the step, then calls
    /// update(options, view, state) with the group's options, the parameter's value and gradient as flat arrays
    /// (detail::ParamView) and its state (state.step is the step being taken: 1 on the first). Defined in kernel.hpp.
    template <class Update>
    void update_each(const Update& update);

    std::vector<Options> options_;  ///< options_[group]: each group's options, validated

private:
    Options defaults_;
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace dg::optim
