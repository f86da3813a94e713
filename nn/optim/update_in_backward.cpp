// UpdateInBackward: the update of a registered leaf when its gradient is complete, or by the weight-gradient GEMM.
#include "nn/optim/update_in_backward.hpp"

#include <cmath>

#include "autograd/kernels/parallel.hpp"

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
bool UpdateInBackward<T>::take_leaf_grad(Node<T>& leaf, const Tensor<T>& grad) {
    const Rule* rule = rule_of(&leaf);
    if (!rule) return false;
    if (!equal_shapes(leaf.value, grad.value()))
        throw ShapeError("backward: gradient of shape " + shape_str(grad.shape()) + " for a leaf of shape " +
                         shape_str(shape_of(leaf.value)) + " updated in backward");
    const T lr = rule->lr, decay = rule->decay;
    T* v = leaf.value.data();
    const T* d = grad.value().data();
    parallel::for_range(leaf.value.size(), [=](std::size_t lo, std::size_t hi) {
        for (std::size_t k = lo; k < hi; ++k) v[k] = decay * v[k] - lr * d[k];
    });
    ++leaf.version;
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

template class UpdateInBackward<float>;
template class UpdateInBackward<double>;

}  // namespace dg::optim
