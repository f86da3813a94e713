// Module<T>: the base of every layer. Owns parameters and submodules registered by name, knows its dotted
// path in the tree (for error messages), propagates train/eval, and prints a summary with parameter counts.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace dg::nn {

/// The base class of layers and models, in the manner of libtorch's torch::nn::Module.
///
/// Modules are held by std::shared_ptr and are not copyable. Parameters are Tensor handles: the handle a
/// layer keeps (e.g. Linear::weight()) and the one in the registry alias the same value, so an optimizer
/// that changes parameters() in place (under a NoGradGuard) changes the layer's weights.
///
/// Each module knows its path: "" for a root, "fc2" for a child registered as "fc2", "encoder.fc2" below
/// that. Errors raised by a module start with where(), e.g. `fc2 (Linear 128→10): ...`.
template <class T>
class Module {
public:
    using Ptr = std::shared_ptr<Module<T>>;

    virtual ~Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    /// The computation of this module. The base class has none (it is a plain container) and throws.
    virtual Tensor<T> forward(const Tensor<T>& x);
    /// Runs forward() and remembers the output's shape for the summary. Containers call children this way.
    Tensor<T> operator()(const Tensor<T>& x);

    /// Registers a parameter under `name` (no '.', unique among this module's parameters and children).
    /// It becomes a leaf that requires grad (unless requires_grad is false: a frozen parameter) and is
    /// labelled with its full path. Returns the handle, which aliases the registered one.
    Tensor<T> register_parameter(const std::string& name, Tensor<T> value, bool requires_grad = true);

    /// Registers a child module under `name` and sets its path (recursively). Returns the same pointer.
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
        register_child(name, module);
        return module;
    }

    /// Parameters of this module and (if recurse) of all descendants, with dotted names relative to this
    /// module ("fc1.weight"), in registration order, depth first.
    std::vector<std::pair<std::string, Tensor<T>>> named_parameters(bool recurse = true) const;
    std::vector<Tensor<T>> parameters(bool recurse = true) const;
    /// The parameter at a dotted name; ValueError listing the known names otherwise.
    Tensor<T> parameter(const std::string& dotted_name) const;
    /// Direct children, in registration order.
    const std::vector<std::pair<std::string, Ptr>>& named_children() const { return children_; }
    /// All descendants (not this module), depth first, with dotted names relative to this module.
    std::vector<std::pair<std::string, Ptr>> named_modules() const;

    /// Forgets every parameter's gradient (recursively).
    void zero_grad();
    /// Sets training mode on this module and every descendant (Dropout is the identity in eval mode).
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    /// Number of parameter elements, recursively; trainable_only counts those that require grad.
    std::size_t num_parameters(bool trainable_only = false) const;

    /// The dotted path of this module in its tree ("" for a root).
    const std::string& path() const { return path_; }
    /// The class name: "Linear", "Sequential", ...
    virtual std::string type_name() const { return "Module"; }
    /// The class name with its configuration: "Linear 784→100". Defaults to type_name().
    virtual std::string describe() const { return type_name(); }
    /// How errors name this module: "fc2 (Linear 128→10)", or just describe() for a root.
    std::string where() const;
    /// The output shape of the last call through operator(), if any.
    const std::optional<Shape>& last_output_shape() const { return last_output_shape_; }
    /// The output shape as far as it is known without a forward pass ("[*, 100]"); "" when unknown.
    virtual std::string output_shape_hint() const { return ""; }

    /// A table: one row per module (indented by depth) with its description, output shape and parameter
    /// count, then the totals (all parameters and trainable ones).
    std::string to_string() const;

protected:
    Module() = default;

private:
    void register_child(const std::string& name, Ptr module);
    void check_new_name(const std::string& name, const char* what) const;
    void set_path(const std::string& path);

    std::string path_;
    std::string name_;  // the last part of path_: the name scope this module opens
    bool training_ = true;
    std::optional<Shape> last_output_shape_;
    std::vector<std::pair<std::string, Tensor<T>>> parameters_;
    std::vector<std::pair<std::string, Ptr>> children_;
};

/// Prints Module::to_string().
template <class T>
std::ostream& operator<<(std::ostream& out, const Module<T>& module);

extern template class Module<float>;
extern template class Module<double>;

}  // namespace dg::nn
