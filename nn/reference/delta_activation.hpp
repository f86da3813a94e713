// The activations of the delta reference and their derivatives, each written out by hand (no autodiff),
// plus the names used to parse them from a spec such as "784-100-10, sigmoid, softmax_ce".
#pragma once

#include <string>
#include <string_view>

#include "autograd/array/xt.hpp"

namespace dg::reference {

/// Elementwise activation f of a layer. leaky_relu and elu take a parameter alpha.
enum class Activation { identity, sigmoid, tanh, relu, leaky_relu, elu, softplus, abs };

/// "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "abs".
const char* activation_name(Activation f);

/// Inverse of activation_name ('-' is accepted for '_'); throws dg::ValueError naming the valid names.
Activation parse_activation(std::string_view name);

/// The alpha an activation uses when none is given: 0.01 for leaky_relu, 1.0 for elu, 0 for the others.
double default_alpha(Activation f);

/// a = f(z), elementwise, written into a (resized to z's shape only if it differs: no allocation when reused).
template <class T>
void activate_into(Activation f, T alpha, const Array<T>& z, Array<T>& a);

/// g ⊙= f'(z), elementwise: the "⊙ f'(z(l))" of δ(l) = (δ(l+1) W(l+1)) ⊙ f'(z(l)).
/// a must be f(z): sigmoid and tanh use it (σ' = a(1 − a), tanh' = 1 − a²) as the notes write them.
/// At a kink the derivative is PyTorch's: relu'(0) = 0, leaky_relu'(0) = alpha, |z|'(0) = sign(0) = 0.
template <class T>
void multiply_by_derivative(Activation f, T alpha, const Array<T>& z, const Array<T>& a, Array<T>& g);

/// f(z) as a new array.
template <class T>
Array<T> activate(Activation f, const Array<T>& z, T alpha);

/// f'(z) as a new array, from z alone (the formulas of the notes: σ(1 − σ), 1 − tanh², [z > 0], …).
template <class T>
Array<T> activation_derivative(Activation f, const Array<T>& z, T alpha);

}  // namespace dg::reference
