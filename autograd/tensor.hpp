// Tensor: the user's handle on a value in the graph. A Tensor is a cheap handle — a shared pointer to a Node — so
// copying a Tensor ALIASES it: both copies see the same value and the same grad. Use detach() or clone() for an
// independent copy. Operations on tensors are free functions declared in autograd/ops.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "autograd/array/errors.hpp"
#include "autograd/array/random.hpp"
#include "autograd/array/xt.hpp"

namespace dg {

template <class T>
struct Node;

/// A value in the computational graph, with its gradient (float or double).
template <class T>
class Tensor {
public:
    using value_type = T;  ///< float or double
    /// A gradient hook: called with the gradient flowing into this tensor; may return a replacement (an undefined
    /// Tensor keeps the gradient as it is).
    using Hook = std::function<Tensor(const Tensor&)>;

    /// An undefined tensor (no node): what grad() returns before any backward.
    Tensor() = default;
    /// A leaf holding `value` (an Array or any xtensor expression, evaluated now).
    template <class E, class = std::enable_if_t<xt::is_xexpression<std::decay_t<E>>::value>>
    explicit Tensor(E&& value, bool requires_grad = false) : Tensor(Array<T>(std::forward<E>(value)), requires_grad, 0) {}
    /// A leaf from nested braces: Tensor<double>({1, 2}), ({{1, 2}, {3, 4}}, true), ({{0.7, -0.5}}), 3-d.
    Tensor(xt::nested_initializer_list_t<T, 1> values, bool requires_grad = false);
    Tensor(xt::nested_initializer_list_t<T, 2> values, bool requires_grad = false);  ///< 2-d, as above
    Tensor(xt::nested_initializer_list_t<T, 3> values, bool requires_grad = false);  ///< 3-d, as above
    /// A handle on an existing node (the engine and ops make tensors this way).
    explicit Tensor(std::shared_ptr<Node<T>> node) : node_(std::move(node)) {}

    // Creation (ops/creation.cpp). Every random function takes the generator explicitly: same seed, same tensor.
    static Tensor scalar(T value, bool requires_grad = false);                      ///< a 0-d tensor
    static Tensor zeros(const Shape& shape, bool requires_grad = false);            ///< all 0
    static Tensor ones(const Shape& shape, bool requires_grad = false);             ///< all 1
    static Tensor full(const Shape& shape, T value, bool requires_grad = false);    ///< all `value`
    static Tensor arange(T start, T stop, T step = T(1));                           ///< start, start+step, … < stop
    /// Normal(mean, stddev) samples from `gen`.
    static Tensor randn(const Shape& shape, Generator& gen, T mean = T(0), T stddev = T(1), bool requires_grad = false);
    /// Uniform[low, high) samples from `gen`.
    static Tensor rand(const Shape& shape, Generator& gen, T low = T(0), T high = T(1), bool requires_grad = false);

    /// False for a default-constructed tensor (no node).
    bool defined() const { return node_ != nullptr; }
    /// The value (read-only). Throws GraphError on an undefined tensor.
    const Array<T>& value() const { return checked().value; }
    /// The value, for an in-place change: bumps the version counter, so a pending backward that saved this tensor
    /// refuses to run. Refused on a leaf that requires grad while grad mode is on (use a NoGradGuard).
    Array<T>& mutable_value();
    Shape shape() const { return shape_of(checked().value); }              ///< extents, outermost first
    std::size_t dim() const { return checked().value.dimension(); }        ///< number of dimensions
    std::size_t numel() const { return checked().value.size(); }           ///< number of elements
    T item() const;                                                        ///< the value of a 1-element tensor
    T at(std::size_t flat_index) const;                                    ///< one value, bounds-checked

    inline bool requires_grad() const;                                     ///< backward computes its gradient
    Tensor& set_requires_grad(bool requires_grad = true);                  ///< leaves only
    bool is_leaf() const { return checked().is_leaf(); }                   ///< not made by a recorded op
    /// The accumulated gradient: undefined until a backward reaches this tensor. GraphError if this tensor does not
    /// require grad, or is a non-leaf that did not call retain_grad().
    const Tensor& grad() const;
    bool has_grad() const { return node_ && node_->grad.defined(); }       ///< a gradient is stored
    void zero_grad() { checked().grad = Tensor(); }                        ///< forgets it (set to none, as PyTorch)
    void retain_grad();                                                    ///< keep a non-leaf's gradient
    void register_hook(Hook hook);                                         ///< called with its gradient in backward

    /// Backward from a one-element tensor (its gradient is 1).
    void backward(bool retain_graph = false, bool create_graph = false) const;
    /// Backward with an explicit gradient of this tensor's shape.
    void backward(const Tensor& gradient, bool retain_graph = false, bool create_graph = false) const;

    Tensor detach() const { return Tensor(Array<T>(checked().value)); }   ///< a new leaf with a copy of the value
    Tensor clone() const;                                                  ///< a differentiable copy

    const char* op() const { return checked().op.name; }                   ///< the op that made it ("leaf")
    /// A label for messages and pictures (anomaly mode, graphviz); modules set it to their path.
    const std::string& label() const { return checked().label; }
    Tensor& set_label(std::string label) { checked().label = std::move(label); return *this; }  ///< sets it
    std::uint64_t version() const { return checked().version; }           ///< counts in-place changes

    Node<T>* node() const { return node_.get(); }                          ///< the node behind the handle
    const std::shared_ptr<Node<T>>& node_ptr() const { return node_; }     ///< the owning pointer
    bool same(const Tensor& other) const { return node_ == other.node_; }  ///< both handles, one node

private:
    Tensor(Array<T>&& value, bool requires_grad, int);
    Node<T>& checked() const { return node_ ? *node_ : undefined_error(); }
    [[noreturn]] static Node<T>& undefined_error();
    std::shared_ptr<Node<T>> node_;
};

using Tensorf = Tensor<float>;   ///< float tensors (training's default)
using Tensord = Tensor<double>;  ///< double tensors (gradient checks)

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace dg

#include "autograd/node.hpp"  // Node, and Tensor's members that inline it
