// The SGD update fused into backward: an observer of the engine that updates registered parameters as their
// gradients become complete, instead of letting backward store them. SGD::backward_and_step uses it.
#pragma once

#include "autograd/array/small_vector.hpp"
#include "autograd/engine.hpp"

namespace dg::optim {

/// While it lives, backward() applies the gradient it computes for each added leaf to the leaf's value,
/// value ← decay·value − lr·g, instead of storing it in .grad. Where the leaf is the weight of a linear op (or
/// the right operand of a matmul) and feeds nothing else, that op offers its weight gradient as a product
/// (offer_leaf_grad_product in autograd/observer.hpp) and the update is written by the weight-gradient GEMM itself
/// (α = −lr, β = decay), as the delta reference's step does: no gradient buffer, and with several threads each
/// thread updates the part of W it just computed. The op's bias gradient is offered as the rows it sums
/// (offer_leaf_grad_row_sum), which the update reads directly: no gradient node for the bias either.
///
/// Why it is exact: a leaf comes after every node that reads it in the reverse topological order, so all of them
/// have used its old value when it changes. The result equals backward() followed by the update, up to rounding.
/// grad() and create_graph passes are not affected; while a trace or anomaly mode watches the gradients, the
/// weight gradients are computed and then applied.
template <class T>
class UpdateInBackward : public Observer<T> {
public:
    UpdateInBackward() = default;
    UpdateInBackward(const UpdateInBackward&) = delete;
    UpdateInBackward& operator=(const UpdateInBackward&) = delete;

    /// Registers `leaf` (GraphError unless it is a leaf that requires grad and is not registered already;
    /// ValueError unless lr and decay are finite).
    void add(const Tensor<T>& leaf, T lr, T decay = T(1));

    bool take_leaf_grad(Node<T>& leaf, const Tensor<T>& grad) override;
    bool take_leaf_grad_product(Node<T>& leaf, const Array<T>& a, bool ta, const Array<T>& b, bool tb) override;
    bool take_leaf_grad_row_sum(Node<T>& leaf, const Array<T>& rows) override;

private:
    struct Rule {
        Tensor<T> leaf;  // a handle, so the node stays alive while it is registered
        T lr, decay;
    };
    /// The rule of a registered leaf, or nullptr. A linear search: a model has few parameter tensors, and a hash
    /// map's allocations cost more than the search at batch 1.
    const Rule* rule_of(const Node<T>* leaf) const;
    /// leaf ← decay·leaf − lr·grad, grad holding one value per element of the leaf.
    static void apply(Node<T>& leaf, const Rule& rule, const T* grad);

    SmallVector<Rule, 8> rules_;  // inline: an MLP's parameters cost no allocation per step
    ObserverGuard<T> guard_{*this};  // last: installed once the members exist, removed before they go
};

extern template class UpdateInBackward<float>;
extern template class UpdateInBackward<double>;

}  // namespace dg::optim
