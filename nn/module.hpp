// Module<T>: the base of every layer. Owns parameters, buffers and submodules registered by name, knows its dotted
// path in the tree (for error messages and name scopes), propagates train/eval, deep-copies itself (clone) and prints
// a summary with parameter counts. Cloneable<Self, T> is the base of module classes: any forward signature, clone().
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/inspect/name_scope.hpp"
#include "autograd/tensor.hpp"

namespace dg::nn {

template <class Self, class T, class Base>
class Cloneable;

/// The base class of layers and models, in the manner of libtorch's torch::nn::Module.
///
/// Modules are held by std::shared_ptr. Parameters are Tensor handles: the handle a layer keeps (e.g.
/// Linear::weight()) and the one in the registry alias the same value, so an optimizer that changes parameters() in
/// place (under a NoGradGuard) changes the layer's weights.
///
/// Each module knows its path: "" for a root, "fc2" for a child registered as "fc2", "encoder.fc2" below that.
/// Errors raised by a module start with where(), e.g. `fc2 (Linear 128→10): ...`, and every op recorded while it
/// runs is labelled with its path (anomaly errors, backward traces, graph pictures).
///
/// **Forward with any signature.** A module class derives from Cloneable<Self, T> (below) and declares `forward`
/// with the arguments and result it needs; `(*m)(args...)` calls it inside the module's name scope. A recurrent
/// layer takes an initial state and returns the outputs and the last state:
///
///     template <class T>
///     class Elman : public nn::Cloneable<Elman<T>, T> {  // h_t = tanh(x_t·W_xhᵀ + h_{t−1}·W_hhᵀ + b)
///     public:
///         Elman(std::size_t in, std::size_t hidden, Generator& gen)
///             : xh_(this->register_module("xh", std::make_shared<nn::Linear<T>>(in, hidden, gen))),
///               hh_(this->register_module("hh", std::make_shared<nn::Linear<T>>(hidden, hidden, gen))) {}
///         // clone() copies the registry; members that point into it are taken from the copy's own
///         Elman(const Elman& other)
///             : nn::Cloneable<Elman<T>, T>(other), xh_(this->template child<nn::Linear<T>>("xh")),
///               hh_(this->template child<nn::Linear<T>>("hh")) {}
///         /// x [batch, time, in], h0 [batch, hidden] → (outputs [batch, time, hidden], h_n [batch, hidden])
///         std::pair<Tensor<T>, Tensor<T>> forward(const Tensor<T>& x, Tensor<T> h) {
///             std::vector<Tensor<T>> outputs;
///             for (const Tensor<T>& x_t : chunk(x, x.shape()[1], 1))  // one [batch, 1, in] slice per step
///                 outputs.push_back(h = tanh((*xh_)(squeeze(x_t, 1)) + (*hh_)(h)));
///             return {stack(outputs, 1), h};
///         }
///         std::string type_name() const override { return "Elman"; }
///     private:
///         std::shared_ptr<nn::Linear<T>> xh_, hh_;
///     };
///
///     auto rnn = model.register_module("rnn", std::make_shared<Elman<float>>(8, 16, gen));
///     auto [out, h_n] = (*rnn)(x, h0);  // ops inside are labelled "rnn.xh", "rnn.hh", ...
///
/// Such a module is a child like any other: its parameters and buffers are the parent's "rnn.xh.weight", ...;
/// train()/eval(), checkpoints and clone() reach it. The result may be a Tensor, a std::pair or std::tuple (the
/// summary shows the shape of its first tensor), or a struct of the module's own (`auto [out, h, c] = ...`).
/// Only a module with `forward(const Tensor<T>&)` (overriding the virtual one below) can sit in a Sequential or be
/// called through a Module<T>&; the others are called through their own class, as above. Why a base template rather
/// than a virtual function: C++ has no virtual function of any signature, and libtorch's answer (ModuleHolder's
/// operator() forwarding to the Impl's forward) needs the concrete class too; here it is the CRTP parameter.
template <class T>
class Module {
public:
    using Ptr = std::shared_ptr<Module<T>>;  ///< how modules are held
    using value_type = T;                    ///< the element type of its tensors (float or double)

    virtual ~Module() = default;
    /// Not copyable by assignment or by accident: copy a module with clone().
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    /// The single-tensor computation, what Sequential and a call through Module<T>& run. The base class has none
    /// (a plain container, or a module whose forward takes other arguments) and throws ValueError.
    virtual Tensor<T> forward(const Tensor<T>& x);
    /// Runs forward(x) in this module's name scope and remembers the output's shape for the summary. Containers call
    /// children this way.
    Tensor<T> operator()(const Tensor<T>& x);

    /// Registers a parameter under `name` (no '.', unique among this module's parameters, buffers and children).
    /// It becomes a leaf that requires grad (unless requires_grad is false: a frozen parameter) and is labelled with
    /// its full path. Returns the handle, which aliases the registered one.
    Tensor<T> register_parameter(const std::string& name, Tensor<T> value, bool requires_grad = true);

    /// Registers a buffer under `name` (the same naming rules): state that is not trained, e.g. BatchNorm's
    /// running_mean. It is a leaf that never requires grad (a tensor that requires grad, or a graph's node, is
    /// copied first), not in parameters() (optimizers never see it), listed by named_buffers(), copied by clone(),
    /// and, when persistent, saved and loaded by checkpoints under its dotted name (PyTorch's state_dict name).
    /// Update it in place under a NoGradGuard (`b.mutable_value() = ...`): the handle the layer keeps and the
    /// registry's alias the same value. Returns that handle.
    Tensor<T> register_buffer(const std::string& name, Tensor<T> value, bool persistent = true);

    /// Registers a child module under `name` and sets its path (recursively). Returns the same pointer.
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
        register_child(name, module);
        return module;
    }

    /// Parameters of this module and (if recurse) of all descendants, with dotted names relative to this
    /// module ("fc1.weight"), in registration order, depth first.
    std::vector<std::pair<std::string, Tensor<T>>> named_parameters(bool recurse = true) const;
    /// The tensors of named_parameters().
    std::vector<Tensor<T>> parameters(bool recurse = true) const;
    /// The parameter at a dotted name; ValueError listing the known names otherwise.
    Tensor<T> parameter(const std::string& dotted_name) const;

    /// Buffers (persistent or not) of this module and (if recurse) of all descendants, dotted names, in registration
    /// order, depth first.
    std::vector<std::pair<std::string, Tensor<T>>> named_buffers(bool recurse = true) const;
    /// The buffer at a dotted name; ValueError listing the known names otherwise.
    Tensor<T> buffer(const std::string& dotted_name) const;
    /// What a checkpoint holds, as PyTorch's state_dict: per module, depth first, its parameters and then its
    /// persistent buffers, with dotted names ("fc1.weight", "bn.running_mean").
    std::vector<std::pair<std::string, Tensor<T>>> state_dict() const;

    /// Direct children, in registration order.
    const std::vector<std::pair<std::string, Ptr>>& named_children() const { return children_; }
    /// All descendants (not this module), depth first, with dotted names relative to this module.
    std::vector<std::pair<std::string, Ptr>> named_modules() const;
    /// The direct child registered under `name`, as an M: ValueError when there is none or it is not an M.
    template <class M = Module<T>>
    std::shared_ptr<M> child(const std::string& name) const {
        auto typed = std::dynamic_pointer_cast<M>(child_or_throw(name));
        if (!typed) wrong_child_type(name);
        return typed;
    }

    /// Forgets every parameter's gradient (recursively).
    void zero_grad();
    /// Sets training mode on this module and every descendant (Dropout is the identity in eval mode).
    void train(bool on = true);
    /// train(false).
    void eval() { train(false); }
    /// Whether the module is in training mode.
    bool is_training() const { return training_; }

    /// Number of parameter elements, recursively; trainable_only counts those that require grad.
    std::size_t num_parameters(bool trainable_only = false) const;

    /// A deep copy: a new root module of the same class with the same structure, names, values, requires_grad flags
    /// and training mode, whose parameters, buffers and children are its own (changing one side never changes the
    /// other). Gradients are not copied. Every built-in layer implements it; a module class does by deriving from
    /// Cloneable<Self, T> (its copy constructor copies the class's own members, the registry is copied for it).
    /// ValueError when the class does not implement it, when the copy is of another class (a subclass that did not
    /// name itself in Cloneable), or when the copy still refers to one of this module's parameters, buffers or
    /// children (a member handle or pointer copied instead of taken from the copy: see the example above).
    Ptr clone() const;

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

    /// Runs `f` (a call of forward) in this module's name scope and remembers the shape of its result (a Tensor, or
    /// the first element of a pair or tuple) for the summary.
    template <class F>
    auto call_in_scope(F&& f) {
        NameScope scope(name_);
        auto out = f();
        using R = decltype(out);
        if constexpr (std::is_same_v<R, Tensor<T>>) remember_output(out);
        else if constexpr (first_is_tensor<R>()) remember_output(std::get<0>(out));
        return out;
    }

    /// The copy behind clone(); Cloneable implements it. The default throws ValueError.
    virtual Ptr clone_impl() const;

private:
    template <class Self, class U, class Base>
    friend class Cloneable;

    struct DeepCopy {};
    /// The registry copied deeply (clone): new parameters and buffers with copies of the values, children cloned.
    /// The copy is a root. Only Cloneable calls it, so a class that does not derive from it stays non-copyable.
    Module(const Module& other, DeepCopy);

    template <class R, class = void>
    struct is_tuple_like : std::false_type {};
    template <class R>
    struct is_tuple_like<R, std::void_t<decltype(std::tuple_size<R>::value)>> : std::true_type {};
    /// Whether a forward's result R is a pair, tuple or array whose first element is a Tensor<T>.
    template <class R>
    static constexpr bool first_is_tensor() {
        if constexpr (is_tuple_like<R>::value) {
            if constexpr (std::tuple_size<R>::value > 0)
                return std::is_same_v<std::decay_t<std::tuple_element_t<0, R>>, Tensor<T>>;
        }
        return false;
    }

    struct Buffer {
        std::string name;
        Tensor<T> value;
        bool persistent;
    };

    void remember_output(const Tensor<T>& y);
    void register_child(const std::string& name, Ptr module);
    void check_new_name(const std::string& name, const char* what) const;
    void set_path(const std::string& path);
    const Ptr& child_or_throw(const std::string& name) const;
    [[noreturn]] void wrong_child_type(const std::string& name) const;
    /// Calls f(what, use_count) for every parameter, buffer and child below this module (clone's aliasing check).
    template <class F>
    void for_each_use_count(const std::string& prefix, F&& f) const;

    std::string path_;
    std::string name_;  // the last part of path_: the name scope this module opens
    bool training_ = true;
    std::optional<Shape> last_output_shape_;
    std::vector<std::pair<std::string, Tensor<T>>> parameters_;
    std::vector<Buffer> buffers_;
    std::vector<std::pair<std::string, Ptr>> children_;
};

/// The base of a module class Self (CRTP): `class Elman : public Cloneable<Elman<T>, T>` (see Module's example), or
/// `class MyLinear : public Cloneable<MyLinear, float, Linear<float>>` to extend another module class (Base, whose
/// constructors it inherits). It gives Self
///   - `(*m)(args...)`: Self::forward(args...) in the module's name scope, any arguments and result;
///   - clone(): a copy made by Self's copy constructor, returned as std::shared_ptr<Self>. The registry
///     (parameters, buffers, children) is copied deeply for it; the constructor copies Self's own members. A member
///     that points into the registry (a Tensor handle of a parameter, a child's pointer) must be taken from the copy
///     (`this->parameter("weight")`, `this->template child<Linear<T>>("fc1")`) in a copy constructor Self writes;
///     clone() checks that no such pointer into the original is left.
/// Why CRTP rather than a virtual clone() each class writes: the call operator needs Self's type anyway, and with it
/// the copy is one line for every class, and a class that forgets it is caught (clone() checks the copy's class).
template <class Self, class T, class Base = Module<T>>
class Cloneable : public Base {
    static_assert(std::is_base_of_v<Module<T>, Base>, "Cloneable<Self, T, Base>: Base must be a Module<T>");

public:
    using Base::Base;

    /// Self::forward(args...) inside this module's name scope. Only for arguments forward takes (SFINAE), so that
    /// traits such as std::is_invocable (std::function's constructor) see what a module can be called with.
    template <class... Args, class S = Self, class R = decltype(std::declval<S&>().forward(std::declval<Args>()...))>
    std::decay_t<R> operator()(Args&&... args) {  // S: Self as the call's own parameter, only looked into at a call
        return this->call_in_scope([&] { return static_cast<Self&>(*this).forward(std::forward<Args>(args)...); });
    }

    /// Module::clone(), typed.
    std::shared_ptr<Self> clone() const { return std::static_pointer_cast<Self>(Module<T>::clone()); }

protected:
    Cloneable() = default;
    /// Copies the registry deeply (Module's part) or, below another module class, as that class copies itself.
    Cloneable(const Cloneable& other) : Cloneable(other, std::is_same<Base, Module<T>>()) {}
    Cloneable& operator=(const Cloneable&) = delete;

    /// A Self copied by Self's copy constructor.
    typename Module<T>::Ptr clone_impl() const override {
        return std::make_shared<Self>(static_cast<const Self&>(*this));
    }

private:
    Cloneable(const Cloneable& other, std::true_type) : Base(other, typename Module<T>::DeepCopy()) {}
    Cloneable(const Cloneable& other, std::false_type) : Base(static_cast<const Base&>(other)) {}
};

/// Prints Module::to_string().
template <class T>
std::ostream& operator<<(std::ostream& out, const Module<T>& module);

extern template class Module<float>;
extern template class Module<double>;

}  // namespace dg::nn
