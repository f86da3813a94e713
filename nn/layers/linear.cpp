// Linear: parameter creation and initialisation, and the forward pass with a shape check naming the layer.
#include "nn/layers/linear.hpp"

#include <cmath>
#include <cstdint>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"

namespace dg::nn {

template <class T>
Linear<T>::Linear(std::size_t in_features, std::size_t out_features, Generator& gen, const LinearOptions& options)
    : in_(in_features), out_(out_features) {
    if (in_ == 0 || out_ == 0)
        throw ValueError("Linear: sizes must be positive, got " + std::to_string(in_) + "→" + std::to_string(out_));
    // A negative size converted to size_t arrives as a huge number; in × out must not overflow the allocation.
    if (in_ > static_cast<std::size_t>(PTRDIFF_MAX) / sizeof(T) / out_)
        throw ValueError("Linear: sizes " + std::to_string(in_) + "→" + std::to_string(out_) +
                         " are too large (a negative size converted to size_t?)");
    weight_ = this->register_parameter("weight", init::apply_(Tensor<T>::zeros({out_, in_}), options.weight_init, gen));
    if (options.bias) {
        // A bias has no fan of its own: fan_in_uniform means the layer's 1/√in, as in PyTorch.
        const Init bias_init = options.bias_init.kind == Init::Kind::fan_in_uniform
                                   ? Init::uniform(1.0 / std::sqrt(static_cast<double>(in_)))
                                   : options.bias_init;
        bias_ = this->register_parameter("bias", init::apply_(Tensor<T>::zeros({out_}), bias_init, gen));
    }
}

template <class T>
Linear<T>::Linear(const Linear& other)
    : Cloneable<Linear<T>, T>(other),
      in_(other.in_),
      out_(other.out_),
      weight_(this->parameter("weight")),
      bias_(other.has_bias() ? this->parameter("bias") : Tensor<T>()) {}

template <class T>
std::string Linear<T>::describe() const {
    return "Linear " + std::to_string(in_) + "→" + std::to_string(out_) + (has_bias() ? "" : " no bias");
}

template <class T>
std::string Linear<T>::output_shape_hint() const {
    return "[*, " + std::to_string(out_) + "]";
}

template <class T>
Tensor<T> Linear<T>::forward(const Tensor<T>& x) {
    const auto& s = x.value().shape();  // the array's own shape: no Shape vector built on every call
    if (s.size() == 0 || s.back() != in_)
        throw ShapeError(this->where() + ": input has shape " + shape_str(x.shape()) + ", expected [*, " +
                         std::to_string(in_) + "]");
    const auto apply = [this](const Tensor<T>& x2) { return has_bias() ? linear(x2, weight_, bias_) : linear(x2, weight_); };
    if (s.size() == 2) return apply(x);
    // Any other rank goes through a [rows, in] view and back: [in] → [out], [b, t, in] → [b, t, out].
    const std::size_t rows = x.numel() / in_;
    Shape out_shape(s.begin(), s.end());
    out_shape.back() = out_;
    return reshape(apply(reshape(x, {rows, in_})), out_shape);
}

template class Linear<float>;
template class Linear<double>;

}  // namespace dg::nn
