// The raw-array view an update loop works on (the parameter's value, mutable under NoGradGuard, and its gradient as
// flat pointers) and the loop over the parameters that the stateful optimizers share. Internal to the optimizers.
#pragma once

#include <cstddef>
#include <string>

#include "autograd/array/errors.hpp"
#include "autograd/engine.hpp"
#include "autograd/tensor.hpp"
#include "nn/optim/optimizer.hpp"

namespace dg::optim::detail {

/// A parameter's values and gradient as flat arrays.
template <class T>
struct ParamView {
    T* w;           // the parameter's values, changed in place
    const T* grad;  // its gradient
    std::size_t n;  // element count of both
};

/// The value and gradient of `p` as flat arrays (both row-major, contiguous). Call under NoGradGuard:
/// mutable_value() refuses to change a leaf that requires grad while grad mode is on.
template <class T>
ParamView<T> param_and_grad(Tensor<T>& p, const std::string& who) {
    const Array<T>& grad = p.grad().value();
    Array<T>& value = p.mutable_value();
    if (grad.size() != value.size())
        throw ShapeError(who + ": gradient of shape " + shape_str(shape_of(grad)) + " for a parameter of shape " +
                         shape_str(shape_of(value)));
    return {value.data(), grad.data(), value.size()};
}

}  // namespace dg::optim::detail

namespace dg::optim {

template <class T, class Options>
template <class Update>
void GroupedOptimizer<T, Options>::update_each(const Update& update) {
    NoGradGuard no_grad;
    for (std::size_t g = 0; g < this->params_.size(); ++g)
        for (std::size_t i = 0; i < this->params_[g].size(); ++i) {
            Tensor<T>& p = this->params_[g][i];
            if (!p.has_grad()) continue;
            const detail::ParamView<T> view = detail::param_and_grad(p, this->name());
            auto& state = this->states_[g][i];
            if (state.step == 0) this->init_state(state, p, g);
            ++state.step;
            update(options_[g], view, state);
        }
}

}  // namespace dg::optim
