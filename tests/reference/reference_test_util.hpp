// Shared by the reference tests: every activation the reference has a formula for, in declaration order.
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

}  // namespace dg::reference::test
