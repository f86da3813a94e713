// bptt_rnn and bptt_rnn_loss: the Elman network's forward pass step by step, the head, then the recurrence
// δ_t = (∂l/∂h_t + δ_{t+1} W_hh) ⊙ f'(z_t) from the last step back, the weight gradients summed over the steps.
#include "nn/reference/bptt_rnn.hpp"

#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {

namespace {

/// The checks of bptt_rnn and bptt_rnn_loss (fn names which).
template <class T>
void validate(const char* fn, const RnnParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
              const Array<T>& Y, Loss loss, LossAt at) {
    const std::string where = std::string(fn) + ": ";
    if (net.layers.empty()) throw ValueError(where + "the network has no layers");
    detail::validate_sequence(fn, X, {}, "h0", {});
    std::size_t in = X.shape()[2];
    std::vector<std::size_t> hidden;
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const RnnLayerParams<T>& p = net.layers[l];
        const std::size_t H = detail::validate_recurrent_layer(fn, l, 1, p.W_ih, p.W_hh, p.b_ih, p.b_hh, in);
        if (!has_formula(p.activation))
            throw ValueError(where + "layer " + std::to_string(l + 1) + " activation is " +
                             activation_name(p.activation) +
                             ", which the reference has no formula for (it has the elementwise built-ins)");
        hidden.push_back(H);
        in = H;
    }
    detail::validate_sequence(fn, X, h0, "h0", hidden);
    detail::validate_head(fn, net.head, in, X.shape()[0], X.shape()[1], Y, loss, at);
}

/// x_t of layer l: the input's step t for the first layer, the states of the layer below for the others.
template <class T>
Array<T> layer_input(const Array<T>& X, const RnnResult<T>& r, std::size_t l, std::size_t t) {
    return detail::step_input(X, l == 0 ? nullptr : &r.layers[l - 1].h, t);
}

/// The forward pass into r.layers[·].z, .h and r.head; returns the loss.
template <class T>
T forward(const RnnParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y, Loss loss,
          LossAt at, RnnResult<T>& r) {
    const std::size_t steps = X.shape()[0], N = X.shape()[1];
    r.layers.resize(net.layers.size());
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const RnnLayerParams<T>& p = net.layers[l];
        RnnLayerResult<T>& layer = r.layers[l];
        const std::size_t H = p.W_hh.shape()[0];
        layer.z.resize(steps);
        layer.h.resize(steps);
        for (std::size_t t = 0; t < steps; ++t) {
            const Array<T> h_prev = t == 0 ? detail::initial_state(h0, l, N, H) : layer.h[t - 1];
            Array<T>& z = layer.z[t];
            z = Array<T>::from_shape({N, H});
            gemm_into(layer_input(X, r, l, t), false, p.W_ih, true, z);  // x_t W_ih^T
            gemm_into(h_prev, false, p.W_hh, true, z, T(1), T(1));         // + h_{t−1} W_hh^T
            for (std::size_t n = 0; n < N; ++n)
                for (std::size_t j = 0; j < H; ++j) z(n, j) += p.b_ih(j) + p.b_hh(j);
            activate_into(p.activation, static_cast<T>(default_alpha(p.activation)), z, layer.h[t]);
        }
    }
    return detail::head_forward(net.head, r.layers.back().h, Y, loss, at, r.head);
}

}  // namespace

template <class T>
RnnResult<T> bptt_rnn(const RnnParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                      Loss loss, LossAt at) {
    validate("bptt_rnn", net, X, h0, Y, loss, at);
    RnnResult<T> r;
    r.loss = forward(net, X, h0, Y, loss, at, r);
    const std::size_t steps = X.shape()[0], N = X.shape()[1];
    // ∂l/∂h_t of the layer being worked on, from above: the head for the last layer, then δ_t W_ih of the layer above.
    std::vector<Array<T>> from_above = detail::head_backward(net.head, r.layers.back().h, Y, loss, at, r.head);
    for (std::size_t l = net.layers.size(); l-- > 0;) {
        const RnnLayerParams<T>& p = net.layers[l];
        RnnLayerResult<T>& layer = r.layers[l];
        const std::size_t H = p.W_hh.shape()[0], C = p.W_ih.shape()[1];
        layer.dW_ih = xt::zeros<T>({H, C});
        layer.dW_hh = xt::zeros<T>({H, H});
        layer.db_ih = xt::zeros<T>({H});
        layer.delta.resize(steps);
        std::vector<Array<T>> to_below(steps);
        for (std::size_t t = steps; t-- > 0;) {
            // δ_t = (∂l/∂h_t + δ_{t+1} W_hh) ⊙ f'(z_t)
            Array<T> delta = from_above[t];
            if (t + 1 < steps) gemm_into(layer.delta[t + 1], false, p.W_hh, false, delta, T(1), T(1));
            multiply_by_derivative(p.activation, static_cast<T>(default_alpha(p.activation)), layer.z[t], layer.h[t],
                                   delta);
            // ΔW_ih += δ_t^T x_t, ΔW_hh += δ_t^T h_{t−1}, Δb += Σ_rows δ_t
            const Array<T> h_prev = t == 0 ? detail::initial_state(h0, l, N, H) : layer.h[t - 1];
            gemm_into(delta, true, layer_input(X, r, l, t), false, layer.dW_ih, T(1), T(1));
            gemm_into(delta, true, h_prev, false, layer.dW_hh, T(1), T(1));
            detail::add_column_sums(delta, layer.db_ih);
            // ∂l/∂x_t = δ_t W_ih: what the layer below (or the input) receives
            to_below[t] = Array<T>::from_shape({N, C});
            gemm_into(delta, false, p.W_ih, false, to_below[t]);
            layer.delta[t] = std::move(delta);
        }
        layer.db_hh = layer.db_ih;
        layer.dh0 = Array<T>::from_shape({N, H});
        gemm_into(layer.delta[0], false, p.W_hh, false, layer.dh0);  // ∂l/∂h_0 = δ_1 W_hh
        from_above = std::move(to_below);
    }
    r.dx = std::move(from_above);
    return r;
}

template <class T>
T bptt_rnn_loss(const RnnParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                Loss loss, LossAt at) {
    validate("bptt_rnn_loss", net, X, h0, Y, loss, at);
    RnnResult<T> r;
    return forward(net, X, h0, Y, loss, at, r);
}

#define DG_INSTANTIATE(T)                                                                                           \
    template RnnResult<T> bptt_rnn<T>(const RnnParams<T>&, const Array<T>&, const std::vector<Array<T>>&,          \
                                      const Array<T>&, Loss, LossAt);                                               \
    template T bptt_rnn_loss<T>(const RnnParams<T>&, const Array<T>&, const std::vector<Array<T>>&, const Array<T>&, \
                                Loss, LossAt);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
