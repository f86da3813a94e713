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

}  // namespace dg
