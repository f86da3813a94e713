// The optimizer base: parameter checks, zero_grad, state allocation, and the export/import of state with
// validation (see optimizer.hpp for the naming scheme).
#include "nn/optim/optimizer.hpp"

#include <cmath>
#include <map>
#include <set>

#include "autograd/array/errors.hpp"
#include "nn/optim/check.hpp"

namespace dg::optim {

template <class T>
void Optimizer<T>::backward_and_step(const Tensor<T>& loss) {
    loss.backward();
    step();
}

template <class T>
void Optimizer<T>::zero_grad() {
    for (auto& group : params_)
        for (auto& p : group) p.zero_grad();
}

template <class T>
const std::vector<Tensor<T>>& Optimizer<T>::params(std::size_t group) const {
    if (group >= params_.size())
        throw ValueError(name_ + ": group " + std::to_string(group) + " out of range (" +
                         std::to_string(params_.size()) + " groups)");
    return params_[group];
}

template <class T>
std::vector<Tensor<T>> Optimizer<T>::parameters() const {
    std::vector<Tensor<T>> all;
    for (const auto& group : params_) all.insert(all.end(), group.begin(), group.end());
    return all;
}

template <class T>
std::int64_t Optimizer<T>::step_count(std::size_t group, std::size_t index) const {
    if (group >= states_.size() || index >= states_[group].size())
        throw ValueError(name_ + ": no parameter " + std::to_string(index) + " in group " + std::to_string(group));
    return states_[group][index].step;
}

template <class T>
void Optimizer<T>::append_group(std::vector<Tensor<T>> params) {
    const std::string where = " of group " + std::to_string(params_.size());
    if (params.empty()) throw ValueError(name_ + ": parameter group " + std::to_string(params_.size()) + " is empty");
    std::set<const Node<T>*> seen;
    for (const auto& group : params_)
        for (const auto& p : group) seen.insert(p.node());
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Tensor<T>& p = params[i];
        const std::string which = name_ + ": parameter " + std::to_string(i) + where;
        if (!p.defined()) throw ValueError(which + " is undefined");
        if (!p.requires_grad())
            throw ValueError(which + " (shape " + shape_str(p.shape()) + ") does not require grad");
        if (!p.is_leaf())
            throw ValueError(which + " is not a leaf (made by " + p.op() + "); optimizers update leaves only");
        // The same tensor twice would be updated twice per step.
        if (!seen.insert(p.node()).second) throw ValueError(which + " appears more than once in the optimizer");
    }
    states_.emplace_back(params.size());
    params_.push_back(std::move(params));
}

template <class T>
void Optimizer<T>::init_state(ParamState& state, const Tensor<T>& param, std::size_t group) const {
    const std::size_t count = state_keys(group).size();
    state.buffers.clear();
    state.buffers.reserve(count);
    for (std::size_t k = 0; k < count; ++k) {
        Array<T> buffer = Array<T>::from_shape(param.shape());
        buffer.fill(T(0));
        state.buffers.push_back(std::move(buffer));
    }
}

template <class T>
OptimizerState<T> Optimizer<T>::state() const {
    OptimizerState<T> out;
    for (std::size_t g = 0; g < params_.size(); ++g)
        out.scalars.emplace_back("param_groups." + std::to_string(g) + ".lr", lr(g));
    std::size_t index = 0;
    for (std::size_t g = 0; g < params_.size(); ++g) {
        const auto keys = state_keys(g);
        for (std::size_t i = 0; i < params_[g].size(); ++i, ++index) {
            const ParamState& s = states_[g][i];
            if (s.step == 0) continue;
            const std::string prefix = "state." + std::to_string(index) + ".";
            out.scalars.emplace_back(prefix + "step", static_cast<double>(s.step));
            for (std::size_t k = 0; k < keys.size(); ++k) out.arrays.emplace_back(prefix + keys[k], s.buffers[k]);
        }
    }
    return out;
}

template <class T>
void Optimizer<T>::load_state(const OptimizerState<T>& state) {
    const std::string who = name_ + ": load_state";
    // Index the entries by name; every one must be used exactly once.
    std::map<std::string, const Array<T>*> arrays;
    std::map<std::string, double> scalars;
    for (const auto& [key, value] : state.arrays)
        if (!arrays.emplace(key, &value).second) throw ValueError(who + ": duplicate entry '" + key + "'");
    for (const auto& [key, value] : state.scalars)
        if (!scalars.emplace(key, value).second) throw ValueError(who + ": duplicate entry '" + key + "'");

    std::vector<double> lrs(params_.size());
    for (std::size_t g = 0; g < params_.size(); ++g) {
        const std::string key = "param_groups." + std::to_string(g) + ".lr";
        auto it = scalars.find(key);
        if (it == scalars.end()) throw ValueError(who + ": missing '" + key + "'");
        detail::check_non_negative(who, key.c_str(), it->second);
        lrs[g] = it->second;
        scalars.erase(it);
    }

    // Build the new state completely before touching the current one, so a bad entry changes nothing.
    std::vector<std::vector<ParamState>> loaded(params_.size());
    std::size_t index = 0;
    for (std::size_t g = 0; g < params_.size(); ++g) {
        const auto keys = state_keys(g);
        loaded[g].resize(params_[g].size());
        for (std::size_t i = 0; i < params_[g].size(); ++i, ++index) {
            const std::string prefix = "state." + std::to_string(index) + ".";
            auto step = scalars.find(prefix + "step");
            if (step == scalars.end()) {
                // No step: this parameter has not been updated yet, so it must have no buffers either.
                for (const auto& k : keys)
                    if (arrays.count(prefix + k))
                        throw ValueError(who + ": '" + prefix + k + "' given without '" + prefix + "step'");
                continue;
            }
            const double count = step->second;
            if (!(count >= 1.0 && count <= 9007199254740992.0 && std::floor(count) == count))
                throw ValueError(who + ": '" + prefix + "step' is " + std::to_string(count) +
                                 " (expected a whole number >= 1)");
            scalars.erase(step);
            ParamState& s = loaded[g][i];
            s.step = static_cast<std::int64_t>(count);
            const Shape shape = params_[g][i].shape();
            for (const auto& k : keys) {
                auto it = arrays.find(prefix + k);
                if (it == arrays.end()) throw ValueError(who + ": missing '" + prefix + k + "'");
                const Shape got = shape_of(*it->second);
                if (got != shape)
                    throw ValueError(who + ": '" + prefix + k + "' has shape " + shape_str(got) + ", parameter " +
                                     std::to_string(index) + " has shape " + shape_str(shape));
                s.buffers.push_back(*it->second);
                arrays.erase(it);
            }
        }
    }
    if (!arrays.empty()) throw ValueError(who + ": unknown entry '" + arrays.begin()->first + "'");
    if (!scalars.empty()) throw ValueError(who + ": unknown entry '" + scalars.begin()->first + "'");

    for (std::size_t g = 0; g < params_.size(); ++g) set_lr(g, lrs[g]);
    states_ = std::move(loaded);
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace dg::optim
