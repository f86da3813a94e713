// bpcheck for CNNs: the three-way check of a Cnn — autograd vs the conv delta reference (nn/reference/conv_backprop)
// vs central finite differences — with the MLP check's per-layer report of δ(l) = ∂loss/∂z(l), ΔW(l) and Δb(l), and
// golden fixtures of a Cnn's gradients. Batch and layer norm, which the reference leaves out, are checked two ways
// (autograd vs finite differences), and the report says so; a grouped convolution is given to the reference as the
// full convolution whose kernel is zero between groups.
#pragma once

#include <string>
#include <vector>

#include "nn/check/bpcheck.hpp"
#include "nn/check/bpcheck_fixture.hpp"
#include "nn/layers/cnn.hpp"
#include "nn/reference/conv_backprop.hpp"

namespace dg::nn {

/// Why the conv delta reference cannot run `cnn`, naming the first layer it leaves out ("layer 2 (bn) is a batch
/// normalization, which the conv delta reference leaves out"); "" when it can.
template <class T>
std::string conv_reference_gap(const Cnn<T>& cnn);

/// The reference's view of a Cnn for a loss: every layer's kind, W, b (zeros without bias), geometry and activation
/// (the output's as reference_output_kind gives it); a grouped convolution's kernel expanded to the full one, zero
/// between groups. ValueError when conv_reference_gap is not empty, for a custom
/// activation (the reference has no formula for it) and when the output activation does not fit the loss.
template <class T>
reference::ConvNetParams<T> conv_reference_params(const Cnn<T>& cnn, Loss loss);

/// Autograd's gradients of one loss evaluation of a Cnn, per layer l (index l − 1): its parameters' gradients in the
/// order of Cnn::layers()[l − 1].module's parameters (conv and dense: W, b; norms: γ, β; none for the others; zeros
/// where a parameter got none) and δ(l) = ∂loss/∂z(l).
template <class T>
struct CnnGradients {
    T loss = 0;                                 ///< the loss value
    std::vector<std::vector<Array<T>>> params;  ///< per layer, per parameter of the layer
    std::vector<Array<T>> delta;                ///< per layer
};

/// Forward with recorded pre-activations in the module's current mode, check_loss, backward. Leaves the parameters'
/// gradients set; the buffers (batch norm's running statistics) are restored to what they were. X is [m, C, H, W]
/// (or [m, C·H·W]), Y [m, n]. ValueError for a custom activation or an output that does not fit the loss.
template <class T>
CnnGradients<T> autograd_gradients(Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, Loss loss);

/// The three-way check of `cnn` on (X, Y): autograd, the conv delta reference (when conv_reference_gap is empty) and
/// fourth-order central differences of the loss, run on a copy of the network in double (its own forward, no graph,
/// in the module's mode) with the kinks of every later layer watched: a coordinate whose stencil changes the sign of
/// a kinked activation's input or the arg-max of a max-pooling window is flagged and left out of the comparisons with
/// the finite differences. Per layer: W and b (conv, dense), gamma and beta (norms), delta (every layer). L2
/// (options.lambda) is not supported here (ValueError): the conv reference has no penalty term.
template <class T>
BpcheckReport bpcheck(Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, Loss loss, const BpcheckOptions<T>& options = {});

/// A batch for a CNN check: X [m, C, H, W] ~ N(0, 1), Y as make_check_batch of an MLP spec gives it.
template <class T>
CheckBatch<T> make_check_batch(const CnnSpec& spec, Loss loss, std::size_t batch, Generator& gen);

/// Writes the golden fixture of a Cnn on (X, Y): the bpcheck fixture format (bpcheck_fixture.hpp) with the spec a CNN
/// spec, the parameters under their state_dict names ("conv1.weight", "bn1.bias", ...), "input" [m, C, H, W], and
/// "grad.<parameter name>" and "grad.z<l>" for every layer l. Lambda is 0.
template <class T>
void save_bpcheck_fixture(const std::string& path, Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, Loss loss);

/// Recomputes a CNN fixture (its spec is a CNN spec) with autograd and compares every stored tensor; what
/// check_bpcheck_fixture does for such a file.
FixtureReport check_cnn_fixture(const std::string& path, const Tolerance* tolerance = nullptr);

}  // namespace dg::nn
