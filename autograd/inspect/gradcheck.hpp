// gradcheck / gradgradcheck: compare autograd's gradients with central finite differences, in double, by
// perturbing the given tensors themselves. The report names each input's worst element and says why a check
// failed, including the vacuous cases (nothing depends on the inputs; an analytic gradient that is all zero).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace dg {

/// Step and tolerances of a gradient check.
struct GradcheckOptions {
    double eps = 1e-6;   ///< central-difference step
    double atol = 1e-5;  ///< an element passes if |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;  ///< see atol
    std::uint64_t seed = 0;  ///< for the random projection R of non-scalar outputs (and gradgradcheck's V)
};

/// One input's result: how many of its elements failed and its worst element, the one whose error uses the
/// largest share of its tolerance. Elements whose analytic and numeric gradients are both exactly 0 are never
/// named worst (they agree trivially).
struct GradcheckInput {
    std::size_t position = 0;  ///< where it is in the inputs
    std::string name;          ///< the caller's name for it ("fc1.weight"), or ""
    Shape shape;               ///< its shape
    std::size_t checked = 0;   ///< its elements compared (all of them)
    std::size_t failed = 0;    ///< elements outside tolerance
    bool analytic_zero = true;  ///< the analytic gradient is exactly 0 at every element (or undefined)
    bool numeric_zero = true;   ///< the numeric gradient is exactly 0 at every element
    std::size_t index = 0;     ///< the worst element's flat (row-major) index; meaningless when all_zero()
    double analytic = 0;       ///< autograd's value at the worst element
    double numeric = 0;        ///< the central difference at the worst element
    double abs_error = 0;      ///< |analytic - numeric|
    double rel_error = 0;      ///< abs_error / max(|analytic|, |numeric|)
    double tolerance_used = 0;  ///< abs_error / (atol + rtol * |numeric|): above 1 fails

    /// True when both gradients are exactly 0 at every element: nothing of this input was really compared.
    bool all_zero() const { return analytic_zero && numeric_zero; }
    /// One line: `input 1 "fc1.weight" [3]: analytic 0.4213, numeric 0.4213, abs 8.7e-10, rel 2.1e-09`.
    std::string str() const;
};

/// The result of gradcheck / gradgradcheck.
struct GradcheckReport {
    bool ok = false;         ///< every element within tolerance and no vacuous case (see gradcheck)
    std::string problem;     ///< why not ok, e.g. `input 0 "w": 1 of 6 elements outside tolerance`; "" when ok
    std::string quantity;    ///< the scalar whose gradient was compared, e.g. "sum(f(x) * R), R random [2,3]"
    std::size_t checked = 0;  ///< number of input elements compared
    std::vector<GradcheckInput> inputs;  ///< one per input, in order (gradgradcheck adds R last)
    GradcheckOptions options;           ///< the step and tolerances used

    /// The input whose worst element uses the largest share of its tolerance; nullptr when every gradient is 0.
    const GradcheckInput* worst() const;
    /// A header line (ok or FAILED and why, what was compared, the pass rule), then one line per input.
    std::string str() const;
};

/// The function under check: the inputs, in the order given, to a tensor of any shape.
using TensorFn = std::function<Tensor<double>(const std::vector<Tensor<double>>&)>;
/// Inputs with the names the report gives them (e.g. a module's named_parameters()).
using NamedTensors = std::vector<std::pair<std::string, Tensor<double>>>;

/// Checks d(f)/d(input) for every input against central differences. A non-scalar output is reduced to the scalar
/// Σ f(x) ⊙ R with a fixed random R, which checks the vector-Jacobian product the engine computes.
///
/// The inputs must be leaves that require grad (ValueError otherwise, naming the input): pass only the tensors
/// to check and capture constants in f. They are perturbed IN PLACE, one element at a time, so f may read them
/// through its argument or through any alias (a module's own parameters). Every value is restored bit for bit
/// afterwards, also when f throws; their .grad is left as it was (the analytic gradient comes from dg::grad()).
/// Their version counters do advance, so a graph recorded from them before the call cannot backward after it.
///
/// A check that compared nothing is reported as failed (ok false, `problem` says why), like a wrong gradient:
/// when every analytic and numeric gradient is exactly 0 (f does not depend on the given tensors), and when an
/// input's analytic gradient is 0 everywhere while its numeric one is not (f reads a copy of it, or a backward
/// drops its gradient). f must be deterministic (put a module with dropout in eval mode).
GradcheckReport gradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& options = {});
/// As above, with each input named in the report.
GradcheckReport gradcheck(const TensorFn& f, const NamedTensors& inputs, const GradcheckOptions& options = {});

/// Checks second derivatives: gradcheck of (x, R) ↦ Σ_i ⟨∂(Σ f⊙R)/∂x_i, V_i⟩ (fixed random V_i), whose gradient
/// autograd gets by differentiating its own backward (create_graph). R, the gradient fed into f's backward, is
/// checked too and reported as a last input named "R" (as PyTorch's gradgradcheck checks grad_outputs): that is
/// what checks the backward of an op linear in x, whose second derivative in x is 0 both ways. The same rules as
/// gradcheck apply; a constant f fails as vacuous.
GradcheckReport gradgradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs,
                              const GradcheckOptions& options = {});
/// As above, with each input named in the report.
GradcheckReport gradgradcheck(const TensorFn& f, const NamedTensors& inputs, const GradcheckOptions& options = {});

}  // namespace dg
