// Making tensors: Tensor's constructors from values, the creation functions (zeros, ones, full, arange, and the
// random ones, which take their Generator explicitly), and clone(), the differentiable copy.
#include <cmath>

#include "autograd/ops/op_util.hpp"

namespace dg {

template <class T>
Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 1> values, bool requires_grad)
    : Tensor(Array<T>(values), requires_grad, 0) {}
template <class T>
Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 2> values, bool requires_grad)
    : Tensor(Array<T>(values), requires_grad, 0) {}
template <class T>
Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 3> values, bool requires_grad)
    : Tensor(Array<T>(values), requires_grad, 0) {}

template <class T>
Tensor<T> Tensor<T>::scalar(T value, bool requires_grad) {
    Array<T> a = xt::xscalar<T>(value);
    return Tensor(std::move(a), requires_grad);
}
template <class T>
Tensor<T> Tensor<T>::full(const Shape& shape, T value, bool requires_grad) {
    auto node = make_node<T>(shape);  // filled in place (backward's gradient 1 of a scalar loss comes from here)
    node->value.fill(value);
    node->requires_grad = requires_grad;
    return Tensor(std::move(node));
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
Tensor<T> Tensor<T>::clone() const {
    return record<T>(Array<T>(checked().value), {*this}, {"clone", "grad_in = grad_out"},
                     [](const TensorList<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return TensorList<T>{g};
                     },
                     Saves::none());
}
#define DG_INSTANTIATE(T)                                                                                   \
    template Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 1>, bool);                                  \
    template Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 2>, bool);                                  \
    template Tensor<T>::Tensor(xt::nested_initializer_list_t<T, 3>, bool);                                  \
    template Tensor<T> Tensor<T>::scalar(T, bool);                                                          \
    template Tensor<T> Tensor<T>::full(const Shape&, T, bool);                                              \
    template Tensor<T> Tensor<T>::zeros(const Shape&, bool);                                                \
    template Tensor<T> Tensor<T>::ones(const Shape&, bool);                                                 \
    template Tensor<T> Tensor<T>::arange(T, T, T);                                                          \
    template Tensor<T> Tensor<T>::randn(const Shape&, Generator&, T, T, bool);                              \
    template Tensor<T> Tensor<T>::rand(const Shape&, Generator&, T, T, bool);                               \
    template Tensor<T> Tensor<T>::clone() const;
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
