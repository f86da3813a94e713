// bptt_gru and bptt_gru_loss: the GRU's gates and states step by step, the head, then from the last step back the
// gradient at h_t, the three blocks' δ_t (at the input projection) and δh_t (at the hidden projection), the weight
// gradients summed over the steps. The activations and their derivatives are delta_activation.hpp's.
#include "nn/reference/bptt_gru.hpp"

#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {
namespace {

using detail::sigmoid;
using detail::tanh_kind;

/// The checks of bptt_gru and bptt_gru_loss (fn names which).
template <class T>
void validate(const char* fn, const GruParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
              const Array<T>& Y, Loss loss, LossAt at) {
    if (net.layers.empty()) throw ValueError(std::string(fn) + ": the network has no layers");
    detail::validate_sequence(fn, X, {}, "h0", {});
    std::size_t in = X.shape()[2];
    std::vector<std::size_t> hidden;
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const GruLayerParams<T>& p = net.layers[l];
        in = detail::validate_recurrent_layer(fn, l, 3, p.W_ih, p.W_hh, p.b_ih, p.b_hh, in);
        hidden.push_back(in);
    }
    detail::validate_sequence(fn, X, h0, "h0", hidden);
    detail::validate_head(fn, net.head, in, X.shape()[0], X.shape()[1], Y, loss, at);
}

/// Column block k (of width H) of a [N, 3H] array.
template <class T>
Array<T> block(const Array<T>& a, std::size_t k, std::size_t H) {
    return Array<T>(xt::view(a, xt::all(), xt::range(k * H, (k + 1) * H)));
}

/// The forward pass into r.layers[·] and r.head; returns the loss.
template <class T>
T forward(const GruParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y, Loss loss,
          LossAt at, GruResult<T>& r) {
    const std::size_t steps = X.shape()[0], N = X.shape()[1];
    r.layers.resize(net.layers.size());
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const GruLayerParams<T>& p = net.layers[l];
        GruLayerResult<T>& L = r.layers[l];
        const std::size_t H = p.W_hh.shape()[1];
        for (auto* v : {&L.xp, &L.hp, &L.r, &L.z, &L.n, &L.h}) v->resize(steps);
        for (std::size_t t = 0; t < steps; ++t) {
            const Array<T> h_prev = t == 0 ? detail::initial_state(h0, l, N, H) : L.h[t - 1];
            L.xp[t] = Array<T>::from_shape({N, 3 * H});
            L.hp[t] = Array<T>::from_shape({N, 3 * H});
            gemm_into(detail::step_input(X, l == 0 ? nullptr : &r.layers[l - 1].h, t), false, p.W_ih, true, L.xp[t]);
            L.xp[t] += p.b_ih;  // broadcast over the rows
            gemm_into(h_prev, false, p.W_hh, true, L.hp[t]);
            L.hp[t] += p.b_hh;
            activate_into(sigmoid, T(0), Array<T>(block(L.xp[t], 0, H) + block(L.hp[t], 0, H)), L.r[t]);
            activate_into(sigmoid, T(0), Array<T>(block(L.xp[t], 1, H) + block(L.hp[t], 1, H)), L.z[t]);
            activate_into(tanh_kind, T(0), Array<T>(block(L.xp[t], 2, H) + L.r[t] * block(L.hp[t], 2, H)), L.n[t]);
            L.h[t] = (T(1) - L.z[t]) * L.n[t] + L.z[t] * h_prev;
        }
    }
    return detail::head_forward(net.head, r.layers.back().h, Y, loss, at, r.head);
}

}  // namespace

template <class T>
GruResult<T> bptt_gru(const GruParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                      Loss loss, LossAt at) {
    validate("bptt_gru", net, X, h0, Y, loss, at);
    GruResult<T> r;
    r.loss = forward(net, X, h0, Y, loss, at, r);
    const std::size_t steps = X.shape()[0], N = X.shape()[1];
    std::vector<Array<T>> from_above = detail::head_backward(net.head, r.layers.back().h, Y, loss, at, r.head);
    for (std::size_t l = net.layers.size(); l-- > 0;) {
        const GruLayerParams<T>& p = net.layers[l];
        GruLayerResult<T>& L = r.layers[l];
        const std::size_t H = p.W_hh.shape()[1], C = p.W_ih.shape()[1];
        L.dW_ih = xt::zeros<T>({3 * H, C});
        L.dW_hh = xt::zeros<T>({3 * H, H});
        L.db_ih = xt::zeros<T>({3 * H});
        L.db_hh = xt::zeros<T>({3 * H});
        L.delta.resize(steps);
        L.delta_h.resize(steps);
        std::vector<Array<T>> to_below(steps);
        Array<T> carried;  // the gradient reaching h_t from step t + 1: e_{t+1} ⊙ z_{t+1} + δh_{t+1} W_hh
        for (std::size_t t = steps; t-- > 0;) {
            const Array<T> e = t + 1 < steps ? Array<T>(from_above[t] + carried) : from_above[t];
            const Array<T> h_prev = t == 0 ? detail::initial_state(h0, l, N, H) : L.h[t - 1];
            // δn = e ⊙ (1 − z) ⊙ tanh'(·), δz = e ⊙ (h_{t−1} − n) ⊙ σ'(·), δr = δn ⊙ hp_n ⊙ σ'(·)
            Array<T> dn = e * (T(1) - L.z[t]), dz = e * (h_prev - L.n[t]);
            multiply_by_derivative(tanh_kind, T(0), L.n[t], L.n[t], dn);  // tanh' from its value: z is not needed
            multiply_by_derivative(sigmoid, T(0), L.z[t], L.z[t], dz);
            Array<T> dr = dn * block(L.hp[t], 2, H);
            multiply_by_derivative(sigmoid, T(0), L.r[t], L.r[t], dr);
            Array<T> delta = xt::concatenate(xt::xtuple(dr, dz, dn), 1);
            Array<T> delta_h = xt::concatenate(xt::xtuple(dr, dz, Array<T>(dn * L.r[t])), 1);
            // ΔW_ih += δ_t^T x_t, ΔW_hh += δh_t^T h_{t−1}, Δb_ih += Σ_rows δ_t, Δb_hh += Σ_rows δh_t; ∂l/∂x_t = δ_t W_ih
            gemm_into(delta, true, detail::step_input(X, l == 0 ? nullptr : &r.layers[l - 1].h, t), false, L.dW_ih,
                      T(1), T(1));
            gemm_into(delta_h, true, h_prev, false, L.dW_hh, T(1), T(1));
            detail::add_column_sums(delta, L.db_ih);
            detail::add_column_sums(delta_h, L.db_hh);
            to_below[t] = Array<T>::from_shape({N, C});
            gemm_into(delta, false, p.W_ih, false, to_below[t]);
            // What reaches h_{t−1}: through the update gate's interpolation and through hp_t.
            carried = e * L.z[t];
            gemm_into(delta_h, false, p.W_hh, false, carried, T(1), T(1));
            L.delta[t] = std::move(delta);
            L.delta_h[t] = std::move(delta_h);
        }
        L.dh0 = std::move(carried);  // ∂l/∂h_0 = e_1 ⊙ z_1 + δh_1 W_hh
        from_above = std::move(to_below);
    }
    r.dx = std::move(from_above);
    return r;
}

template <class T>
T bptt_gru_loss(const GruParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0, const Array<T>& Y,
                Loss loss, LossAt at) {
    validate("bptt_gru_loss", net, X, h0, Y, loss, at);
    GruResult<T> r;
    return forward(net, X, h0, Y, loss, at, r);
}

#define DG_INSTANTIATE(T)                                                                                            \
    template GruResult<T> bptt_gru<T>(const GruParams<T>&, const Array<T>&, const std::vector<Array<T>>&,            \
                                      const Array<T>&, Loss, LossAt);                                                \
    template T bptt_gru_loss<T>(const GruParams<T>&, const Array<T>&, const std::vector<Array<T>>&, const Array<T>&, \
                                Loss, LossAt);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
