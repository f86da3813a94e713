// Custom activations by name: elementwise functions written with the library's ops, registered once and then named
// in an Mlp spec ("4-8-3:swish") or an Activation("swish"). The registry is nn's: the delta reference knows none.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/tensor.hpp"

namespace dg::nn {

/// A custom activation y = f(x), written with the library's differentiable ops (so autograd differentiates it) and
/// elementwise: y has x's shape.
template <class T>
using ActivationFn = std::function<Tensor<T>(const Tensor<T>&)>;

/// Registers an elementwise activation under `name`, for float and double. A name is letters, digits and '_',
/// starts with a letter, is not a built-in name (nor "linear") and does not end in "_out" (the spec's output marker);
/// ValueError otherwise, when it is already registered, or when a function is empty.
void register_activation(const std::string& name, ActivationFn<float> f32, ActivationFn<double> f64);

/// The same with one callable for both types, e.g. a generic lambda:
/// `register_activation("swish", [](const auto& x) { return x * sigmoid(x); });`
template <class F>
void register_activation(const std::string& name, const F& f) {
    register_activation(name, ActivationFn<float>(f), ActivationFn<double>(f));
}

/// Removes a registered activation; modules already built with it keep their function. False if none had the name.
bool unregister_activation(std::string_view name);

/// The registered names, sorted.
std::vector<std::string> registered_activations();

/// The function registered under `name` for T; ValueError listing the registered names when there is none.
template <class T>
ActivationFn<T> registered_activation(std::string_view name);

}  // namespace dg::nn
