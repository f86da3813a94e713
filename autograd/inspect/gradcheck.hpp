// gradcheck / gradgradcheck: compare autograd's gradients with central finite differences, in double.
// Usable from user code: the report names the worst element, its analytic and numeric values and errors.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace dg {

struct GradcheckOptions {
    double eps = 1e-6;   // central-difference step
    double atol = 1e-5;  // an element passes if |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;
    std::uint64_t seed = 0;  // for the random projection of non-scalar outputs
};

struct GradcheckReport {
    bool ok = true;
    std::size_t checked = 0;        // number of input elements compared
    std::size_t input = 0;          // the worst element: which input,
    std::size_t index = 0;          // its flat index,
    double analytic = 0, numeric = 0;
    double abs_error = 0;           // |analytic - numeric| at the worst element
    double rel_error = 0;           // abs_error / max(|numeric|, tiny)
    std::string str() const;        // one line, e.g. "gradcheck ok: 24 elements, worst input 0[3] ..."
};

using TensorFn = std::function<Tensor<double>(const std::vector<Tensor<double>>&)>;

/// Checks d(f)/d(inputs) for every input that requires grad. A non-scalar output is reduced to the scalar
/// Σ f(x) ⊙ R with a fixed random R, which checks the vector-Jacobian product the engine computes.
GradcheckReport gradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& options = {});

/// Checks second derivatives: gradcheck of x ↦ Σ_i ⟨∂(Σ f⊙R)/∂x_i, V_i⟩, whose gradient autograd gets by
/// differentiating its own backward (create_graph).
GradcheckReport gradgradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace dg
