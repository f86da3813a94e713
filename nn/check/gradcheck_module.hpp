// gradcheck of a module: every trainable parameter, named by named_parameters(), checked against central
// differences through the module's own forward (dg::gradcheck perturbs the parameters themselves, in place).
#pragma once

#include <functional>

#include "autograd/inspect/gradcheck.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// The scalar a module check differentiates, as a function of the module's output (e.g. a loss against fixed
/// targets). Empty: Σ output ⊙ R with a fixed random R, as dg::gradcheck does for any non-scalar output.
using OutputLoss = std::function<Tensor<double>(const Tensor<double>& output)>;

/// Options of the module check: dg::gradcheck's step and tolerances, and whether the input is checked too.
struct ModuleGradcheckOptions {
    GradcheckOptions check;    ///< step, tolerances, seed
    bool check_input = false;  ///< also check d/d(input), reported as "input" (it must be a leaf that requires grad)
};

/// Checks d(loss(module(input)))/dp for every parameter p of `module` that requires grad (frozen ones are
/// constants), each reported under its named_parameters() name; the input is a constant unless
/// options.check_input. The module's parameters are perturbed in place and restored bit for bit; their .grad is
/// left as it was. Fails (ok false) as dg::gradcheck does, also when a parameter's analytic gradient is zero
/// everywhere while its numeric one is not. The forward must be deterministic: put a module with dropout in eval
/// mode. ValueError when there is nothing to check.
GradcheckReport gradcheck(Module<double>& module, const Tensor<double>& input, const OutputLoss& loss = {},
                          const ModuleGradcheckOptions& options = {});

}  // namespace dg::nn
