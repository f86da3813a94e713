// Shared by the reference tests: every activation the reference has a formula for, in declaration order, and the
// central difference the finite-difference checks use.
#pragma once

#include <vector>

#include "nn/reference/delta_activation.hpp"

namespace dg::reference::test {

/// The built-in kinds with has_formula(): identity to abs.
inline const std::vector<ActivationKind> all_activations = [] {
    std::vector<ActivationKind> kinds;
    for (ActivationKind f : builtin_activations)
        if (has_formula(f)) kinds.push_back(f);
    return kinds;
}();

/// (loss(x + ε) − loss(x − ε)) / 2ε with ε = 1e-5, for one entry x of some array the loss reads; x is restored.
template <class F>
double central_difference(double& x, F&& loss) {
    const double eps = 1e-5, saved = x;
    x = saved + eps;
    const double up = loss();
    x = saved - eps;
    const double down = loss();
    x = saved;
    return (up - down) / (2 * eps);
}

}  // namespace dg::reference::test
