// Sequential: registration by index and the chained forward pass.
#include "nn/layers/sequential.hpp"

#include "autograd/array/errors.hpp"

namespace dg::nn {

template <class T>
Sequential<T>::Sequential(std::initializer_list<Ptr> modules) {
    for (const Ptr& m : modules) push_back(m);
}

template <class T>
Sequential<T>& Sequential<T>::push_back(Ptr module) {
    return push_back(std::to_string(size()), std::move(module));
}

template <class T>
Sequential<T>& Sequential<T>::push_back(const std::string& name, Ptr module) {
    this->register_module(name, std::move(module));
    return *this;
}

template <class T>
Tensor<T> Sequential<T>::forward(const Tensor<T>& x) {
    Tensor<T> y = x;
    for (const auto& [name, m] : this->named_children()) y = (*m)(y);
    return y;
}

template <class T>
typename Sequential<T>::Ptr Sequential<T>::operator[](std::size_t i) const {
    if (i >= size())
        throw ValueError(this->where() + ": index " + std::to_string(i) + " out of range for " +
                         std::to_string(size()) + " modules");
    return this->named_children()[i].second;
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace dg::nn
