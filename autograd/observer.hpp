// The engine's one extension point: an Observer installed on a thread is told of every op recorded and every step
// of every backward pass there, and may take a leaf's complete gradient. Anomaly mode, name scopes and the
// backward trace (autograd/inspect/) and the SGD update inside backward (nn/optim/update_in_backward.hpp) are
// observers; the engine knows nothing of them.
#pragma once

#include "autograd/tensor.hpp"

namespace dg {

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
    /// The same offer for a gradient that is the sum over the rows of `rows` (a bias's: its output's gradient
    /// summed over the batch), so that the sum can go straight into the leaf (see offer_leaf_grad_row_sum).
    virtual bool take_leaf_grad_row_sum(Node<T>& /*leaf*/, const Array<T>& /*rows*/) { return false; }
    /// True for an observer that must see every gradient an op computes (a trace, anomaly checks): while one is
    /// installed, ops compute their gradients instead of offering them (as products or row sums).
    virtual bool sees_every_gradient() const { return false; }

    Observer* next_ = nullptr;  ///< the engine's list of installed observers (set by ObserverGuard)
};

/// Installs an observer on this thread for the guard's lifetime (guards nest; the newest is told first).
template <class T>
class ObserverGuard {
public:
    /// `observer` is told of every op and pass on this thread until the guard ends (it must outlive the guard).
    explicit ObserverGuard(Observer<T>& observer);
    ~ObserverGuard();
    ObserverGuard(const ObserverGuard&) = delete;
    ObserverGuard& operator=(const ObserverGuard&) = delete;

private:
    Observer<T>& observer_;
};

namespace detail {
/// The head of this thread's list of installed observers (ObserverGuard links and unlinks them). In the header and
/// trivially initialised, so that record() and the pass read it inline, with no call and no guard.
template <class T>
inline thread_local Observer<T>* observer_head = nullptr;
}  // namespace detail

/// The observers installed on this thread, newest first (nullptr when none).
template <class T>
inline Observer<T>* observers() {
    return detail::observer_head<T>;
}

/// For an op whose gradient for input `w` is op(a)·op(b): when `w` is a leaf whose gradient is complete with
/// this one contribution (one consumer in the pass, no hook) in a pass that stores gradients, offers it to the
/// observers. True when one took it: the op then returns no gradient for `w`. Call it after everything that
/// reads w's value. The linear op and matmul call it for their weight, so an optimizer can update W in place by
/// the weight-gradient GEMM itself (nn/optim/update_in_backward.hpp).
template <class T>
bool offer_leaf_grad_product(const Tensor<T>& w, const Array<T>& a, bool ta, const Array<T>& b, bool tb);

/// As offer_leaf_grad_product, for an op whose gradient for input `b` is the sum over the rows of the 2-d `rows`
/// (b has rows.shape()[1] elements). The linear op calls it for its bias.
template <class T>
bool offer_leaf_grad_row_sum(const Tensor<T>& b, const Array<T>& rows);

}  // namespace dg
