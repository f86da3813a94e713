// Tensor: access to the node, grad bookkeeping. backward() is in engine.cpp, creation in ops/creation.cpp.
#include "autograd/tensor.hpp"

#include "autograd/engine.hpp"

namespace dg {

template <class T>
Tensor<T>::Tensor(Array<T>&& value, bool requires_grad, int) : node_(make_node(std::move(value))) {
    node_->requires_grad = requires_grad;
}

template <class T>
Node<T>& Tensor<T>::undefined_error() {
    throw GraphError("Tensor: operation on an undefined tensor (e.g. the grad() of a tensor before any backward)");
}

template <class T>
Array<T>& Tensor<T>::mutable_value() {
    Node<T>& n = checked();
    if (n.requires_grad && n.is_leaf() && grad_enabled())
        throw GraphError("in-place change of a leaf that requires grad while grad mode is on (use NoGradGuard)");
    ++n.version;
    return n.value;
}
template <class T>
T Tensor<T>::item() const {
    const Array<T>& v = checked().value;
    if (v.size() != 1)
        throw ValueError("item: expected a tensor with one element, got shape " + shape_str(shape_of(v)));
    return *v.data();
}
template <class T>
T Tensor<T>::at(std::size_t flat_index) const {
    const Array<T>& v = checked().value;
    if (flat_index >= v.size())
        throw ValueError("at: index " + std::to_string(flat_index) + " out of range for " + std::to_string(v.size()) +
                         " elements");
    return v.data()[flat_index];
}

template <class T>
Tensor<T>& Tensor<T>::set_requires_grad(bool requires_grad) {
    Node<T>& n = checked();
    if (!n.is_leaf())
        throw GraphError(std::string("set_requires_grad: only a leaf's can be changed (op ") + n.op.name + ")");
    n.requires_grad = requires_grad;
    return *this;
}
template <class T>
const Tensor<T>& Tensor<T>::grad() const {
    const Node<T>& n = checked();
    if (!n.requires_grad)
        throw GraphError("grad: this tensor (" + std::string(n.op.name) + ", shape " + shape_str(shape_of(n.value)) +
                         ") does not require grad");
    if (!n.is_leaf() && !n.retains_grad)
        throw GraphError("grad: the grad of a non-leaf tensor (" + std::string(n.op.name) +
                         ") is not kept; call retain_grad() before backward");
    return n.grad;
}
template <class T>
void Tensor<T>::retain_grad() {
    Node<T>& n = checked();
    if (!n.requires_grad) throw GraphError("retain_grad: this tensor does not require grad");
    n.retains_grad = true;
}
template <class T>
void Tensor<T>::register_hook(Hook hook) {
    Node<T>& n = checked();
    if (!n.requires_grad) throw GraphError("register_hook: this tensor does not require grad");
    n.hooks.push_back(std::move(hook));
}

template class Tensor<float>;
template class Tensor<double>;
template struct Node<float>;
template struct Node<double>;

}  // namespace dg
