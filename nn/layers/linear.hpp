// Linear: the fully connected layer y = x·Wᵀ + b with W [out, in] and b [out] (PyTorch's convention),
// on the fused dg::linear op.
#pragma once

#include <cstddef>

#include "nn/init.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// How a Linear layer is built. Defaults: a bias; W ~ U(−1/√in, 1/√in) (PyTorch's nn.Linear scale,
/// which keeps sigmoid / tanh units out of saturation for any width); b = 0.
struct LinearOptions {
    bool bias = true;                           ///< whether the layer has a bias
    Init weight_init = Init::fan_in_uniform();  ///< how W is drawn
    Init bias_init = Init::zeros();             ///< how b is drawn (fan_in_uniform: U(±1/√in), as PyTorch)
};

/// y = x·Wᵀ + b. Input [*, in] (any leading dimensions, or just [in]); output [*, out].
/// Parameters "weight" [out, in] and "bias" [out].
template <class T>
class Linear : public Cloneable<Linear<T>, T> {
public:
    /// Weights drawn from `gen` (see LinearOptions for the defaults).
    Linear(std::size_t in_features, std::size_t out_features, Generator& gen, const LinearOptions& options = {});
    /// The copy under clone(): the copy's own weight and bias.
    Linear(const Linear& other);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "Linear"; }
    /// "Linear 784→100" (with " no bias" when there is none).
    std::string describe() const override;
    std::string output_shape_hint() const override;

    /// The input width.
    std::size_t in_features() const { return in_; }
    /// The output width.
    std::size_t out_features() const { return out_; }
    /// W [out, in]; aliases the registered parameter.
    const Tensor<T>& weight() const { return weight_; }
    /// b [out], or an undefined tensor without bias.
    const Tensor<T>& bias() const { return bias_; }
    /// Whether the layer has a bias.
    bool has_bias() const { return bias_.defined(); }

private:
    std::size_t in_, out_;
    Tensor<T> weight_, bias_;
};

extern template class Linear<float>;
extern template class Linear<double>;

}  // namespace dg::nn
