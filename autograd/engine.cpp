// Grad mode, record() and the backward pass: an iterative depth-first topological sort from the roots, then one
// sweep in reverse order that runs each node's backward function and accumulates into its inputs. Nothing recurses.
#include "autograd/engine.hpp"

#include <array>
#include <atomic>
#include <utility>

#include "autograd/broadcast.hpp"
#include "autograd/ops.hpp"

namespace dg {

[[gnu::tls_model("initial-exec")]] static thread_local bool grad_mode = true;  // as pool.cpp's: no call

bool grad_enabled() { return grad_mode; }
void set_grad_enabled(bool enabled) { grad_mode = enabled; }

template <class T>
Tensor<T> record(Array<T> value, TensorList<T> inputs, Op op, BackwardFn<T> backward, Saves saves) {
    return record(make_node(std::move(value)), std::move(inputs), op, std::move(backward), saves);
}

template <class T>
Tensor<T> record(std::shared_ptr<Node<T>> node, TensorList<T> inputs, Op op, BackwardFn<T> backward, Saves saves) {
    const bool needs_grad =
        grad_mode && std::any_of(inputs.begin(), inputs.end(), [](const Tensor<T>& in) { return in.requires_grad(); });
    node->op = op;
    for (Observer<T>* o = observers<T>(); o; o = o->next_) o->recorded(*node, inputs);
    if (needs_grad) {
        node->requires_grad = true;
        node->backward = std::move(backward);
        node->saves_output = saves.output;
        if (saves.inputs != 0)  // one pass (assign(n, not_saved) first, then the loop, cost a tiny op more)
            for (std::size_t i = 0; i < inputs.size(); ++i)
                node->saved_versions.push_back(i < 32 && (saves.inputs & (1u << i)) ? inputs[i].version() : not_saved);
        node->inputs = std::move(inputs);
    }
    return Tensor<T>(std::move(node));
}

namespace {

std::atomic<std::uint64_t> passes{0};  // one count for every instantiation below: each pass's mark is unique
/// The nodes reachable from the roots through inputs that require grad, in post order (inputs first). Counts
/// each node's consumers in the pass: a leaf's gradient is offered (observer.hpp) only when it has one.
template <class T, class Roots>
auto topological_order(const Roots& roots, bool stores_grad) {
    const std::uint64_t mark = ++passes;  // a fresh mark per pass: nodes need no clearing between passes
    // The order, and a stack of (a node being visited, the next input to visit), both in blocks of the per-thread
    // cache (pool.hpp): a small graph's pass calls no malloc.
    pool::Vector<Tensor<T>> order;
    pool::Vector<std::pair<Tensor<T>, std::size_t>> stack;
    order.reserve(32);
    stack.reserve(32);
    auto visit = [&](const Tensor<T>& t) {
        Node<T>* n = t.node();
        if (n->visit_mark != mark) {
            n->visit_mark = mark;
            n->consumers = 0;
            n->pass_stores_grad = stores_grad;
            stack.emplace_back(t, 0);
        }
        return n;
    };
    for (const auto& root : roots) {
        visit(root);
        while (!stack.empty()) {
            auto& [tensor, next] = stack.back();
            const Node<T>& node = *tensor.node();
            if (next < node.inputs.size()) {
                const Tensor<T>& in = node.inputs[next++];  // read before visit() may grow the stack
                if (in.requires_grad()) ++visit(in)->consumers;
            } else {
                order.push_back(std::move(tensor));
                stack.pop_back();
            }
        }
    }
    return order;
}

/// Adds g into a gradient slot: the first contribution moved in as is; a later one in place when the slot alone holds
/// its tensor and neither carries a graph (a weight used many times), else out of place (a shared tensor stays).
template <class T>
void accumulate(Tensor<T>& slot, Tensor<T> g) {
    if (!slot.defined()) slot = std::move(g);
    else if (slot.node_ptr().use_count() == 1 && !slot.requires_grad() && !g.requires_grad())
        add_into(slot.node()->value, g.value());
    else slot = add(slot, g);
}

/// Accumulates into the user-visible .grad: a private copy when no graph is wanted, so that later in-place
/// changes (an optimizer, clipping) never reach another tensor's gradient.
template <class T>
void accumulate_grad(Node<T>& node, Tensor<T>& g, bool create_graph) {
    if (create_graph) {
        accumulate(node.grad, g);
    } else if (!node.grad.defined()) {
        // Held by nobody else, g becomes the .grad without a copy (a leaf's only: a retain_grad node still needs g).
        const bool sole = node.is_leaf() && g.node_ptr().use_count() == 1 && g.is_leaf() && !g.requires_grad();
        node.grad = sole ? std::move(g) : Tensor<T>(Array<T>(g.value()));
    } else if (node.grad.requires_grad()) {  // it carries a graph the user may still hold: never write into it
        node.grad = Tensor<T>(Array<T>(node.grad.value() + g.value()));
    } else {
        add_into(node.grad.node()->value, g.value());
        ++node.grad.node()->version;
    }
}

template <class T>
void check_versions(const Node<T>& node) {
    for (std::size_t i = 0; i < node.saved_versions.size(); ++i) {
        const std::uint64_t saved = node.saved_versions[i];
        if (saved != not_saved && node.inputs[i].version() != saved)
            throw GraphError(std::string("backward: input ") + std::to_string(i) + " of " + node.op.name + " (shape " +
                             shape_str(node.inputs[i].shape()) + ") was modified in place after it was used (version " +
                             std::to_string(node.inputs[i].version()) + ", expected " + std::to_string(saved) +
                             "); backward needs its old value");
    }
    if (node.saves_output && node.version != 0)
        throw GraphError(std::string("backward: the output of ") + node.op.name +
                         " was modified in place after it was computed; backward needs its old value");
}

template <class Roots>
void check_roots(const Roots& roots, const Roots& root_grads) {
    if (roots.size() != root_grads.size())
        throw ValueError("backward: " + std::to_string(roots.size()) + " roots but " +
                         std::to_string(root_grads.size()) + " gradients");
    for (std::size_t i = 0; i < roots.size(); ++i) {
        const auto& root = roots[i];
        const auto& g = root_grads[i];
        if (!root.defined()) throw GraphError("backward: undefined root tensor");
        if (!root.requires_grad())
            throw GraphError(std::string("backward: the tensor (") + root.op() + ", shape " + shape_str(root.shape()) +
                             ") does not require grad: no input of its graph has requires_grad set");
        if (!g.defined() && root.numel() != 1)
            throw GraphError("backward: a gradient is needed for a non-scalar output (shape " +
                             shape_str(root.shape()) + "); pass one of that shape, or reduce to a scalar first");
        if (g.defined() && !equal_shapes(g.value(), root.value()))
            throw ShapeError("backward: gradient shape " + shape_str(g.shape()) + " does not match the output shape " +
                             shape_str(root.shape()));
    }
}

/// Runs node's backward function, telling the observers before, after, and when it throws.
template <class T>
TensorList<T> run_node(Node<T>& node, const Tensor<T>& self, const Tensor<T>& g) {
    Observer<T>* const first = observers<T>();
    if (!first) return node.backward(node.inputs, self, g);
    struct Done {  // tells the observers that the function has returned or thrown
        Observer<T>* first;
        ~Done() { for (Observer<T>* o = first; o; o = o->next_) o->running(nullptr); }
    };
    for (Observer<T>* o = first; o; o = o->next_) o->running(&node);
    Done done{first};
    TensorList<T> grads = node.backward(node.inputs, self, g);
    for (Observer<T>* o = first; o; o = o->next_) o->computed(self, g, grads);
    return grads;
}

/// One pass from `roots` (a vector, or an array of one). `capture` (grad()) collects the gradients of those
/// tensors into `captured` instead of storing any .grad; otherwise leaves and retain_grad tensors accumulate theirs.
template <class T, class Roots>
void run_backward(const Roots& roots, const Roots& root_grads, bool retain_graph, bool create_graph,
                  const std::vector<Tensor<T>>* capture = nullptr, std::vector<Tensor<T>>* captured = nullptr) {
    check_roots(roots, root_grads);
    const bool stores_grad = !capture && !create_graph;
    auto order = topological_order<T>(roots, stores_grad);
    for (std::size_t i = 0; i < roots.size(); ++i)  // an undefined root gradient means 1 (a one-element root)
        accumulate(roots[i].node()->pending, root_grads[i].defined() ? root_grads[i] : Tensor<T>::ones(roots[i].shape()));

    GradModeGuard mode(create_graph);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node<T>& node = *it->node();
        if (!node.pending.defined()) continue;
        Tensor<T> g = std::exchange(node.pending, Tensor<T>());
        for (auto& hook : node.hooks) {
            Tensor<T> replaced = hook(g);
            if (!replaced.defined()) continue;
            if (replaced.shape() != g.shape())
                throw ShapeError("backward: a hook returned a gradient of shape " + shape_str(replaced.shape()) +
                                 ", expected " + shape_str(g.shape()));
            g = replaced;
        }
        if (capture) {
            for (std::size_t k = 0; k < capture->size(); ++k)
                if ((*capture)[k].node() == &node) accumulate((*captured)[k], g);
        } else if (node.is_leaf() || node.retains_grad) {
            bool taken = false;
            if (stores_grad && node.is_leaf())
                for (Observer<T>* o = observers<T>(); o && !taken; o = o->next_) taken = o->take_leaf_grad(node, g);
            if (!taken) accumulate_grad(node, g, create_graph);
        }
        if (node.is_leaf()) continue;
        if (node.freed)
            throw GraphError(std::string("backward: the graph through ") + node.op.name + " was already freed by an "
                             "earlier backward; pass retain_graph=true to the first backward to backward twice");
        check_versions(node);

        TensorList<T> grads = run_node(node, *it, g);
        if (grads.size() != node.inputs.size())  // record's contract; else a user's op could lose gradients silently
            throw GraphError(std::string("backward: the backward function of ") + node.op.name + " returned " +
                             std::to_string(grads.size()) + " gradient(s) for " + std::to_string(node.inputs.size()) +
                             " input(s); it must return one per input (an undefined Tensor where none is needed)");
        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const Tensor<T>& in = node.inputs[i];
            if (!in.requires_grad() || !grads[i].defined()) continue;
            Tensor<T> gi = std::move(grads[i]);  // moved: a gradient held once can become a .grad without a copy
            if (!equal_shapes(gi.value(), in.value())) gi = sum_to(gi, in.shape());
            accumulate(in.node()->pending, std::move(gi));
        }
        if (!retain_graph) {
            node.inputs.clear();
            node.backward = nullptr;
            node.saved_versions.clear();
            node.freed = true;
        }
    }
}

}  // namespace

template <class T>
void backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& root_grads, bool retain_graph,
              bool create_graph) {
    run_backward<T>(roots, root_grads, retain_graph || create_graph, create_graph);
}

template <class T>
void Tensor<T>::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
    run_backward<T>(std::array{*this}, std::array{gradient}, retain_graph || create_graph, create_graph);  // no malloc
}
template <class T>
void Tensor<T>::backward(bool retain_graph, bool create_graph) const { backward(Tensor(), retain_graph, create_graph); }

template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs, bool retain_graph, bool create_graph,
                            bool allow_unused) {
    if (std::any_of(inputs.begin(), inputs.end(), [](const Tensor<T>& in) { return !in.requires_grad(); }))
        throw GraphError("grad: every input must be a defined tensor that requires grad");
    const auto douts = grad_outputs.empty() ? std::vector<Tensor<T>>(outputs.size()) : grad_outputs;
    std::vector<Tensor<T>> result(inputs.size());
    run_backward<T>(outputs, douts, retain_graph || create_graph, create_graph, &inputs, &result);
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!result[i].defined() && !allow_unused)
            throw GraphError("grad: input " + std::to_string(i) + " (shape " + shape_str(inputs[i].shape()) +
                             ") was not used to compute the outputs; pass allow_unused=true");
    return result;
}

#define DG_INSTANTIATE(T)                                                                                        \
    template Tensor<T> record(Array<T>, TensorList<T>, Op, BackwardFn<T>, Saves);                                \
    template Tensor<T> record(std::shared_ptr<Node<T>>, TensorList<T>, Op, BackwardFn<T>, Saves);                \
    template void backward(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, bool, bool);            \
    template void Tensor<T>::backward(const Tensor<T>&, bool, bool) const;                                       \
    template void Tensor<T>::backward(bool, bool) const;                                                         \
    template std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&,          \
                                         const std::vector<Tensor<T>>&, bool, bool, bool);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
