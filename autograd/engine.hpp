// The engine: grad mode (NoGradGuard), recording an op into the graph, and the backward pass
// (iterative topological sort, gradient accumulation, freeing the graph, retain_graph / create_graph).
#pragma once

#include <vector>

#include "autograd/tensor.hpp"

namespace dg {

/// Whether ops record a graph on this thread (true by default).
bool grad_enabled();
void set_grad_enabled(bool enabled);

/// Within its scope no graph is recorded: results are leaves that do not require grad.
class NoGradGuard {
public:
    NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(previous_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

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

/// Anomaly mode (PyTorch's detect_anomaly): while a guard lives on this thread, every op checks its value and
/// the engine every gradient it computes; the first NaN or Inf raises AnomalyError naming the op, its inputs'
/// shapes and where the op was created (the name scope, e.g. a module path). Costs a pass over each value.
bool anomaly_enabled();
class AnomalyGuard {
public:
    AnomalyGuard();
    ~AnomalyGuard();
    AnomalyGuard(const AnomalyGuard&) = delete;
    AnomalyGuard& operator=(const AnomalyGuard&) = delete;

private:
    bool previous_;
};

/// Name scopes: while a NameScope lives, ops record the joined path ("model.fc2") as their tensor's label, so
/// anomaly errors, traces and graph pictures say where in the user's model an op was created. Modules open
/// one per call; users may open their own.
class NameScope {
public:
    explicit NameScope(const std::string& name);
    ~NameScope();
    NameScope(const NameScope&) = delete;
    NameScope& operator=(const NameScope&) = delete;
};
/// The current scope path ("" outside any scope).
const std::string& current_scope();

/// One step of a traced backward pass: the node visited, the gradient it received, what it sent to each input.
template <class T>
struct TraceStep {
    const char* op;
    std::string label;
    Tensor<T> output;              // the node's value (a handle)
    Tensor<T> grad_out;            // the gradient arriving at the node
    std::vector<Tensor<T>> inputs;
    std::vector<Tensor<T>> grads;  // per input: the gradient sent (undefined where none), before sum_to
};

/// Receives the steps of every backward pass run on this thread while a TraceGuard lives.
template <class T>
class TraceSink {
public:
    virtual ~TraceSink() = default;
    virtual void on_step(const TraceStep<T>& step) = 0;
};

template <class T>
class TraceGuard {
public:
    explicit TraceGuard(TraceSink<T>& sink);
    ~TraceGuard();
    TraceGuard(const TraceGuard&) = delete;
    TraceGuard& operator=(const TraceGuard&) = delete;

private:
    TraceSink<T>* previous_;
};

/// Which values an op's backward reads, so that an in-place change to one of them is caught.
struct Saves {
    unsigned inputs = ~0u;  // bit i: input i is read by backward
    bool output = false;    // the output value is read by backward
    static Saves none() { return {0u, false}; }
    static Saves all_inputs() { return {~0u, false}; }
    static Saves only_output() { return {0u, true}; }
};

/// Records an op: returns a tensor holding `value` that, when grad mode is on and some input requires
/// grad, remembers its inputs and `backward`. Otherwise the result is a plain leaf. Every op calls this.
template <class T>
Tensor<T> record(Array<T> value, std::vector<Tensor<T>> inputs, const char* op, BackwardFn<T> backward,
                 Saves saves = Saves::all_inputs());

/// Backward from several roots at once, each with its gradient (an undefined gradient means ones, for a
/// one-element root). Gradients accumulate (+=) into leaves and into tensors that retain_grad().
template <class T>
void backward(const std::vector<Tensor<T>>& roots, const std::vector<Tensor<T>>& root_grads,
              bool retain_graph = false, bool create_graph = false);

/// The gradients of `outputs` with respect to `inputs`, returned instead of accumulated into .grad
/// (torch.autograd.grad). retain_graph defaults to create_graph. With allow_unused, an input that does
/// not influence the outputs gets an undefined tensor instead of an error.
template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs = {}, bool create_graph = false,
                            bool allow_unused = false);
template <class T>
std::vector<Tensor<T>> grad(const std::vector<Tensor<T>>& outputs, const std::vector<Tensor<T>>& inputs,
                            const std::vector<Tensor<T>>& grad_outputs, bool retain_graph, bool create_graph,
                            bool allow_unused);

/// The SGD update fused into backward. While a guard lives, backward() applies the gradient it computes for
/// each added leaf to the leaf's value, value ← decay·value − lr·g, instead of storing it in .grad. Where the
/// leaf is the weight of a linear op (or the right operand of a matmul) and feeds nothing else, that op's
/// weight-gradient GEMM writes the update straight into the value (α = −lr, β = decay), as the delta
/// reference's step does: no gradient buffer, and with several threads each thread updates the part of W it
/// just computed.
///
/// Why it is exact: a leaf comes after every node that reads it in the reverse topological order, so all of
/// them have used its old value when it changes. The result equals backward() followed by the update, up to
/// rounding. grad() and create_graph backward passes ignore the guard and return or store gradients as usual.
/// Optimizers use it through backward_and_step().
template <class T>
class UpdateInBackward {
public:
    UpdateInBackward() = default;
    ~UpdateInBackward();  // removes every registration, also when backward threw
    UpdateInBackward(const UpdateInBackward&) = delete;
    UpdateInBackward& operator=(const UpdateInBackward&) = delete;

    /// Registers `leaf` (GraphError unless it is a leaf that requires grad and is not registered already;
    /// ValueError unless lr and decay are finite).
    void add(const Tensor<T>& leaf, T lr, T decay = T(1));

private:
    std::vector<Tensor<T>> leaves_;
};

namespace detail {
/// For a backward function whose gradient for leaf `w` is op(a)·op(b): when the pass lets the function apply
/// w's UpdateInBackward itself (the pass applies updates, `w` is registered and has one consumer in the graph,
/// no hook, anomaly check or trace watches its gradient), w ← decay·w − lr·op(a)·op(b) in one GEMM and true;
/// otherwise false, and the function returns the gradient as usual. Call it after everything that reads w.
template <class T>
bool update_by_gemm(const Tensor<T>& w, const Array<T>& a, bool ta, const Array<T>& b, bool tb);
}  // namespace detail

}  // namespace dg
