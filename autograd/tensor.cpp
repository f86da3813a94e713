// Tensor: creation, access, grad bookkeeping; backward delegates to the engine.
#include "autograd/tensor.hpp"

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"

namespace dg {

template <class T>
Tensor<T>::Tensor(Array<T> value, bool requires_grad) : node_(make_node(std::move(value))) {
    node_->requires_grad = requires_grad;
}
template <class T>
Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 1> values, bool requires_grad)
    : Tensor(Array<T>(values), requires_grad) {}
template <class T>
Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 2> values, bool requires_grad)
    : Tensor(Array<T>(values), requires_grad) {}
template <class T>
Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 3> values, bool requires_grad)
    : Tensor(Array<T>(values), requires_grad) {}

template <class T>
Tensor<T> Tensor<T>::scalar(T value, bool requires_grad) {
    Array<T> a = xt::xscalar<T>(value);
    return Tensor(std::move(a), requires_grad);
}
template <class T>
Tensor<T> Tensor<T>::full(const Shape& shape, T value, bool requires_grad) {
    Array<T> a = Array<T>::from_shape(shape);
    a.fill(value);
    return Tensor(std::move(a), requires_grad);
}
template <class T>
Tensor<T> Tensor<T>::zeros(const Shape& shape, bool requires_grad) {
    return full(shape, T(0), requires_grad);
}
template <class T>
Tensor<T> Tensor<T>::ones(const Shape& shape, bool requires_grad) {
    return full(shape, T(1), requires_grad);
}
template <class T>
Tensor<T> Tensor<T>::arange(T start, T stop, T step) {
    if (step == T(0)) throw ValueError("arange: step must not be zero");
    const double n = std::ceil((static_cast<double>(stop) - start) / step);
    const std::size_t count = n > 0 ? static_cast<std::size_t>(n) : 0;
    Array<T> a = Array<T>::from_shape({count});
    for (std::size_t i = 0; i < count; ++i) a(i) = static_cast<T>(start + static_cast<T>(i) * step);
    return Tensor(std::move(a));
}
template <class T>
Tensor<T> Tensor<T>::randn(const Shape& shape, Generator& gen, T mean, T stddev, bool requires_grad) {
    Array<T> a = Array<T>::from_shape(shape);
    for (auto& v : a) v = static_cast<T>(gen.normal(mean, stddev));
    return Tensor(std::move(a), requires_grad);
}
template <class T>
Tensor<T> Tensor<T>::rand(const Shape& shape, Generator& gen, T low, T high, bool requires_grad) {
    Array<T> a = Array<T>::from_shape(shape);
    for (auto& v : a) v = static_cast<T>(gen.uniform(low, high));
    return Tensor(std::move(a), requires_grad);
}

template <class T>
Node<T>& Tensor<T>::checked() const {
    if (!node_) throw GraphError("Tensor: operation on an undefined tensor (e.g. the grad() of a tensor before any backward)");
    return *node_;
}

template <class T>
const Array<T>& Tensor<T>::value() const {
    return checked().value;
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
Shape Tensor<T>::shape() const {
    return shape_of(checked().value);
}
template <class T>
std::size_t Tensor<T>::dim() const {
    return checked().value.dimension();
}
template <class T>
std::size_t Tensor<T>::numel() const {
    return checked().value.size();
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
    if (!n.is_leaf()) throw GraphError("set_requires_grad: only a leaf's requires_grad can be changed (op " + std::string(n.op) + ")");
    n.requires_grad = requires_grad;
    return *this;
}
template <class T>
bool Tensor<T>::is_leaf() const {
    return checked().is_leaf();
}
template <class T>
const Tensor<T>& Tensor<T>::grad() const {
    const Node<T>& n = checked();
    if (!n.requires_grad)
        throw GraphError("grad: this tensor (" + std::string(n.op) + ", shape " + shape_str(shape_of(n.value)) +
                         ") does not require grad");
    if (!n.is_leaf() && !n.retains_grad)
        throw GraphError("grad: the grad of a non-leaf tensor (" + std::string(n.op) +
                         ") is not kept; call retain_grad() before backward");
    return n.grad;
}
template <class T>
bool Tensor<T>::has_grad() const {
    return node_ && node_->grad.defined();
}
template <class T>
void Tensor<T>::zero_grad() {
    checked().grad = Tensor();
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

template <class T>
void Tensor<T>::backward(bool retain_graph, bool create_graph) const {
    dg::backward<T>({*this}, {Tensor()}, retain_graph, create_graph);
}
template <class T>
void Tensor<T>::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
    dg::backward<T>({*this}, {gradient}, retain_graph, create_graph);
}

template <class T>
Tensor<T> Tensor<T>::detach() const {
    return Tensor(Array<T>(checked().value));
}
template <class T>
Tensor<T> Tensor<T>::clone() const {
    // clone: gx = g
    return record<T>(Array<T>(checked().value), {*this}, "clone",
                     [](const std::vector<Tensor<T>>&, const Tensor<T>&, const Tensor<T>& g) {
                         return std::vector<Tensor<T>>{g};
                     },
                     Saves::none());
}
template <class T>
const char* Tensor<T>::op() const {
    return checked().op;
}
template <class T>
const std::string& Tensor<T>::label() const {
    return checked().label;
}
template <class T>
Tensor<T>& Tensor<T>::set_label(std::string label) {
    checked().label = std::move(label);
    return *this;
}

template class Tensor<float>;
template class Tensor<double>;
template struct Node<float>;
template struct Node<double>;

}  // namespace dg
