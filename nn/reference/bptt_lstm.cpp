// bptt_lstm and bptt_lstm_loss: the LSTM's gates and states step by step, the head, then from the last step back the
// gradient at h_t, the cell state's ε_t (through h_t and through f_{t+1}) and the four gates' δ_t, the weight
// gradients summed over the steps. The activations and their derivatives are delta_activation.hpp's.
#include "nn/reference/bptt_lstm.hpp"

#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {
namespace {

using detail::sigmoid;
using detail::tanh_kind;

/// The checks of bptt_lstm and bptt_lstm_loss (fn names which).
template <class T>
void validate(const char* fn, const LstmParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
              const std::vector<Array<T>>& c0, const Array<T>& Y, Loss loss, LossAt at) {
    if (net.layers.empty()) throw ValueError(std::string(fn) + ": the network has no layers");
    detail::validate_sequence(fn, X, {}, "h0", {});
    std::size_t in = X.shape()[2];
    std::vector<std::size_t> hidden;
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const LstmLayerParams<T>& p = net.layers[l];
        in = detail::validate_recurrent_layer(fn, l, 4, p.W_ih, p.W_hh, p.b_ih, p.b_hh, in);
        hidden.push_back(in);
    }
    detail::validate_sequence(fn, X, h0, "h0", hidden);
    detail::validate_sequence(fn, X, c0, "c0", hidden);
    detail::validate_head(fn, net.head, in, X.shape()[0], X.shape()[1], Y, loss, at);
}

/// Column block k (of width H) of a [N, 4H] array: one gate's part.
template <class T>
Array<T> gate_block(const Array<T>& a, std::size_t k, std::size_t H) {
    return Array<T>(xt::view(a, xt::all(), xt::range(k * H, (k + 1) * H)));
}

/// The forward pass into r.layers[·] and r.head; returns the loss.
template <class T>
T forward(const LstmParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
          const std::vector<Array<T>>& c0, const Array<T>& Y, Loss loss, LossAt at, LstmResult<T>& r) {
    const std::size_t steps = X.shape()[0], N = X.shape()[1];
    r.layers.resize(net.layers.size());
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const LstmLayerParams<T>& p = net.layers[l];
        LstmLayerResult<T>& L = r.layers[l];
        const std::size_t H = p.W_hh.shape()[1];
        for (auto* v : {&L.a, &L.i, &L.f, &L.g, &L.o, &L.c, &L.h}) v->resize(steps);
        for (std::size_t t = 0; t < steps; ++t) {
            const Array<T> h_prev = t == 0 ? detail::initial_state(h0, l, N, H) : L.h[t - 1];
            const Array<T> c_prev = t == 0 ? detail::initial_state(c0, l, N, H) : L.c[t - 1];
            Array<T>& a = L.a[t];
            a = Array<T>::from_shape({N, 4 * H});
            gemm_into(detail::step_input(X, l == 0 ? nullptr : &r.layers[l - 1].h, t), false, p.W_ih, true, a);
            gemm_into(h_prev, false, p.W_hh, true, a, T(1), T(1));
            a += p.b_ih + p.b_hh;  // broadcast over the rows
            activate_into(sigmoid, T(0), gate_block(a, 0, H), L.i[t]);
            activate_into(sigmoid, T(0), gate_block(a, 1, H), L.f[t]);
            activate_into(tanh_kind, T(0), gate_block(a, 2, H), L.g[t]);
            activate_into(sigmoid, T(0), gate_block(a, 3, H), L.o[t]);
            L.c[t] = L.f[t] * c_prev + L.i[t] * L.g[t];
            L.h[t] = L.o[t] * activate(tanh_kind, L.c[t], T(0));
        }
    }
    return detail::head_forward(net.head, r.layers.back().h, Y, loss, at, r.head);
}

}  // namespace

template <class T>
LstmResult<T> bptt_lstm(const LstmParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
                        const std::vector<Array<T>>& c0, const Array<T>& Y, Loss loss, LossAt at) {
    validate("bptt_lstm", net, X, h0, c0, Y, loss, at);
    LstmResult<T> r;
    r.loss = forward(net, X, h0, c0, Y, loss, at, r);
    const std::size_t steps = X.shape()[0], N = X.shape()[1];
    std::vector<Array<T>> from_above = detail::head_backward(net.head, r.layers.back().h, Y, loss, at, r.head);
    for (std::size_t l = net.layers.size(); l-- > 0;) {
        const LstmLayerParams<T>& p = net.layers[l];
        LstmLayerResult<T>& L = r.layers[l];
        const std::size_t H = p.W_hh.shape()[1], C = p.W_ih.shape()[1];
        L.dW_ih = xt::zeros<T>({4 * H, C});
        L.dW_hh = xt::zeros<T>({4 * H, H});
        L.db_ih = xt::zeros<T>({4 * H});
        L.delta.resize(steps);
        L.eps.resize(steps);
        std::vector<Array<T>> to_below(steps);
        for (std::size_t t = steps; t-- > 0;) {
            // e_t = ∂l/∂h_t + δ_{t+1} W_hh
            Array<T> e = from_above[t];
            if (t + 1 < steps) gemm_into(L.delta[t + 1], false, p.W_hh, false, e, T(1), T(1));
            const Array<T> tanh_c = activate(tanh_kind, L.c[t], T(0));
            // ε_t = e_t ⊙ o_t ⊙ (1 − tanh²(c_t)) + ε_{t+1} ⊙ f_{t+1}
            Array<T> eps = e * L.o[t];
            multiply_by_derivative(tanh_kind, T(0), L.c[t], tanh_c, eps);
            if (t + 1 < steps) eps += L.eps[t + 1] * L.f[t + 1];
            const Array<T> c_prev = t == 0 ? detail::initial_state(c0, l, N, H) : L.c[t - 1];
            // The gates: δi = ε ⊙ g ⊙ σ'(a_i), δf = ε ⊙ c_{t−1} ⊙ σ'(a_f), δg = ε ⊙ i ⊙ tanh'(a_g), δo = e ⊙ tanh(c) ⊙ σ'(a_o)
            Array<T> di = eps * L.g[t], df = eps * c_prev, dg = eps * L.i[t], dout = e * tanh_c;
            multiply_by_derivative(sigmoid, T(0), gate_block(L.a[t], 0, H), L.i[t], di);
            multiply_by_derivative(sigmoid, T(0), gate_block(L.a[t], 1, H), L.f[t], df);
            multiply_by_derivative(tanh_kind, T(0), gate_block(L.a[t], 2, H), L.g[t], dg);
            multiply_by_derivative(sigmoid, T(0), gate_block(L.a[t], 3, H), L.o[t], dout);
            Array<T> delta = xt::concatenate(xt::xtuple(di, df, dg, dout), 1);
            // ΔW_ih += δ_t^T x_t, ΔW_hh += δ_t^T h_{t−1}, Δb += Σ_rows δ_t; ∂l/∂x_t = δ_t W_ih
            const Array<T> h_prev = t == 0 ? detail::initial_state(h0, l, N, H) : L.h[t - 1];
            gemm_into(delta, true, detail::step_input(X, l == 0 ? nullptr : &r.layers[l - 1].h, t), false, L.dW_ih,
                      T(1), T(1));
            gemm_into(delta, true, h_prev, false, L.dW_hh, T(1), T(1));
            detail::add_column_sums(delta, L.db_ih);
            to_below[t] = Array<T>::from_shape({N, C});
            gemm_into(delta, false, p.W_ih, false, to_below[t]);
            L.delta[t] = std::move(delta);
            L.eps[t] = std::move(eps);
        }
        L.db_hh = L.db_ih;
        L.dh0 = Array<T>::from_shape({N, H});
        gemm_into(L.delta[0], false, p.W_hh, false, L.dh0);  // ∂l/∂h_0 = δ_1 W_hh
        L.dc0 = L.eps[0] * L.f[0];                            // ∂l/∂c_0 = ε_1 ⊙ f_1
        from_above = std::move(to_below);
    }
    r.dx = std::move(from_above);
    return r;
}

template <class T>
T bptt_lstm_loss(const LstmParams<T>& net, const Array<T>& X, const std::vector<Array<T>>& h0,
                 const std::vector<Array<T>>& c0, const Array<T>& Y, Loss loss, LossAt at) {
    validate("bptt_lstm_loss", net, X, h0, c0, Y, loss, at);
    LstmResult<T> r;
    return forward(net, X, h0, c0, Y, loss, at, r);
}

#define DG_INSTANTIATE(T)                                                                                          \
    template LstmResult<T> bptt_lstm<T>(const LstmParams<T>&, const Array<T>&, const std::vector<Array<T>>&,      \
                                        const std::vector<Array<T>>&, const Array<T>&, Loss, LossAt);              \
    template T bptt_lstm_loss<T>(const LstmParams<T>&, const Array<T>&, const std::vector<Array<T>>&,             \
                                 const std::vector<Array<T>>&, const Array<T>&, Loss, LossAt);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
