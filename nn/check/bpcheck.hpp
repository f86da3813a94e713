// bpcheck: the three-way gradient check of an Mlp on a batch — autograd vs the delta reference vs central finite
// differences (at least double: long double) — with a per-layer report of ΔW(l), Δb(l) and δ(l) = ∂loss/∂z(l).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::nn {

using reference::Loss;

/// The reference's signature (dg::reference::delta_backprop): pluggable so that a test can inject a broken one.
template <class T>
using ReferenceFn = std::function<reference::BackpropResult<T>(const reference::MlpParams<T>&, const Array<T>&,
                                                               const Array<T>&, Loss, T)>;

/// An element passes when |a − b| ≤ atol or |a − b| / S ≤ rtol, S being the quantity's scale: the largest |value|
/// of either side over the whole quantity (a normwise relative error, as LAPACK's tests use). Entries far smaller
/// than the quantity's largest are thus judged against it, which is what finite differences can resolve.
struct Tolerance {
    double atol = 0;  ///< absolute
    double rtol = 0;  ///< relative to the quantity's scale S
};

/// Tolerances for T (relative ones normwise, as above). double: analytic (autograd vs reference) atol 1e-13,
/// rtol 1e-9; numeric (either vs the finite differences) atol 1e-11, rtol 1e-8 — measured errors are ~1e-14 on
/// small nets, the margin is for wide layers and large batches; the tests ask 1e-9 of both. float: analytic atol
/// 1e-6, rtol 1e-4 and numeric atol 1e-6, rtol 1e-3 (float roundoff, ~1e-7 per op, grows with depth and width).
struct BpcheckTolerances {
    Tolerance analytic;  ///< autograd vs the reference
    Tolerance numeric;   ///< either vs the finite differences
    /// The defaults for T (above).
    template <class T>
    static BpcheckTolerances defaults();
};

/// The defaults for double.
template <>
BpcheckTolerances BpcheckTolerances::defaults<double>();
/// The defaults for float.
template <>
BpcheckTolerances BpcheckTolerances::defaults<float>();

/// How bpcheck runs: the L2 penalty, the finite differences' step and sample, the tolerances, the reference.
template <class T>
struct BpcheckOptions {
    double lambda = 0;  ///< L2: the notes' λ/(2m) Σ‖W‖², weights only
    /// Step h of the central differences (f(±h), f(±2h): error O(h⁴) + roundoff/h). They run on their own
    /// forward pass in long double (extended precision on x86; double elsewhere), whatever T is. A coordinate whose
    /// stencil changes the sign of any pre-activation of a kinked layer (dg::kinked: relu, leaky_relu, abs, elu) is
    /// flagged and left out of the comparisons with FD instead of failing them.
    double eps = 1e-4;
    BpcheckTolerances tolerances = BpcheckTolerances::defaults<T>();  ///< what agreeing means
    /// At most this many finite-difference coordinates per quantity (a seeded sample); 0: every coordinate.
    std::size_t max_fd_per_quantity = 0;
    std::uint64_t seed = 0;  ///< for the sample above
    ReferenceFn<T> reference;  ///< empty: dg::reference::delta_backprop<T>
};

/// The worst element of one comparison over a quantity.
struct Comparison {
    std::size_t compared = 0;  ///< elements compared (flagged ones are left out of the comparisons with FD)
    double max_abs = 0;        ///< max |a − b|
    double max_rel = 0;        ///< max |a − b| / S (see Tolerance); 0 when a and b are both 0 everywhere
    std::size_t worst = 0;     ///< flat index of the element with the largest relative error
    double a = 0;              ///< the first side's value there
    double b = 0;              ///< the second side's value there
    bool ok = true;            ///< within the tolerance
};

/// One quantity (W, b or δ) of one layer.
struct QuantityCheck {
    std::string name;  ///< "W", "b" or "delta"
    Shape shape;       ///< its shape
    Comparison autograd_vs_reference;  ///< a = autograd, b = reference
    Comparison autograd_vs_fd;         ///< a = autograd, b = finite differences
    Comparison reference_vs_fd;        ///< a = reference, b = finite differences
    std::size_t fd_count = 0;           ///< coordinates differentiated numerically
    std::vector<std::size_t> flagged;   ///< flat indices whose ±2h stencil crossed a kink (not compared with FD)
    /// The values themselves, in double (for bpcheck --show and --json): autograd's, the reference's (empty when it
    /// was not run) and the finite differences (NaN where none was taken: flagged, or left out by the sample).
    Array<double> autograd;
    Array<double> reference;  ///< see autograd
    Array<double> fd;         ///< see autograd
    /// The three comparisons pass.
    bool ok() const { return autograd_vs_reference.ok && autograd_vs_fd.ok && reference_vs_fd.ok; }
};

/// One layer l (1-based, as in the notes).
struct LayerCheck {
    std::size_t layer = 0;  ///< l
    std::string activation;  ///< f(l) as the network has it (an Mlp: its spec's text, "tanh", "identity")
    std::vector<QuantityCheck> quantities;  ///< ΔW(l), Δb(l), δ(l) for an Mlp ("W", "b", "delta")
    /// Every quantity agrees three ways.
    bool ok() const;
};

/// What bpcheck found: the settings, the loss three ways, and every layer's quantities; table() prints it.
struct BpcheckReport {
    std::string spec;   ///< the network's spec text, canonical ("4-8-3:tanh@1:identity@2")
    std::string loss;   ///< the reference's name: mse, mse_half, softmax_ce, bce
    std::string dtype;  ///< "double" or "float"
    /// False when the delta reference was not run (a CNN with batch or layer norm or groups, which it leaves out):
    /// then autograd is checked against finite differences only, and `note` says why.
    bool reference_run = true;
    std::string note;  ///< what the check left out and why, and what the finite differences ran on; "" for none
    std::string fd_precision = "long double";  ///< the type the finite differences' forward pass computes in
    /// How the loss reaches δ(L) and the batch's 1/m in every δ (set by the Mlp check; "" for none).
    std::string convention;
    double lambda = 0;      ///< the L2 penalty's λ
    std::size_t batch = 0;  ///< m
    /// The loss by autograd, by the reference, and by the finite differences' own forward pass.
    double loss_autograd = 0;
    double loss_reference = 0;  ///< see loss_autograd
    double loss_fd = 0;         ///< see loss_autograd
    bool loss_ok = true;  ///< autograd and reference loss values agree (analytic tolerance)
    std::vector<LayerCheck> layers;  ///< layer 1 first
    BpcheckTolerances tolerances;    ///< those the comparisons used
    /// The loss values and every quantity agree.
    bool ok() const;
    /// Coordinates left out of the comparisons with finite differences because their stencil crossed a kink.
    std::size_t flagged_count() const;
    /// Coordinates differentiated numerically.
    std::size_t fd_count() const;
    /// The per-layer table: one row per layer and quantity, three comparisons each, then a verdict line; with
    /// `header`, first the settings and the convention (bpcheck --show prints those itself, before the gradients).
    std::string table(bool header = true) const;
};

/// Every gradient of one loss evaluation: dW[l−1], db[l−1], delta[l−1] for layer l.
template <class T>
struct MlpGradients {
    T loss = 0;                  ///< data loss + penalty
    std::vector<Array<T>> dW;     ///< ∂loss/∂W(l) [n_l, n_(l−1)]
    std::vector<Array<T>> db;     ///< ∂loss/∂b(l) [n_l]
    std::vector<Array<T>> delta;  ///< δ(l) = ∂loss/∂z(l) [m, n_l]
};

/// The reference's view of an Mlp for a loss: W, b and activations (an output softmax becomes identity for
/// softmax_ce). ValueError if the Mlp's output does not fit the loss (softmax_ce: identity or softmax; bce:
/// identity or sigmoid; mse / mse_half: an elementwise activation), or if a layer has a custom activation (the delta
/// reference has no formula for one: dg::gradcheck checks it against finite differences).
template <class T>
reference::MlpParams<T> reference_params(const Mlp<T>& mlp, Loss loss);

/// Autograd's gradients: forward with recorded pre-activations, the loss's head (mse / mse_half on the Mlp's
/// output; softmax_ce: fused softmax cross-entropy on z(L), class indices when Y is one-hot; bce: BCE with logits
/// on z(L)), plus the L2 penalty, then backward. Leaves the Mlp's parameter gradients set.
template <class T>
MlpGradients<T> autograd_gradients(Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, Loss loss, double lambda = 0);

/// The three-way check of `mlp` on the batch X [m, n0] with targets Y [m, nL]. Built-in activations only (see
/// reference_params).
template <class T>
BpcheckReport bpcheck(Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, Loss loss,
                      const BpcheckOptions<T>& options = {});

/// A batch for checks: X ~ N(0, 1); Y one-hot rows (softmax_ce), 0/1 labels (bce) or U(0, 1) (mse, mse_half).
template <class T>
struct CheckBatch {
    Array<T> X;  ///< [m, n0]
    Array<T> Y;  ///< [m, nL]
};
template <class T>
CheckBatch<T> make_check_batch(const MlpSpec& spec, Loss loss, std::size_t batch, Generator& gen);

/// Sets every bias to U(−half_width, half_width): the default zero biases put a whole dead ReLU row's next
/// pre-activation exactly on the kink, which a check should not spend its coordinates on.
template <class T>
void randomize_biases(Mlp<T>& mlp, Generator& gen, double half_width = 0.3);

/// The activation the delta reference gives the output layer for `loss` (identity for softmax_ce and bce, whose heads
/// take the logits); ValueError naming the loss when the output activation `f` does not fit it (softmax_ce: identity
/// or softmax; bce: identity or sigmoid; mse, mse_half: an elementwise activation).
ActivationKind reference_output_kind(Loss loss, const ActivationSpec& f);

/// ValueError unless `loss` can depend on the weights with `outputs` output units: softmax_ce needs at least 2 (the
/// softmax of one output is 1 whatever the weights, so the loss is 0 and every gradient 0). `who` starts the message.
void check_output_count(Loss loss, std::size_t outputs, const std::string& who);

/// The loss the checks differentiate: mse / mse_half of the output `out`; softmax_ce (class indices when every row of
/// Y is one-hot, the fused path) and bce with logits of the last pre-activation `z_last`.
template <class T>
Tensor<T> check_loss(const Tensor<T>& out, const Tensor<T>& z_last, const Array<T>& Y, Loss loss);

/// Which flat indices of an n-element quantity get a finite difference: all (max 0 or n ≤ max), or a seeded sample
/// of `max`, sorted.
std::vector<std::size_t> fd_indices(std::size_t n, std::size_t max, Generator& gen);

/// `a` in double, for comparisons and for the double copy finite differences run on.
template <class T>
Array<double> as_double(const Array<T>& a) {
    return xt::cast<double>(a);
}

/// Compares a with b (same shape) under `tol` at the flat indices `only` (nullptr: everywhere); the scale S is
/// taken over all elements of both. Also used by the fixture check.
Comparison compare_arrays(const Array<double>& a, const Array<double>& b, const Tolerance& tol,
                          const std::vector<std::size_t>* only = nullptr);

/// Fills q's comparisons and its three arrays: autograd's against the reference's (a default, 0-d Array: the
/// reference was not run, so q keeps no reference comparisons) under the analytic tolerance, and both against the finite differences
/// `fd` at the flat indices `compared` under the numeric one; `fd_count` differences were attempted. The entries of
/// q.fd outside `compared` are NaN (none taken there).
void fill_comparisons(QuantityCheck& q, Array<double> autograd, Array<double> reference, const Array<double>& fd,
                      const std::vector<std::size_t>& compared, std::size_t fd_count, const BpcheckTolerances& tol);

/// "[2, 3]": a flat index of `shape` as a multi-index, for reports.
std::string index_str(const Shape& shape, std::size_t flat);

/// "double" or "float".
template <class T>
const char* dtype_label();
template <>
const char* dtype_label<double>();
template <>
const char* dtype_label<float>();

}  // namespace dg::nn
