// The activations of the delta reference and their derivatives, written out by hand (no autodiff), for the elementwise
// built-in kinds of the shared vocabulary (activation_kind.hpp); in float, double and long double (bpcheck's finite
// differences evaluate the network in long double with these same formulas).
#pragma once

#include "autograd/array/xt.hpp"
#include "nn/reference/activation_kind.hpp"

namespace dg::reference {

/// Whether the reference has f and f' for a kind: the elementwise built-ins (identity to abs), not softmax,
/// log_softmax or a custom activation. The functions below throw dg::ValueError for the others.
bool has_formula(ActivationKind f);

/// a = f(z), elementwise, written into a (resized to z's shape only if it differs: no allocation when reused).
template <class T>
void activate_into(ActivationKind f, T alpha, const Array<T>& z, Array<T>& a);

/// g ⊙= f'(z), elementwise: the "⊙ f'(z(l))" of δ(l) = (δ(l+1) W(l+1)) ⊙ f'(z(l)).
/// a must be f(z): sigmoid and tanh use it (σ' = a(1 − a), tanh' = 1 − a²) as the notes write them.
/// At a kink the derivative is PyTorch's: relu'(0) = 0, leaky_relu'(0) = alpha, |z|'(0) = sign(0) = 0.
template <class T>
void multiply_by_derivative(ActivationKind f, T alpha, const Array<T>& z, const Array<T>& a, Array<T>& g);

/// f(z) as a new array.
template <class T>
Array<T> activate(ActivationKind f, const Array<T>& z, T alpha);

/// f'(z) as a new array, from z alone (the formulas of the notes: σ(1 − σ), 1 − tanh², [z > 0], …).
template <class T>
Array<T> activation_derivative(ActivationKind f, const Array<T>& z, T alpha);

}  // namespace dg::reference
