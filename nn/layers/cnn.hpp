// Cnn: a convolutional network built from a short text spec ("1x28x28-c32k3p1-bn-relu-m2-flat-128-relu-10"), the
// MLP spec's counterpart for images, with its layers exposed for the conv delta reference and the pre-activations
// z(l) of the last forward recorded on request.
//
// Spec grammar (tokens separated by '-'; spaces around tokens are ignored):
//   spec    := image { '-' token }
//   image   := C 'x' H 'x' W               the input: channels, height, width, e.g. 1x28x28
//   token   := layer | act
//   layer   := conv | pool | 'bn' | 'ln' | 'flat' | dense
//   conv    := 'c' n 'k' k [ 's' s ] [ 'p' p ] [ 'd' d ] [ 'g' g ]
//                                          Conv2d: n output channels, a k×k kernel, stride s (default 1), zero padding
//                                          p (0), dilation d (1), groups g (1; divides both channel counts)
//   pool    := ( 'm' | 'a' ) k [ 's' s ] [ 'p' p ]
//                                          MaxPool2d / AvgPool2d: a k×k window, stride s (default k), padding p (0,
//                                          at most k/2)
//   'bn'                                   batch normalization: BatchNorm2d over the channels before 'flat',
//                                          BatchNorm1d over the features after it
//   'ln'                                   LayerNorm over each sample's [C, H, W] (after 'flat': its features)
//   'flat'                                 Flatten [N, C, H, W] → [N, C·H·W]: once, before the first dense layer
//   dense   := n                           Linear to n features (after 'flat')
//   act     := name [ '(' number ')' ]     the activation of the layer just before it (at most one per layer): the
//                                          MLP spec's names (relu, tanh, sigmoid, leaky_relu(0.2), elu, softplus, abs,
//                                          identity, a registered custom name; softmax and log_softmax on the last
//                                          layer only), written with '_' (a '-' separates tokens)
//   n, k, s, p, d, g, C, H, W := digits    positive integers (p may be 0), at most 6 digits
// Activations are written where they apply, after their layer, rather than as the MLP spec's ':act' options: a CNN's
// layers are of several kinds, and a layer without one is linear (the last dense layer gives logits, as an MLP's
// default output). The spec must end in features (the last layer after 'flat'). Every layer's output shape is
// worked out from the image size when the spec is parsed, so a spec that does not fit it is refused there.
// Examples: "1x28x28-c32k3p1-bn-relu-m2-c64k3p1-bn-relu-m2-flat-128-relu-10"   a small VGG-style classifier
//           "1x28x28-c6k5p2-relu-m2-c16k5-relu-m2-flat-120-relu-84-relu-10"     LeNet-5 (ReLU, max pooling)
//           "3x8x8-c4k3s2p1-tanh-a2-flat-10"                                   strided conv, average pooling
// Errors are dg::ValueError quoting the spec, naming the token and its position and saying what was expected, e.g.
//   CNN spec "1x28x28-c32k5-m2-c64k5-m2-c64k5-flat-10": token 6 "c64k5" (layer 5): its 5×5 window does not fit its
//   input 64×4×4; expected an input of at least 5×5 (add padding, or pool less before it)
// Children: "conv1", "pool1", "bn1", "ln1", "flat", "fc1", ... numbered per kind in order, and "act<l>" after layer l
// (parameters "conv1.weight", "bn1.running_mean", ... as PyTorch's state_dict names them).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/layers/activation.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// What a layer of a Cnn does.
enum class CnnLayerKind { conv, max_pool, avg_pool, batch_norm, layer_norm, flatten, dense };

/// One layer of a parsed spec, with the per-sample shape it produces.
struct CnnLayerSpec {
    CnnLayerKind kind = CnnLayerKind::dense;  ///< what the layer does
    std::size_t size = 0;       ///< conv: output channels; dense: output features
    std::size_t kernel = 0;     ///< conv and pools: the window's extent (square)
    std::size_t stride = 1;     ///< conv and pools (a pool's default is its kernel)
    std::size_t padding = 0;    ///< conv and pools
    std::size_t dilation = 1;   ///< conv
    std::size_t groups = 1;     ///< conv
    std::optional<ActivationSpec> activation;  ///< the activation written after it, if any
    Shape output;               ///< the output per sample: [C, H, W], or [n] after 'flat'

    /// The layer's canonical token ("c32k3p1", "m2", "bn", "flat", "128"), without its activation.
    std::string str() const;
};

/// A parsed spec: the input image and the layers in order.
struct CnnSpec {
    std::size_t channels = 0;  ///< the input image's C
    std::size_t height = 0;    ///< its H
    std::size_t width = 0;     ///< its W
    std::vector<CnnLayerSpec> layers;                  ///< layer l of the notes is layers[l − 1]

    /// [C, H, W].
    Shape input_shape() const { return {channels, height, width}; }
    /// C·H·W: the width of a flattened input row.
    std::size_t input_features() const { return channels * height * width; }
    /// The features of the output (the last layer's [n]).
    std::size_t output_features() const { return layers.back().output[0]; }
    /// The canonical text, which parse_cnn_spec reads back to the same spec: "1x28x28-c32k3p1-bn-relu-m2-flat-10".
    std::string str() const;
};

/// Parses the grammar above; a bad spec is a dg::ValueError quoting it (see the header's comment).
CnnSpec parse_cnn_spec(std::string_view spec);

/// Whether a spec text is a CNN spec rather than an MLP spec: its first token, made of digits and 'x', is an image
/// CxHxW, so that programs taking either (train, bpcheck) can tell them apart.
bool is_cnn_spec(std::string_view spec);

/// A convolutional network from a spec: z(l) = layer l (a(l−1)), a(l) = f(l)(z(l)) (f the identity for a layer
/// without activation), a(0) = x.
template <class T>
class Cnn : public Cloneable<Cnn<T>, T> {
public:
    /// One layer: its module and its activation (null when it has none).
    struct Layer {
        CnnLayerKind kind;                          ///< what it does
        typename Module<T>::Ptr module;             ///< Conv2d, MaxPool2d, AvgPool2d, BatchNorm, LayerNorm, Flatten or Linear
        std::shared_ptr<Activation<T>> activation;  ///< the child "act<l>", or null
    };

    /// The network of a spec text (the grammar above); weights drawn from `gen` (PyTorch's default init for every
    /// layer). ValueError for a bad spec.
    Cnn(std::string_view spec, Generator& gen);
    /// The network of a parsed spec.
    Cnn(CnnSpec spec, Generator& gen);
    /// The copy under clone(): layers() point at the copy's own children.
    Cnn(const Cnn& other);

    /// x [N, C, H, W], or [N, C·H·W] rows (as data loaders give images), which are viewed as [N, C, H, W]. Another
    /// shape is a ShapeError naming the network and the shapes it takes.
    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "Cnn"; }
    /// "Cnn 1x28x28-c32k3p1-relu-m2-flat-10".
    std::string describe() const override;
    std::string output_shape_hint() const override;

    /// The spec it was built from.
    const CnnSpec& spec() const { return spec_; }
    /// L, the number of layers.
    std::size_t num_layers() const { return layers_.size(); }
    /// layers()[l − 1] is layer l.
    const std::vector<Layer>& layers() const { return layers_; }

    /// The output from z(l) on (1 ≤ l ≤ L): f(l)(z), then layers l+1..L. What finite differences of the loss with
    /// respect to z(l) run (bpcheck). ValueError for l out of range.
    Tensor<T> forward_from(std::size_t l, const Tensor<T>& z);

    /// While on, forward keeps z(1..L) and a(1..L); each z(l) that requires grad calls retain_grad(), so after
    /// loss.backward() preactivations()[l−1].grad() is δ(l) = ∂loss/∂z(l).
    void record_preactivations(bool on = true) { record_ = on; }
    /// z(l) of the last recorded forward (index l−1); empty before one.
    const std::vector<Tensor<T>>& preactivations() const { return z_; }
    /// a(l) of the last recorded forward (index l−1).
    const std::vector<Tensor<T>>& layer_outputs() const { return a_; }

private:
    CnnSpec spec_;
    std::vector<Layer> layers_;
    std::vector<std::string> names_;  // each layer's child name, for the copy constructor
    bool record_ = false;
    std::vector<Tensor<T>> z_, a_;
};

extern template class Cnn<float>;
extern template class Cnn<double>;

}  // namespace dg::nn
