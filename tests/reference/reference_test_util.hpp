// Shared by the reference tests: every activation of nn/reference, in declaration order.
#pragma once

#include "nn/reference/delta_activation.hpp"

namespace dg::reference::test {

inline constexpr Activation all_activations[] = {Activation::identity, Activation::sigmoid,    Activation::tanh,
                                                 Activation::relu,     Activation::leaky_relu, Activation::elu,
                                                 Activation::softplus, Activation::abs};

}  // namespace dg::reference::test
