// Tensor: the user's handle on a value in the graph (value, grad, requires_grad, backward, detach).
// A Tensor is a cheap handle — a shared pointer to a Node — so copying a Tensor ALIASES it: both copies
// see the same value and the same grad. Use detach() or clone() for an independent copy.
// Operations on tensors are free functions declared in autograd/ops.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/array/errors.hpp"
#include "autograd/array/random.hpp"
#include "autograd/array/xt.hpp"

namespace dg {

template <class T>
struct Node;

template <class T>
class Tensor {
public:
    using value_type = T;
    /// A gradient hook: called with the gradient flowing into this tensor; may return a replacement
    /// (an undefined Tensor keeps the gradient as it is).
    using Hook = std::function<Tensor(const Tensor&)>;

    /// An undefined tensor (no node): what grad() returns before any backward.
    Tensor() = default;
    /// A leaf holding `value`.
    explicit Tensor(Array<T> value, bool requires_grad = false);
    /// Leaves from nested initializer lists: Tensor<double>({{1, 2}, {3, 4}}, true).
    Tensor(xt::nested_initializer_list_t<T, 1> values, bool requires_grad = false);
    Tensor(xt::nested_initializer_list_t<T, 2> values, bool requires_grad = false);
    Tensor(xt::nested_initializer_list_t<T, 3> values, bool requires_grad = false);

    // Creation. Every random function takes the generator explicitly: same seed, same tensor.
    static Tensor scalar(T value, bool requires_grad = false);
    static Tensor zeros(const Shape& shape, bool requires_grad = false);
    static Tensor ones(const Shape& shape, bool requires_grad = false);
    static Tensor full(const Shape& shape, T value, bool requires_grad = false);
    /// 1-D tensor start, start+step, ... (< stop for step > 0).
    static Tensor arange(T start, T stop, T step = T(1));
    static Tensor randn(const Shape& shape, Generator& gen, T mean = T(0), T stddev = T(1), bool requires_grad = false);
    static Tensor rand(const Shape& shape, Generator& gen, T low = T(0), T high = T(1), bool requires_grad = false);

    bool defined() const { return node_ != nullptr; }
    /// The value (read-only). Throws GraphError on an undefined tensor.
    const Array<T>& value() const { return checked().value; }
    /// The value, for an in-place change: bumps the version counter, so a pending backward that saved
    /// this tensor refuses to run. Refused on a leaf that requires grad while grad mode is on (wrap the
    /// change in a NoGradGuard, as optimizers do).
    Array<T>& mutable_value();
    /// The extent of each dimension, outermost first.
    Shape shape() const { return shape_of(checked().value); }
    /// The number of dimensions.
    std::size_t dim() const { return checked().value.dimension(); }
    /// The number of elements.
    std::size_t numel() const { return checked().value.size(); }
    /// The single value of a one-element tensor.
    T item() const;
    /// The value at a flat row-major index (bounds-checked).
    T at(std::size_t flat_index) const;

    bool requires_grad() const;
    /// Makes a leaf require grad (or not). Refused on a non-leaf.
    Tensor& set_requires_grad(bool requires_grad = true);
    /// A leaf is a tensor not produced by a recorded op.
    bool is_leaf() const { return checked().is_leaf(); }
    /// The accumulated gradient: undefined until a backward reaches this tensor. Throws GraphError if this
    /// tensor does not require grad, and for a non-leaf that did not call retain_grad().
    const Tensor& grad() const;
    /// True when a gradient has been accumulated (and not zeroed since).
    bool has_grad() const { return node_ && node_->grad.defined(); }
    /// Forgets the accumulated gradient (set to none, as in PyTorch).
    void zero_grad() { checked().grad = Tensor(); }
    /// Keep the gradient of this non-leaf tensor after backward.
    void retain_grad();
    /// Registers a hook called with this tensor's gradient during backward.
    void register_hook(Hook hook);

    /// Backward from a one-element tensor (its gradient is 1).
    void backward(bool retain_graph = false, bool create_graph = false) const;
    /// Backward with an explicit gradient of this tensor's shape.
    void backward(const Tensor& gradient, bool retain_graph = false, bool create_graph = false) const;

    /// A new leaf with a copy of the value, outside any graph.
    Tensor detach() const { return Tensor(Array<T>(checked().value)); }
    /// A differentiable copy (identity op).
    Tensor clone() const;

    /// The op that made this tensor ("leaf" for leaves).
    const char* op() const { return checked().op.name; }
    /// A label for messages and pictures (anomaly mode, graphviz); modules set it to their path.
    const std::string& label() const { return checked().label; }
    /// Sets the label.
    Tensor& set_label(std::string label) {
        checked().label = std::move(label);
        return *this;
    }
    /// Incremented by every in-place change of the value.
    std::uint64_t version() const { return checked().version; }

    /// The node behind the handle (engine, graphviz, tests).
    Node<T>* node() const { return node_.get(); }
    const std::shared_ptr<Node<T>>& node_ptr() const { return node_; }
    explicit Tensor(std::shared_ptr<Node<T>> node) : node_(std::move(node)) {}
    /// True when both handles refer to the same node.
    bool same(const Tensor& other) const { return node_ == other.node_; }

private:
    /// The node; GraphError for an undefined tensor.
    Node<T>& checked() const {
        if (!node_) undefined_error();
        return *node_;
    }
    [[noreturn]] static void undefined_error();
    std::shared_ptr<Node<T>> node_;
};

using Tensorf = Tensor<float>;
using Tensord = Tensor<double>;

extern template class Tensor<float>;
extern template class Tensor<double>;

}  // namespace dg

#include "autograd/node.hpp"

namespace dg {

// Defined here, after Node, so that it inlines: the engine and every op ask it of each input.
template <class T>
inline bool Tensor<T>::requires_grad() const {
    return node_ && node_->requires_grad;
}

}  // namespace dg
