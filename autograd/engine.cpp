// The backward pass: an iterative depth-first topological sort from the roots, then one sweep in reverse
// order that runs each node's backward function and accumulates into its inputs. Nothing recurses.
#include "autograd/engine.hpp"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <utility>

#include "autograd/broadcast.hpp"
#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"

namespace dg {

namespace {
thread_local bool grad_mode = true;
thread_local bool anomaly_mode = false;
thread_local bool updates_in_pass = false;  // the running backward applies UpdateInBackward registrations
thread_local std::vector<std::size_t> scope_lengths;  // length of current_path before each open scope
thread_local std::string current_path;
thread_local std::string backward_context;  // "sqrt (created in head)" while that node's backward runs
std::atomic<std::uint64_t> visit_counter{0};

// Every step of a training loop frees and re-allocates the same activation and gradient buffers. glibc serves
// blocks above 128 KiB with mmap and trims the heap top on free, so each step paid fresh page faults (perf: 7.5 %
// of a 784-100-10 step at batch 64 in page faults under memset). Keeping such blocks in the heap makes the
// steady state reuse them; the arena stays bounded by the largest step's working set.
const bool malloc_configured = [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    return true;
}();

template <class T>
TraceSink<T>*& trace_sink() {
    thread_local TraceSink<T>* sink = nullptr;
    return sink;
}

template <class T>
bool all_finite(const Array<T>& a) {
    const T* p = a.data();
    for (std::size_t i = 0, n = a.size(); i < n; ++i)
        if (!std::isfinite(p[i])) return false;
    return true;
}

template <class T>
std::string shapes_of(const std::vector<Tensor<T>>& xs) {
    std::string s;
    for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + shape_str(xs[i].shape());
    return s;
}

std::string where(const std::string& label) { return label.empty() ? "" : " (created in " + label + ")"; }
}  // namespace

bool grad_enabled() { return grad_mode; }
void set_grad_enabled(bool enabled) { grad_mode = enabled; }

bool anomaly_enabled() { return anomaly_mode; }
AnomalyGuard::AnomalyGuard() : previous_(anomaly_mode) { anomaly_mode = true; }
AnomalyGuard::~AnomalyGuard() { anomaly_mode = previous_; }

NameScope::NameScope(const std::string& name) {
    scope_lengths.push_back(current_path.size());
    if (!current_path.empty() && !name.empty()) current_path += '.';
    current_path += name;
}
NameScope::~NameScope() {
    current_path.resize(scope_lengths.back());
    scope_lengths.pop_back();
}
const std::string& current_scope() { return current_path; }

template <class T>
TraceGuard<T>::TraceGuard(TraceSink<T>& sink) : previous_(trace_sink<T>()) {
    trace_sink<T>() = &sink;
}
template <class T>
TraceGuard<T>::~TraceGuard() {
    trace_sink<T>() = previous_;
}
template class TraceGuard<float>;
template class TraceGuard<double>;

template <class T>
Tensor<T> record(Array<T> value, std::vector<Tensor<T>> inputs, const char* op, BackwardFn<T> backward,
                 Saves saves) {
    bool needs_grad = false;
    if (grad_mode)
        for (const auto& in : inputs) needs_grad = needs_grad || in.requires_grad();
    if (anomaly_mode && !all_finite(value)) {
        if (!backward_context.empty())
            throw AnomalyError("anomaly: the backward of " + backward_context + " produced NaN or Inf (in its " + op +
                               " step, input shapes " + shapes_of(inputs) + ")");
        throw AnomalyError(std::string("anomaly: ") + op + " produced NaN or Inf in its forward value (input shapes " +
                           shapes_of(inputs) + ")" + where(current_path));
    }
    auto node = make_node(std::move(value));
    node->op = op;
    if (!current_path.empty()) node->label = current_path;
    if (needs_grad) {
        node->requires_grad = true;
        node->backward = std::move(backward);
        node->saves_output = saves.output;
        if (saves.inputs != 0) {
            node->saved_versions.assign(inputs.size(), not_saved);
            for (std::size_t i = 0; i < inputs.size() && i < 32; ++i)
                if (saves.inputs & (1u << i)) node->saved_versions[i] = inputs[i].version();
        }
        node->inputs = std::move(inputs);
    }
    return Tensor<T>(std::move(node));
}

namespace {

/// Nodes reachable from the roots through inputs that require grad, in post order (inputs first).
template <class T>
std::vector<std::shared_ptr<Node<T>>> topological_order(const std::vector<Tensor<T>>& roots) {
    const std::uint64_t mark = ++visit_counter;
    std::vector<std::shared_ptr<Node<T>>> order;
    std::vector<std::pair<Node<T>*, std::size_t>> stack;  // node, next input to visit
    std::vector<std::shared_ptr<Node<T>>> owners;         // keeps stacked nodes alive: parallel to stack
    for (const auto& root : roots) {
        Node<T>* r = root.node();
        if (r->visit_mark == mark) continue;
        r->visit_mark = mark;
        r->consumers = 0;
        stack.emplace_back(r, 0);
        owners.push_back(root.node_ptr());
        while (!stack.empty()) {
            auto& [node, next] = stack.back();
            if (next < node->inputs.size()) {
                const Tensor<T>& in = node->inputs[next++];
                Node<T>* child = in.node();
                if (!in.requires_grad()) continue;
                if (child->visit_mark != mark) {
                    child->visit_mark = mark;
                    child->consumers = 0;
                    stack.emplace_back(child, 0);
                    owners.push_back(in.node_ptr());
                }
                ++child->consumers;
            } else {
                order.push_back(std::move(owners.back()));
                owners.pop_back();
                stack.pop_back();
            }
        }
    }
    return order;
}

/// Adds g into a gradient slot: the first contribution is stored as is, later ones summed out of place
/// (the stored tensor may be shared with another slot).
template <class T>
void accumulate(Tensor<T>& slot, const Tensor<T>& g) {
    slot = slot.defined() ? add(slot, g) : g;
}

/// Accumulates into the user-visible .grad: a private copy when no graph is wanted, so that later
/// in-place changes (an optimizer, clipping) never reach another tensor's gradient.
template <class T>
void accumulate_grad(Node<T>& node, Tensor<T>& g, bool create_graph) {
    if (create_graph) {
        accumulate(node.grad, g);
    } else if (!node.grad.defined() && node.is_leaf() && g.node_ptr().use_count() == 1 && g.is_leaf() &&
               !g.requires_grad()) {
        // First contribution, held by nobody else (not a user's tensor, not shared with another slot): it
        // becomes the .grad as it is, without a copy. Only for leaves: a retain_grad node still needs g.
        node.grad = std::move(g);
    } else if (!node.grad.defined()) {
        node.grad = Tensor<T>(Array<T>(g.value()));
    } else if (node.grad.requires_grad()) {
        // The stored grad carries a graph (from a create_graph backward) that the user may still hold:
        // replace it out of place, never write into its value.
        node.grad = Tensor<T>(Array<T>(node.grad.value() + g.value()));
    } else {
        Array<T>& v = node.grad.node()->value;
        if (!equal_shapes(v, g.value())) v = v + g.value();
        else xt::noalias(v) += g.value();
        ++node.grad.node()->version;
    }
}

/// UpdateInBackward's update of a leaf with its complete gradient: value ← decay·value − lr·g.
template <class T>
void apply_update(Node<T>& node, const Tensor<T>& g) {
    if (!equal_shapes(node.value, g.value()))
        throw ShapeError("backward: gradient of shape " + shape_str(g.shape()) + " for a leaf of shape " +
                         shape_str(shape_of(node.value)) + " updated in backward");
    const T lr = node.update.lr, decay = node.update.decay;
    T* v = node.value.data();
    const T* d = g.value().data();
    parallel::for_range(node.value.size(), [=](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) v[k] = decay * v[k] - lr * d[k];
    });
    ++node.version;
}

template <class T>
void check_versions(const Node<T>& node) {
    for (std::size_t i = 0; i < node.saved_versions.size(); ++i) {
        const std::uint64_t saved = node.saved_versions[i];
        if (saved != not_saved && node.inputs[i].version() != saved)
            throw GraphError(std::string("backward: input ") + std::to_string(i) + " of " + node.op + " (shape " +
                             shape_str(node.inputs[i].shape()) + ") was modified in place after it was used (version " +
                             std::to_string(node.inputs[i].version()) + ", expected " + std::to_string(saved) +
                             "); backward needs its old value");
    }
    if (node.saves_output && node.version != 0)
        throw GraphError(std::string("backward: the output of ") + node.op +
                         " was modified in place after it was computed; backward needs its old value");
}

template <class T>
void run_backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& root_grads, bool retain_graph,
                  bool create_graph, const std::vector<Tensor<T>>* capture, std::vector<Tensor<T>>* captured) {
    if (roots.size() != root_grads.size())
        throw ValueError("backward: " + std::to_string(roots.size()) + " roots but " +
                         std::to_string(root_grads.size()) + " gradients");
    for (std::size_t i = 0; i < roots.size(); ++i) {
        const Tensor<T>& root = roots[i];
        if (!root.defined()) throw GraphError("backward: undefined root tensor");
        if (!root.requires_grad())
            throw GraphError(std::string("backward: the tensor (") + root.op() + ", shape " + shape_str(root.shape()) +
                             ") does not require grad: no input of its graph has requires_grad set");
        if (!root_grads[i].defined() && root.numel() != 1)
            throw GraphError("backward: a gradient is needed for a non-scalar output (shape " +
                             shape_str(root.shape()) + "); pass one of that shape, or reduce to a scalar first");
        if (root_grads[i].defined() && root_grads[i].shape() != root.shape())
            throw ShapeError("backward: gradient shape " + shape_str(root_grads[i].shape()) +
                             " does not match the output shape " + shape_str(root.shape()));
    }

    auto order = topological_order(roots);
    for (std::size_t i = 0; i < roots.size(); ++i) {
        Tensor<T> seed = root_grads[i].defined() ? root_grads[i] : Tensor<T>::ones(roots[i].shape());
        accumulate(roots[i].node()->pending, seed);
    }

    GradModeGuard mode(create_graph);
    struct UpdatesFlag {
        bool previous = updates_in_pass;
        ~UpdatesFlag() { updates_in_pass = previous; }
    } flag;
    updates_in_pass = !create_graph && !capture;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node<T>& node = **it;
        if (!node.pending.defined()) continue;
        Tensor<T> g = std::move(node.pending);
        node.pending = Tensor<T>();
        for (auto& hook : node.hooks) {
            Tensor<T> replaced = hook(g);
            if (replaced.defined()) {
                if (replaced.shape() != g.shape())
                    throw ShapeError("backward: a hook returned a gradient of shape " + shape_str(replaced.shape()) +
                                     ", expected " + shape_str(g.shape()));
                g = replaced;
            }
        }
        if (capture) {
            for (std::size_t k = 0; k < capture->size(); ++k)
                if ((*capture)[k].node() == &node) accumulate((*captured)[k], g);
        } else if (updates_in_pass && node.update.on) {
            apply_update(node, g);
        } else if (node.is_leaf() || node.retains_grad) {
            accumulate_grad(node, g, create_graph);
        }
        if (node.is_leaf()) continue;
        if (node.freed)
            throw GraphError(std::string("backward: the graph through ") + node.op +
                             " was already freed by an earlier backward; pass retain_graph=true to the first backward "
                             "to backward twice");
        check_versions(node);

        Tensor<T> self(*it);
        std::vector<Tensor<T>> grads;
        if (anomaly_mode) {
            backward_context = node.op + where(node.label);
            struct Reset {
                ~Reset() { backward_context.clear(); }
            } reset;
            grads = node.backward(node.inputs, self, g);
        } else {
            grads = node.backward(node.inputs, self, g);
        }
        if (anomaly_mode)
            for (std::size_t i = 0; i < grads.size(); ++i)
                if (grads[i].defined() && !all_finite(grads[i].value()))
                    throw AnomalyError(std::string("anomaly: the backward of ") + node.op + where(node.label) +
                                       " produced NaN or Inf in the gradient of input " + std::to_string(i) +
                                       " (input shapes " + shapes_of(node.inputs) + ")");
        if (TraceSink<T>* sink = trace_sink<T>())
            sink->on_step(TraceStep<T>{node.op, node.label, self, g, node.inputs, grads});
        for (std::size_t i = 0; i < node.inputs.size() && i < grads.size(); ++i) {
            const Tensor<T>& in = node.inputs[i];
            if (!in.requires_grad() || !grads[i].defined()) continue;
            Tensor<T> gi = std::move(grads[i]);  // moved: a gradient held once can become a .grad without a copy
            if (!equal_shapes(gi.value(), in.value())) gi = sum_to(gi, in.shape());
            accumulate(in.node()->pending, gi);
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
    run_backward<T>(roots, root_grads, retain_graph || create_graph, create_graph, nullptr, nullptr);
}

template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs, bool retain_graph, bool create_graph,
                            bool allow_unused) {
    for (const auto& in : inputs)
        if (!in.defined() || !in.requires_grad())
            throw GraphError("grad: every input must be a defined tensor that requires grad");
    std::vector<Tensor<T>> douts = grad_outputs;
    if (douts.empty()) douts.resize(outputs.size());
    std::vector<Tensor<T>> result(inputs.size());
    run_backward<T>(outputs, douts, retain_graph || create_graph, create_graph, &inputs, &result);
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!result[i].defined() && !allow_unused)
            throw GraphError("grad: input " + std::to_string(i) + " (shape " + shape_str(inputs[i].shape()) +
                             ") was not used to compute the outputs; pass allow_unused=true");
    return result;
}

template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs, bool create_graph, bool allow_unused) {
    return grad<T>(outputs, inputs, grad_outputs, create_graph, create_graph, allow_unused);
}

template <class T>
UpdateInBackward<T>::~UpdateInBackward() {
    for (auto& leaf : leaves_) leaf.node()->update = InBackwardUpdate<T>{};
}

template <class T>
void UpdateInBackward<T>::add(const Tensor<T>& leaf, T lr, T decay) {
    if (!leaf.defined() || !leaf.is_leaf() || !leaf.requires_grad())
        throw GraphError("UpdateInBackward: expected a leaf tensor that requires grad");
    if (!std::isfinite(lr) || !std::isfinite(decay))
        throw ValueError("UpdateInBackward: lr and decay must be finite (got lr " + std::to_string(lr) + ", decay " +
                         std::to_string(decay) + ")");
    Node<T>& node = *leaf.node();
    if (node.update.on) throw GraphError("UpdateInBackward: the leaf (shape " + shape_str(leaf.shape()) +
                                         ") is registered already");
    node.update = InBackwardUpdate<T>{true, lr, decay};
    leaves_.push_back(leaf);
}

namespace detail {
template <class T>
bool update_by_gemm(const Tensor<T>& w, const Array<T>& a, bool ta, const Array<T>& b, bool tb) {
    Node<T>* node = w.node();
    if (!updates_in_pass || !node || !node->update.on || node->consumers != 1 || !node->hooks.empty() ||
        anomaly_mode || trace_sink<T>())
        return false;
    gemm_into(a, ta, b, tb, node->value, -node->update.lr, node->update.decay);
    ++node->version;
    return true;
}
}  // namespace detail

#define DG_INSTANTIATE(T)                                                                                        \
    template class UpdateInBackward<T>;                                                                          \
    template bool detail::update_by_gemm(const Tensor<T>&, const Array<T>&, bool, const Array<T>&, bool);        \
    template Tensor<T> record(Array<T>, std::vector<Tensor<T>>, const char*, BackwardFn<T>, Saves);              \
    template void backward(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&, bool, bool);            \
    template std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&,          \
                                         const std::vector<Tensor<T>>&, bool, bool, bool);                       \
    template std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>&, const std::vector<Tensor<T>>&,          \
                                         const std::vector<Tensor<T>>&, bool, bool);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
