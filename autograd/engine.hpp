// The engine: grad mode, recording an op into the graph, and the backward pass (an iterative topological
// sort, gradient accumulation with the one sum_to, retain_graph / create_graph, grad(), hooks, version
// checks). Everything else that watches or changes a pass (anomaly mode, name scopes, the backward trace, an
// optimizer's update inside backward) plugs in through its one extension point, Observer (observer.hpp).
#pragma once

#include <vector>

#include "autograd/observer.hpp"
#include "autograd/tensor.hpp"

namespace dg {

bool grad_enabled();                  ///< whether ops record a graph on this thread (true by default)
void set_grad_enabled(bool enabled);  ///< turns recording on or off on this thread

/// Sets grad mode to `enabled` within its scope (the engine uses it to run backward functions).
class GradModeGuard {
public:
    /// Remembers the current mode, to restore it at the end of the scope.
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
    static Saves none() { return {0u, false}; }         ///< backward reads no value
    static Saves all_inputs() { return {~0u, false}; }  ///< backward reads every input (the default)
    static Saves only_output() { return {0u, true}; }   ///< backward reads only the output
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
/// (torch.autograd.grad). With allow_unused, an input that does not influence the outputs gets an undefined
/// tensor instead of an error.
template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs, bool retain_graph, bool create_graph,
                            bool allow_unused);
/// As above, with retain_graph = create_graph.
template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs = {}, bool create_graph = false,
                            bool allow_unused = false) {
    return grad<T>(outputs, inputs, grad_outputs, create_graph, create_graph, allow_unused);
}

}  // namespace dg
