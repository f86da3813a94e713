// Golden gradient fixtures for bpcheck: one safetensors file holding an Mlp's parameters, a batch, the loss and
// every gradient, and the check that recomputes them with autograd from the stored parameters and batch.
//
// Tensor names (l = 1..L, layer l of the notes; dtype F64 or F32 throughout, as the "dtype" metadata says):
//   fc{l}.weight [n_l, n_{l−1}]   fc{l}.bias [n_l]          the parameters (PyTorch's nn.Linear layout)
//   input [m, n_0]                target [m, n_L]           the batch (softmax_ce: one-hot or probability rows)
//   loss []                                                 data loss + λ/(2m) Σ‖W‖²
//   grad.fc{l}.weight  grad.fc{l}.bias                      ∂loss/∂W(l), ∂loss/∂b(l)
//   grad.z{l} [m, n_l]                                      δ(l) = ∂loss/∂z(l), z(l) = a(l−1) W(l)ᵀ + b(l)
// Metadata: format = "deltagrad.bpcheck/1", spec (Mlp grammar, e.g. "4-8-3:tanh"), loss (mse, mse_half,
// softmax_ce, bce — mse: mean over all elements; bce: with logits z(L)), lambda, dtype ("F64" / "F32").
//
// Making one with PyTorch (spec 4-8-3:tanh, softmax_ce, λ = 0.01):
//   import torch; from safetensors.torch import save_file
//   torch.manual_seed(0); m, lam = 5, 0.01
//   l1, l2 = torch.nn.Linear(4, 8).double(), torch.nn.Linear(8, 3).double()
//   X = torch.randn(m, 4, dtype=torch.float64); y = torch.randint(0, 3, (m,))
//   z1 = l1(X); z1.retain_grad(); z2 = l2(torch.tanh(z1)); z2.retain_grad()
//   loss = torch.nn.functional.cross_entropy(z2, y) + lam / (2 * m) * (l1.weight.pow(2).sum() + l2.weight.pow(2).sum())
//   loss.backward()
//   t = {"fc1.weight": l1.weight, "fc1.bias": l1.bias, "fc2.weight": l2.weight, "fc2.bias": l2.bias, "input": X,
//        "target": torch.nn.functional.one_hot(y, 3).double(), "loss": loss,
//        "grad.fc1.weight": l1.weight.grad, "grad.fc1.bias": l1.bias.grad, "grad.fc2.weight": l2.weight.grad,
//        "grad.fc2.bias": l2.bias.grad, "grad.z1": z1.grad, "grad.z2": z2.grad}
//   save_file({k: v.detach().contiguous() for k, v in t.items()}, "golden.safetensors",
//             metadata={"format": "deltagrad.bpcheck/1", "spec": "4-8-3:tanh", "loss": "softmax_ce",
//                       "lambda": "0.01", "dtype": "F64"})
// then: bpcheck --against golden.safetensors
#pragma once

#include <string>
#include <vector>

#include "nn/check/bpcheck.hpp"
#include "nn/data/serialize.hpp"

namespace dg::nn {

/// Writes the fixture of `mlp` on (X, Y): parameters, batch, loss and autograd's gradients (names above).
template <class T>
void save_bpcheck_fixture(const std::string& path, Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, Loss loss,
                          double lambda = 0);

/// One stored quantity against its recomputation.
struct FixtureRow {
    std::size_t layer = 0;  ///< 0 for the loss
    std::string name;       ///< the tensor name: "loss", "grad.fc1.weight", ...
    Shape shape;            ///< the stored tensor's shape
    Comparison comparison;  ///< a = recomputed, b = stored
};

/// A fixture checked: its settings as stored, and one row per stored tensor.
struct FixtureReport {
    std::string path;   ///< the file, as given
    std::string spec;   ///< the network's spec text, as stored
    std::string loss;   ///< the loss's name, as stored
    std::string dtype;  ///< "F64" or "F32"
    double lambda = 0;      ///< the L2 penalty's λ
    std::size_t batch = 0;  ///< m
    Tolerance tolerance;           ///< what the comparisons used
    std::vector<FixtureRow> rows;  ///< the loss first, then every stored gradient
    /// Every row within the tolerance.
    bool ok() const;
    /// One row per stored tensor with max abs / rel error, then PASS or FAIL.
    std::string table() const;
};

/// Loads a fixture, rebuilds the Mlp (or, for a CNN spec, the Cnn: check_cnn_fixture) from its spec with the stored parameters, recomputes the loss and every
/// gradient with autograd and compares them with the stored ones (default: the analytic tolerance of the file's
/// dtype). A malformed file (missing tensor, wrong shape or dtype, bad metadata) is a dg::IoError / ValueError.
FixtureReport check_bpcheck_fixture(const std::string& path, const Tolerance* tolerance = nullptr);

/// The stored Mlp, batch and settings of a fixture, for running the full bpcheck on them.
template <class T>
struct Fixture {
    std::shared_ptr<Mlp<T>> mlp;  ///< the network with the stored parameters
    Array<T> X;                   ///< the batch [m, n0]
    Array<T> Y;                   ///< the targets [m, nL]
    Loss loss = Loss::mse;        ///< the stored loss
    double lambda = 0;            ///< the stored L2 penalty's λ
};
/// Loads a fixture whose dtype is T's (IoError otherwise).
template <class T>
Fixture<T> load_bpcheck_fixture(const std::string& path);

/// The "dtype" metadata of a fixture: "F64" or "F32".
std::string fixture_dtype(const std::string& path);

/// What the fixture formats of every network kind (MLP, CNN, recurrent) share.
namespace fixture {
/// The "format" metadata of every bpcheck fixture.
inline constexpr const char* format_tag = "deltagrad.bpcheck/1";
/// "F64" for double, "F32" for float: the "dtype" metadata.
template <class T>
const char* dtype_tag();
/// "F64".
template <>
const char* dtype_tag<double>();
/// "F32".
template <>
const char* dtype_tag<float>();
/// The metadata `key` of a fixture; IoError naming the file when it lacks it.
const std::string& meta(const SafetensorsFile& file, const std::string& key);
/// The stored tensor `name` as Array<T>; IoError naming the file and the tensor when it is missing, of another dtype
/// or not of `shape`.
template <class T>
const Array<T>& tensor(const SafetensorsFile& file, const std::string& name, const Shape& shape);
}  // namespace fixture

}  // namespace dg::nn
