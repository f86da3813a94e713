// Mlp: a multilayer perceptron built from a short text spec ("784-100-10:sigmoid"), with its layers exposed
// for the delta reference and the pre-activations z(l) of the last forward recorded on request.
//
// Spec grammar (spaces around tokens are ignored):
//   spec   := sizes { ':' option }
//   sizes  := size '-' size { '-' size }     n0-n1-...-nL: the input width, then one width per layer (L ≥ 1)
//   size   := digits                         a positive integer
//   option := act                            activation of every hidden layer 1..L−1   (default: sigmoid)
//           | act '-out'                     activation of the output layer L          (default: identity)
//           | act '@' k                      activation of layer k, 1 ≤ k ≤ L (overrides the two above)
//   act    := name [ '(' number ')' ]        the number is α, accepted by leaky_relu and elu only
//   name   := identity | linear | sigmoid | tanh | relu | leaky_relu | elu | softplus | abs
//           | softmax | log_softmax          (these two on the output layer only)
//           | a registered custom activation (nn/layers/custom_activation.hpp: register_activation)
//   ('-' may stand for '_' in names; each of the hidden, the output and a given layer k is set at most once.)
//   Names, α defaults (leaky_relu 0.01, elu 1) and the "name(α)" text are the shared activation vocabulary
//   (nn/reference/activation_kind.hpp), which the delta reference and bpcheck use too.
// Examples: "784-100-10:sigmoid"            hidden sigmoid, linear output (logits for cross_entropy)
//           "2-16-16-1:tanh:sigmoid-out"    hidden tanh, sigmoid output
//           "784-100-10:relu:softmax-out"   hidden ReLU, softmax output (probabilities)
//           "4-8-8-3:relu:leaky_relu(0.2)@2" layer 1 ReLU, layer 2 leaky ReLU α = 0.2, linear output
// Custom activations: register once, then name them like the built-ins (hidden or output layers; no α):
//   nn::register_activation("swish", [](const auto& x) { return x * sigmoid(x); });
//   nn::Mlp<float> model("4-8-3:swish", gen);
// An unknown name is a ValueError that lists every valid name, the registered ones included. An Mlp with a custom
// activation trains and gradchecks like any other (a checkpoint's spec text names it: register it before rebuilding
// the model), but bpcheck refuses it: the delta reference has no formula for a custom activation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nn/layers/activation.hpp"
#include "nn/layers/linear.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// A parsed spec: sizes[0] is the input width, sizes[l] the width of layer l; activations[l−1] is f(l).
struct MlpSpec {
    std::vector<std::size_t> sizes;           ///< n0 (the input width), n1, ..., nL
    std::vector<ActivationSpec> activations;  ///< f(1), ..., f(L)

    /// L, the number of layers.
    std::size_t num_layers() const { return activations.size(); }
    /// The canonical text: sizes, then one ":act@k" per layer, e.g. "2-4-1:tanh@1:sigmoid@2".
    std::string str() const;
};

/// Parses the grammar above. A bad spec (empty, a non-number or zero size, fewer than two sizes, an unknown
/// or misplaced activation, a layer index out of range, an option given twice) is a dg::ValueError that
/// quotes the spec and says what was expected.
MlpSpec parse_mlp_spec(std::string_view spec);

/// How every layer of an Mlp is built (see LinearOptions: W ~ U(±1/√in), b = 0 by default).
struct MlpOptions {
    LinearOptions linear;  ///< the options of every Linear layer
};

/// One layer's parameters as plain arrays: what the delta reference takes (dg::reference::LayerParams:
/// W [out, in], b [out], the activation's kind and α). A layer without bias gets b = 0.
template <class T>
struct MlpLayerArrays {
    Array<T> W;                 ///< [out, in]
    Array<T> b;                 ///< [out]
    ActivationSpec activation;  ///< the layer's f
};

/// z(l) = a(l−1)·W(l)ᵀ + b(l), a(l) = f(l)(z(l)), a(0) = x. Children: "fc1", "act1", ..., "fcL", "actL"
/// (so parameters are "fc1.weight", "fc1.bias", ...).
template <class T>
class Mlp : public Cloneable<Mlp<T>, T> {
public:
    /// One layer: its Linear and its activation module.
    struct Layer {
        std::shared_ptr<Linear<T>> linear;          ///< the child "fc<l>"
        std::shared_ptr<Activation<T>> activation;  ///< the child "act<l>"
        /// W(l) [n_l, n_{l−1}].
        const Tensor<T>& weight() const { return linear->weight(); }
        /// b(l) [n_l].
        const Tensor<T>& bias() const { return linear->bias(); }
        /// f(l).
        const ActivationSpec& act() const { return activation->spec(); }
    };

    /// The MLP of a spec text (the grammar above); weights drawn from `gen`. ValueError for a bad spec.
    Mlp(std::string_view spec, Generator& gen, const MlpOptions& options = {});
    /// The MLP of a parsed spec.
    Mlp(MlpSpec spec, Generator& gen, const MlpOptions& options = {});
    /// The copy under clone(): layers() point at the copy's own children; nothing recorded is copied.
    Mlp(const Mlp& other);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "Mlp"; }
    /// "Mlp 784-100-10:sigmoid@1:identity@2".
    std::string describe() const override;
    std::string output_shape_hint() const override;

    /// The spec it was built from.
    const MlpSpec& spec() const { return spec_; }
    /// L, the number of layers.
    std::size_t num_layers() const { return layers_.size(); }
    /// layers()[l−1] is layer l of the notes.
    const std::vector<Layer>& layers() const { return layers_; }
    /// Copies of every layer's parameters for the delta reference.
    std::vector<MlpLayerArrays<T>> layer_arrays() const;

    /// While on, forward keeps z(1..L) and a(1..L); each z(l) that requires grad calls retain_grad(), so after
    /// loss.backward() preactivations()[l−1].grad() is δ(l) = ∂loss/∂z(l). Recording adds no node to the graph:
    /// where the activation is the identity, a(l) is the same tensor as z(l).
    void record_preactivations(bool on = true) { record_ = on; }
    /// z(l) of the last recorded forward (index l−1); empty before one.
    const std::vector<Tensor<T>>& preactivations() const { return z_; }
    /// a(l) of the last recorded forward (index l−1).
    const std::vector<Tensor<T>>& layer_outputs() const { return a_; }

private:
    MlpSpec spec_;
    std::vector<Layer> layers_;
    bool record_ = false;
    std::vector<Tensor<T>> z_, a_;
};

extern template class Mlp<float>;
extern template class Mlp<double>;

}  // namespace dg::nn
