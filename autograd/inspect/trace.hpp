// The backward trace for teaching: an observer of the engine that records each node backward visits, the op's
// local rule (written beside the op's forward, see autograd/OPS.md), the gradient it received and what it sent to
// each input, printable as an aligned text table. Also the short value previews shared with graphviz.hpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "autograd/engine.hpp"

namespace dg {

/// A short text of a value: "0.4621" for one element, "[0.1, -2, 3.5, …] (12)" beyond `max_elements`.
template <class T>
std::string preview(const Array<T>& value, std::size_t max_elements = 4, int precision = 4);
/// One number as printf's %g with `precision` significant digits; -0 prints as 0.
std::string format_number(double v, int precision);

/// Records the steps of every backward pass run on this thread while it is installed:
///   BackwardTrace<double> trace;
///   { ObserverGuard<double> guard(trace); loss.backward(); }
///   std::cout << trace.table();
/// Values and gradients are copied when recorded, so later accumulation or optimizer steps do not change them.
template <class T>
class BackwardTrace : public Observer<T> {
public:
    /// What one input of a step received.
    struct Sent {
        Tensor<T> input;   ///< the input (a handle: its op, label, shape)
        bool defined;      ///< false where the op sends no gradient (input does not require grad)
        Array<T> grad;     ///< the gradient sent, before sum_to reduces a broadcast
    };
    /// One node visited by backward, in the order the engine visited it.
    struct Step {
        std::string op;     ///< the op's name ("tanh")
        std::string rule;   ///< the op's local backward rule
        std::string label;  ///< where the node was made ("model.fc2"), "" outside any name scope
        Tensor<T> output;   ///< the node itself (a handle, so the node stays identifiable)
        Array<T> grad_out;  ///< the gradient that arrived at the node
        std::vector<Sent> sent;  ///< one entry per input of the op, in order
    };

    void computed(const Tensor<T>& output, const Tensor<T>& grad_out, const TensorList<T>& grads) override;
    bool sees_every_gradient() const override { return true; }
    const std::vector<Step>& steps() const { return steps_; }  ///< every step recorded so far, in visiting order
    void clear() { steps_.clear(); }                           ///< forgets the steps (to trace another pass)

    /// The steps as an aligned text table: step "#k", label, op, shape, rule, incoming gradient, and one
    /// row per input with the gradient sent to it. Nodes are named "#k" (the step that visited them), leaves
    /// by their label or as "param" / "leaf". Previews show up to `max_elements` values.
    std::string table(std::size_t max_elements = 4, int precision = 4) const;

    /// How the table names a tensor: "#3 tanh", "w1 (param)", "x (leaf)".
    std::string name_of(const Tensor<T>& t) const;

private:
    std::vector<Step> steps_;
};

extern template class BackwardTrace<float>;
extern template class BackwardTrace<double>;

}  // namespace dg
