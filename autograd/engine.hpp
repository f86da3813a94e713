// The engine: grad mode, recording an op into the graph, and the backward pass (an iterative topological
// sort, gradient accumulation with the one sum_to, retain_graph / create_graph, grad(), hooks, version
// checks). Everything else that watches or changes a pass (anomaly mode, name scopes, the backward trace, an
// optimizer's update inside backward) plugs in through one extension point, Observer, at the end of this file.
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace dg {

/// Whether ops record a graph on this thread (true by default).
bool grad_enabled();
void set_grad_enabled(bool enabled);

/// Sets grad mode to `enabled` within its scope (the engine uses it to run backward functions).
class GradModeGuard {
public:
    explicit GradModeGuard(bool enabled) : previous_(grad_enabled()) { set_grad_enabled(enabled); }
    ~GradModeGuard() { set_grad_enabled(previous_); }
    GradModeGuard(const GradModeGuard&) = delete;
    GradModeGuard& operator=(const GradModeGuard&) = delete;

private:
    bool previous_;
};

/// Within its scope no graph is recorded: results are leaves that do not require grad.
class NoGradGuard : public GradModeGuard {
public:
    NoGradGuard() : GradModeGuard(false) {}
};

/// Which values an op's backward reads, so that an in-place change to one of them is caught.
struct Saves {
    unsigned inputs = ~0u;  ///< bit i: input i is read by backward
    bool output = false;    ///< the output value is read by backward
    static Saves none() { return {0u, false}; }
    static Saves all_inputs() { return {~0u, false}; }
    static Saves only_output() { return {0u, true}; }
};

/// Records an op: returns a tensor holding `value` that, when grad mode is on and some input requires grad,
/// remembers its inputs and `backward`. Otherwise the result is a plain leaf. Every op calls this, and so can
/// a user's own op (see the README's "Custom ops"):
///   record<T>(value, {x}, {"swish", "grad_in = grad_out * (s + x*s*(1-s))"}, backward_fn)
template <class T>
Tensor<T> record(Array<T> value, TensorList<T> inputs, Op op, BackwardFn<T> backward,
                 Saves saves = Saves::all_inputs());
/// As above, for an op that filled its output in place in a new node (make_node(shape)).
template <class T>
Tensor<T> record(std::shared_ptr<Node<T>> output, TensorList<T> inputs, Op op, BackwardFn<T> backward,
                 Saves saves = Saves::all_inputs());

/// Backward from several roots at once, each with its gradient (an undefined gradient means ones, for a
/// one-element root). Gradients accumulate (+=) into leaves and into tensors that retain_grad().
template <class T>
void backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& root_grads,
              bool retain_graph = false, bool create_graph = false);

/// The gradients of `outputs` with respect to `inputs`, returned instead of accumulated into .grad
/// (torch.autograd.grad). retain_graph defaults to create_graph. With allow_unused, an input that does not
/// influence the outputs gets an undefined tensor instead of an error.
template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs = {}, bool create_graph = false,
                            bool allow_unused = false);
/// As above, with retain_graph given explicitly.
template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs, bool retain_graph, bool create_graph,
                            bool allow_unused);

/// The engine's one extension point. While an ObserverGuard holds it, an Observer is told of every op recorded
/// on its thread and of every step of every backward pass there, and may take a leaf's complete gradient
/// instead of the engine storing it. Anomaly mode, name scopes and the backward trace (autograd/inspect/) and
/// the SGD update inside backward (nn/optim/) are observers. Every method has a default that does nothing.
template <class T>
class Observer {
public:
    virtual ~Observer() = default;
    /// An op was recorded as `node` from `inputs` (kept by the node only when it needs grad). May label the
    /// node, or throw to stop the op.
    virtual void recorded(Node<T>& /*node*/, const TensorList<T>& /*inputs*/) {}
    /// `node`'s backward function is about to run (`node` set), or has returned or thrown (nullptr).
    virtual void running(const Node<T>* /*node*/) {}
    /// The backward function of `output`'s node turned `grad_out` into `grads`, one per input (before sum_to).
    virtual void computed(const Tensor<T>& /*output*/, const Tensor<T>& /*grad_out*/,
                          const TensorList<T>& /*grads*/) {}
    /// The gradient of `leaf` is complete, in a pass that stores gradients (backward() without create_graph).
    /// Return true to take it: the engine then does not store it in .grad.
    virtual bool take_leaf_grad(Node<T>& /*leaf*/, const Tensor<T>& /*grad*/) { return false; }
    /// The same offer made by an op before it computes the gradient, as the product op(a)·op(b), so that one
    /// GEMM can consume it (see offer_leaf_grad_product). Return true to take it.
    virtual bool take_leaf_grad_product(Node<T>& /*leaf*/, const Array<T>& /*a*/, bool /*ta*/, const Array<T>& /*b*/,
                                        bool /*tb*/) {
        return false;
    }
    /// True for an observer that must see every gradient an op computes (a trace, anomaly checks): while one is
    /// installed, ops compute their gradients instead of offering them as products.
    virtual bool sees_every_gradient() const { return false; }

    Observer* next_ = nullptr;  ///< the engine's list of installed observers (set by ObserverGuard)
};

/// Installs an observer on this thread for the guard's lifetime (guards nest; the newest is told first).
template <class T>
class ObserverGuard {
public:
    explicit ObserverGuard(Observer<T>& observer);
    ~ObserverGuard();
    ObserverGuard(const ObserverGuard&) = delete;
    ObserverGuard& operator=(const ObserverGuard&) = delete;

private:
    Observer<T>& observer_;
};

/// The observers installed on this thread, newest first (nullptr when none).
template <class T>
Observer<T>* observers();

/// For an op whose gradient for input `w` is op(a)·op(b): when `w` is a leaf whose gradient is complete with
/// this one contribution (one consumer in the pass, no hook) in a pass that stores gradients, offers it to the
/// observers. True when one took it: the op then returns no gradient for `w`. Call it after everything that
/// reads w's value. The linear op and matmul call it for their weight, so an optimizer can update W in place by
/// the weight-gradient GEMM itself (nn/optim/update_in_backward.hpp).
template <class T>
bool offer_leaf_grad_product(const Tensor<T>& w, const Array<T>& a, bool ta, const Array<T>& b, bool tb);

}  // namespace dg
