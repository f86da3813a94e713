// delta_backprop and delta_loss: the forward pass, δ(L) from the loss, then the recurrence δ(l) = (δ(l+1) W(l+1)) ⊙
// f'(z(l)) down to layer 1 with ΔW(l) = δ(l)^T a(l−1) (+ (λ/m) W(l)) and Δb(l) = Σ_rows δ(l).
#include "nn/reference/delta_backprop.hpp"

#include <utility>

#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {

template <class T>
BackpropResult<T> delta_backprop(const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss,
                                 T lambda) {
    detail::validate("delta_backprop", net, X, Y, loss, lambda);
    const std::size_t count = net.layers.size();
    const T m = static_cast<T>(X.shape()[0]);

    BackpropResult<T> result;
    std::vector<Array<T>> z, a;
    result.loss = detail::forward_pass(net, X, Y, loss, lambda, z, a, &result.penalty);
    result.input = X;
    result.layers.resize(count);
    for (std::size_t l = 0; l < count; ++l) {
        result.layers[l].z = std::move(z[l]);
        result.layers[l].a = std::move(a[l]);
    }

    LayerResult<T>& top = result.layers.back();
    const LayerParams<T>& out = net.layers.back();
    output_delta_into(loss, out.activation, out.resolved_alpha(), top.z, top.a, Y, top.delta);

    for (std::size_t l = count; l-- > 0;) {  // l is the 0-based index of layer l + 1
        LayerResult<T>& cur = result.layers[l];
        const LayerParams<T>& params = net.layers[l];
        const Array<T>& a_prev = l == 0 ? X : result.layers[l - 1].a;
        // ΔW = δ^T a(l−1) (+ (λ/m) W): the L2 term is written first and the product added onto it by GEMM (β = 1).
        detail::ensure_shape(cur.dW, params.W.shape()[0], params.W.shape()[1]);
        if (lambda != T(0)) {
            xt::noalias(cur.dW) = (lambda / m) * params.W;
            gemm_into(cur.delta, true, a_prev, false, cur.dW, T(1), T(1));
        } else {
            gemm_into(cur.delta, true, a_prev, false, cur.dW);
        }
        detail::column_sums(cur.delta, cur.db);
        if (l > 0) {
            LayerResult<T>& below = result.layers[l - 1];
            detail::propagate_delta(cur.delta, params.W, net.layers[l - 1], below.z, below.a, below.delta);
        }
    }
    return result;
}

template <class T>
T delta_loss(const MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lambda) {
    detail::validate("delta_loss", net, X, Y, loss, lambda);
    std::vector<Array<T>> z, a;
    return detail::forward_pass(net, X, Y, loss, lambda, z, a, static_cast<T*>(nullptr));
}

#define DG_INSTANTIATE(T)                                                                                      \
    template BackpropResult<T> delta_backprop<T>(const MlpParams<T>&, const Array<T>&, const Array<T>&, Loss, T); \
    template T delta_loss<T>(const MlpParams<T>&, const Array<T>&, const Array<T>&, Loss, T);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
