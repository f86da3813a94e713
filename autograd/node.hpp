// Node: one value in the graph and what backward needs: the op that made it (name and rule), its inputs, its
// backward function, the versions of the inputs it saved, and the engine's scratch for one pass. Destruction is
// iterative, so a 10^6-long chain frees without overflowing the stack.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "autograd/array/small_vector.hpp"
#include "autograd/tensor.hpp"  // and with it <cstdint>, <functional>, <memory>, <string>

namespace dg {

/// An op's inputs, or the gradients its backward returns: room for three tensors inline (no heap block).
template <class T>
using TensorList = SmallVector<Tensor<T>, 3>;

/// Turns the gradient `grad` of an op's output into one gradient per input (undefined where none is needed),
/// written with the library's differentiable ops. Gets the output as an argument: holding it would be a cycle.
template <class T>
using BackwardFn = std::function<TensorList<T>(const TensorList<T>& inputs, const Tensor<T>& output,
                                               const Tensor<T>& grad)>;

/// The op that made a node: its name and its backward rule in words, written once beside the op's forward.
struct Op {
    const char* name;  ///< "tanh": what Tensor::op() returns (a string literal)
    const char* rule;  ///< "grad_in = grad_out * (1 - y^2)": read by the backward trace and autograd/OPS.md
};

/// Marks an input whose version was not saved (its backward does not read its value).
inline constexpr std::uint64_t not_saved = std::numeric_limits<std::uint64_t>::max();

/// A value in the graph. Users hold it through Tensor handles; the engine reads and writes it directly.
template <class T>
struct Node {
    Array<T> value;                  ///< the op's result
    Tensor<T> grad;                  ///< accumulated gradient (leaves, retain_grad)
    TensorList<T> inputs;            ///< the op's inputs; cleared when backward frees the graph
    BackwardFn<T> backward;          ///< empty for leaves
    Op op{"leaf", "a leaf: its gradient accumulates in .grad"};  ///< the op that made it
    std::string label;               ///< where it was made ("model.fc2"), for messages and pictures
    bool requires_grad = false;      ///< backward computes its gradient
    bool retains_grad = false;       ///< a non-leaf that keeps its gradient
    bool freed = false;              ///< backward ran without retain_graph: inputs and function released
    bool saves_output = false;       ///< the backward reads this node's own value
    std::uint64_t version = 0;       ///< bumped by every in-place change of value
    xt::svector<std::uint64_t, 4> saved_versions;  ///< per input: its version when recorded, or not_saved
    std::vector<typename Tensor<T>::Hook> hooks;   ///< called with the gradient in backward

    // The engine's scratch, valid during one backward pass.
    Tensor<T> pending;               ///< the gradient accumulated so far from this node's consumers
    std::uint64_t visit_mark = 0;    ///< the pass that last visited this node
    std::uint32_t consumers = 0;     ///< edges into this node from the nodes of the pass
    bool pass_stores_grad = false;   ///< the pass stores gradients in .grad (backward() without create_graph)

    explicit Node(Array<T>&& v) : value(std::move(v)) {}  ///< by rvalue: moving an xarray copies its shape vectors
    explicit Node(const typename Array<T>::shape_type& shape) : value(shape) {}  ///< `shape`, left uninitialised
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    ~Node();

    bool is_leaf() const { return !backward && !freed; }  ///< not made by a recorded op
};

// Defined after Node so that it inlines (declared inline in the class too: `extern template` would stop that).
template <class T>
inline bool Tensor<T>::requires_grad() const {
    return node_ && node_->requires_grad;
}

template <class T>
Node<T>::~Node() {
    // Destroying the last handle of another node destroys that node's handles in turn: a recursion as deep as the
    // chain. Such handles go onto a stack instead, and each node on it gives up its own handles before it dies.
    auto last = [](const Tensor<T>& t) { return t.defined() && t.node_ptr().use_count() == 1; };
    if (!last(grad) && !last(pending) && std::none_of(inputs.begin(), inputs.end(), last)) return;
    std::vector<Tensor<T>> stack;
    auto take_all = [&stack](Node<T>& n) {
        for (Tensor<T>* t : {&n.grad, &n.pending}) if (t->defined()) stack.push_back(std::move(*t));
        for (auto& in : n.inputs) stack.push_back(std::move(in));
        n.inputs.clear();
        n.backward = nullptr;  // a closure may hold tensors too
    };
    take_all(*this);
    while (!stack.empty()) {
        Tensor<T> t = std::move(stack.back());
        stack.pop_back();
        if (last(t)) take_all(*t.node());
    }
}

/// A new node holding `value`, node and control block in one block from the per-thread cache (pool.hpp).
template <class T>
std::shared_ptr<Node<T>> make_node(Array<T>&& value) {
    return std::allocate_shared<Node<T>>(pool::Allocator<Node<T>>(), std::move(value));
}

/// A new node whose value has `shape`, uninitialised, for an op to fill in place (moving a finished array into its
/// node swaps its three shape vectors: a tenth of the cost of a tiny op).
template <class T, class S>
std::shared_ptr<Node<T>> make_node(const S& shape) {
    using Extents = typename Array<T>::shape_type;  // an svector: no allocation
    if constexpr (std::is_same_v<S, Extents>)  // an array's own shape: passed on without a copy
        return std::allocate_shared<Node<T>>(pool::Allocator<Node<T>>(), shape);
    else return std::allocate_shared<Node<T>>(pool::Allocator<Node<T>>(), Extents(shape.begin(), shape.end()));
}

extern template struct Node<float>;
extern template struct Node<double>;

}  // namespace dg
