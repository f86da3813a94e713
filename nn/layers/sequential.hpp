// Sequential: a chain of modules applied in order, each registered under its index ("0", "1", ...) or a
// name of the caller's choosing.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>

#include "nn/module.hpp"

namespace dg::nn {

/// y = m_k(...m_1(m_0(x))). Children are called through Module::operator(), so the summary shows each
/// one's output shape after a forward pass. A chain of single-tensor modules: a module whose forward takes other
/// arguments (Module's example) is not a link of it.
template <class T>
class Sequential : public Cloneable<Sequential<T>, T> {
public:
    using Ptr = typename Module<T>::Ptr;  ///< a shared pointer to any module

    Sequential() = default;
    /// Sequential<float>{std::make_shared<Linear<float>>(2, 4, gen), std::make_shared<Tanh<float>>()}.
    Sequential(std::initializer_list<Ptr> modules);
    /// The same from pointers of any module classes, e.g. std::make_shared<Sequential<float>>(linear, tanh).
    template <class... M, class = std::enable_if_t<(sizeof...(M) > 0 && (std::is_base_of_v<Module<T>, M> && ...))>>
    explicit Sequential(std::shared_ptr<M>... modules) : Sequential({Ptr(std::move(modules))...}) {}

    /// Appends a module named by its index.
    Sequential& push_back(Ptr module);
    /// Appends a module under `name` (unique, no '.').
    Sequential& push_back(const std::string& name, Ptr module);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "Sequential"; }

    /// The number of modules in the chain.
    std::size_t size() const { return this->named_children().size(); }
    /// The i-th module (bounds-checked: ValueError).
    Ptr operator[](std::size_t i) const;
};

extern template class Sequential<float>;
extern template class Sequential<double>;

}  // namespace dg::nn
