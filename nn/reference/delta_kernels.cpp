// Shape validation, the BLAS products and the forward pass shared by delta_backprop and delta_sgd_step,
// explicitly instantiated for float and double.
#include "nn/reference/delta_kernels.hpp"

#include <cmath>
#include <sstream>

#include "autograd/array/errors.hpp"

namespace dg::reference::detail {
namespace {

template <class T>
std::string number_text(T x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

}  // namespace

template <class T>
void validate(const char* fn, const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lambda) {
    const std::string where = std::string(fn) + ": ";
    if (net.layers.empty()) throw ValueError(where + "the network has no layers");
    if (X.dimension() != 2 || X.shape()[0] == 0 || X.shape()[1] == 0) {
        throw ShapeError(where + "input X has shape " + shape_str(shape_of(X)) +
                         ", expected [m, n_in] with m, n_in >= 1 (samples as rows)");
    }
    const std::size_t m = X.shape()[0];
    std::size_t n_prev = X.shape()[1];
    for (std::size_t l = 1; l <= net.layers.size(); ++l) {
        const LayerParams<T>& layer = net.layers[l - 1];
        const std::string name = "layer " + std::to_string(l);
        if (layer.W.dimension() != 2 || layer.W.shape()[1] != n_prev || layer.W.shape()[0] == 0) {
            throw ShapeError(where + name + " weight has shape " + shape_str(shape_of(layer.W)) + ", expected [*, " +
                             std::to_string(n_prev) + "]" +
                             (layer.W.dimension() == 2 && layer.W.shape()[0] == 0 ? " with * >= 1" : ""));
        }
        const std::size_t n_out = layer.W.shape()[0];
        if (layer.b.dimension() != 1 || layer.b.shape()[0] != n_out) {
            throw ShapeError(where + name + " bias has shape " + shape_str(shape_of(layer.b)) + ", expected [" +
                             std::to_string(n_out) + "]");
        }
        if (!has_formula(layer.activation)) {
            throw ValueError(where + name + " activation is " + activation_name(layer.activation) +
                             ", which the delta reference has no formula for (it has the elementwise built-ins)");
        }
        if (!std::isfinite(layer.resolved_alpha())) {
            throw ValueError(where + name + " alpha is " + number_text(layer.resolved_alpha()) +
                             ", expected a finite number");
        }
        n_prev = n_out;
    }
    const ActivationKind out = net.layers.back().activation;
    if (!output_activation_allowed(loss, out)) {
        throw ValueError(where + "loss " + loss_name(loss) + " applies " +
                         (loss == Loss::bce ? "the sigmoid" : "softmax") +
                         " to the output logits itself, so the output layer's activation must be identity" +
                         (loss == Loss::bce ? " or sigmoid" : "") + ", got " + activation_name(out));
    }
    if (Y.dimension() != 2 || Y.shape()[0] != m || Y.shape()[1] != n_prev) {
        throw ShapeError(where + "target Y has shape " + shape_str(shape_of(Y)) + ", expected [" + std::to_string(m) +
                         ", " + std::to_string(n_prev) + "]");
    }
    if (!std::isfinite(lambda) || lambda < T(0)) {
        throw ValueError(where + "lambda is " + number_text(lambda) + ", expected a finite number >= 0");
    }
}

template <class T>
void linear_forward(const Array<T>& a_prev, const LayerParams<T>& layer, Array<T>& z) {
    const std::size_t m = a_prev.shape()[0], n = layer.W.shape()[0];
    ensure_shape(z, m, n);
    gemm_into(a_prev, false, layer.W, true, z);  // z = a(l−1) W(l)^T; the flags go to BLAS, no transposed copy
    // + b(l) on every row; a plain loop (xtensor's broadcast add was 31× slower without xsimd).
    T* zp = z.data();
    const T* bp = layer.b.data();
    for (std::size_t i = 0; i < m; ++i, zp += n) {
        for (std::size_t j = 0; j < n; ++j) zp[j] += bp[j];
    }
}

template <class T>
T forward_pass(const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lambda,
               std::vector<Array<T>>& z, std::vector<Array<T>>& a, T* penalty) {
    const std::size_t count = net.layers.size();
    z.resize(count);
    a.resize(count);
    const Array<T>* prev = &X;
    for (std::size_t l = 0; l < count; ++l) {
        const LayerParams<T>& layer = net.layers[l];
        linear_forward(*prev, layer, z[l]);
        if (l + 1 < count) {
            activate_into(layer.activation, layer.resolved_alpha(), z[l], a[l]);
        } else {
            output_activation_into(loss, layer.activation, layer.resolved_alpha(), z[l], a[l]);
        }
        prev = &a[l];
    }
    const T pen = l2_penalty(net, lambda, X.shape()[0]);
    if (penalty) *penalty = pen;
    return loss_value(loss, z.back(), a.back(), Y) + pen;
}

template <class T>
void propagate_delta(const Array<T>& delta, const Array<T>& W, const LayerParams<T>& prev, const Array<T>& z_prev,
                     const Array<T>& a_prev, Array<T>& delta_prev) {
    ensure_shape(delta_prev, delta.shape()[0], W.shape()[1]);
    gemm_into(delta, false, W, false, delta_prev);  // δ(l) W(l): [m, n_out] · [n_out, n_in]
    multiply_by_derivative(prev.activation, prev.resolved_alpha(), z_prev, a_prev, delta_prev);
}

template <class T>
void column_sums(const Array<T>& delta, Array<T>& out) {
    const std::size_t m = delta.shape()[0], n = delta.shape()[1];
    ensure_shape(out, n);
    T* op = out.data();
    std::fill(op, op + n, T(0));
    const T* dp = delta.data();
    for (std::size_t i = 0; i < m; ++i, dp += n) {  // row by row: contiguous in memory
        for (std::size_t j = 0; j < n; ++j) op[j] += dp[j];
    }
}

template <class T>
T l2_penalty(const MlpParams<T>& net, T lambda, std::size_t m) {
    if (lambda == T(0)) return T(0);
    double sum = 0;
    for (const auto& layer : net.layers) {
        const T* w = layer.W.data();
        for (std::size_t i = 0; i < layer.W.size(); ++i) sum += double(w[i]) * double(w[i]);
    }
    return static_cast<T>(double(lambda) / (2.0 * double(m)) * sum);
}

#define DG_INSTANTIATE(T)                                                                                       \
    template void validate<T>(const char*, const MlpParams<T>&, const Array<T>&, const Array<T>&, Loss, T);      \
    template void linear_forward<T>(const Array<T>&, const LayerParams<T>&, Array<T>&);                          \
    template T forward_pass<T>(const MlpParams<T>&, const Array<T>&, const Array<T>&, Loss, T,                   \
                               std::vector<Array<T>>&, std::vector<Array<T>>&, T*);                              \
    template void propagate_delta<T>(const Array<T>&, const Array<T>&, const LayerParams<T>&, const Array<T>&,   \
                                     const Array<T>&, Array<T>&);                                                \
    template void column_sums<T>(const Array<T>&, Array<T>&);                                                    \
    template T l2_penalty<T>(const MlpParams<T>&, T, std::size_t);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference::detail
