// UpdateInBackward: the update of a registered leaf when its gradient is complete, by the weight-gradient GEMM, or
// from the rows whose sum is a bias's gradient.
#include "nn/optim/update_in_backward.hpp"

#include <cmath>

#include "autograd/kernels/parallel.hpp"
#include "autograd/kernels/sum_to.hpp"

namespace dg::optim {

template <class T>
void UpdateInBackward<T>::add(const Tensor<T>& leaf, T lr, T decay) {
    if (!leaf.defined() || !leaf.is_leaf() || !leaf.requires_grad())
        throw GraphError("UpdateInBackward: expected a leaf tensor that requires grad");
    if (!std::isfinite(lr) || !std::isfinite(decay))
        throw ValueError("UpdateInBackward: lr and decay must be finite (got lr " + std::to_string(lr) + ", decay " +
                         std::to_string(decay) + ")");
    if (rule_of(leaf.node()))
        throw GraphError("UpdateInBackward: the leaf (shape " + shape_str(leaf.shape()) + ") is registered already");
    rules_.push_back(Rule{leaf, lr, decay});
}

template <class T>
auto UpdateInBackward<T>::rule_of(const Node<T>* leaf) const -> const Rule* {
    for (const Rule& r : rules_)
        if (r.leaf.node() == leaf) return &r;
    return nullptr;
}

template <class T>
void UpdateInBackward<T>::apply(Node<T>& leaf, const Rule& rule, const T* grad) {
    const T lr = rule.lr, decay = rule.decay;
    T* v = leaf.value.data();
    parallel::for_range(leaf.value.size(), [=](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) v[k] = decay * v[k] - lr * grad[k];
    });
    ++leaf.version;
}

template <class T>
bool UpdateInBackward<T>::take_leaf_grad(Node<T>& leaf, const Tensor<T>& grad) {
    const Rule* rule = rule_of(&leaf);
    if (!rule) return false;
    if (!equal_shapes(leaf.value, grad.value()))
        throw ShapeError("backward: gradient of shape " + shape_str(grad.shape()) + " for a leaf of shape " +
                         shape_str(shape_of(leaf.value)) + " updated in backward");
    apply(leaf, *rule, grad.value().data());
    return true;
}

template <class T>
bool UpdateInBackward<T>::take_leaf_grad_product(Node<T>& leaf, const Array<T>& a, bool ta, const Array<T>& b,
                                                 bool tb) {
    const Rule* rule = rule_of(&leaf);
    if (!rule) return false;
    gemm_into(a, ta, b, tb, leaf.value, -rule->lr, rule->decay);
    ++leaf.version;
    return true;
}

template <class T>
bool UpdateInBackward<T>::take_leaf_grad_row_sum(Node<T>& leaf, const Array<T>& rows) {
    const Rule* rule = rule_of(&leaf);
    if (!rule) return false;
    if (rows.dimension() != 2 || rows.shape()[1] != leaf.value.size())
        throw ShapeError("backward: the rows " + shape_str(shape_of(rows)) + " offered as the gradient of a leaf of " +
                         shape_str(shape_of(leaf.value)) + " are not 2-d with one column per element");
    if (rows.shape()[0] == 1) {  // one row is its own sum (batch 1): no buffer
        apply(leaf, *rule, rows.data());
    } else {
        Array<T> sums = Array<T>::from_shape(leaf.value.shape());
        sum_to_into(rows, sums);
        apply(leaf, *rule, sums.data());
    }
    return true;
}

template class UpdateInBackward<float>;
template class UpdateInBackward<double>;

}  // namespace dg::optim
