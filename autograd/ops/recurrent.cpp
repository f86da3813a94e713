// Recurrent ops: the Elman, LSTM and GRU recurrences over a whole sequence (one node each; backward is
// backpropagation through time), their one-step cells, and the fused per-step backward helpers of LSTM and GRU.
// Layouts are PyTorch's: W_hh [G·H, H] with the gates stacked in its rows (LSTM i f g o, GRU r z n). Sequences are
// time-major and flat, [T·N, K], step t in rows t·N … t·N + N − 1: the layout GEMMs produce and read, so a layer
// needs no reshape between the input projection, the recurrence and a head.
#include <algorithm>
#include <array>
#include <cmath>

#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;

namespace {

// ---- kernels on raw memory (the forward passes and the fused backward helpers) ---------------------------------

/// y = σ(x) on n contiguous values; one xtensor expression on the two buffers, so xsimd vectorises exp.
template <class T>
void sigmoid_run(const T* x, T* y, std::size_t n) {
    const std::array<std::size_t, 1> shape{n};
    auto out = xt::adapt(y, n, xt::no_ownership(), shape);
    xt::noalias(out) = T(1) / (T(1) + xt::exp(-xt::adapt(x, n, xt::no_ownership(), shape)));
}

/// y = tanh(x) on n contiguous values (vectorised likewise).
template <class T>
void tanh_run(const T* x, T* y, std::size_t n) {
    const std::array<std::size_t, 1> shape{n};
    auto out = xt::adapt(y, n, xt::no_ownership(), shape);
    xt::noalias(out) = xt::tanh(xt::adapt(x, n, xt::no_ownership(), shape));
}

/// W_hhᵀ [H, G·H] of w_hh [G·H, H], made once per sequence: the per-step GEMM h_{t−1}·W_hhᵀ then reads its right
/// operand row by row (the GEMM kernel packs a transposed operand column by column, strided, at every step).
template <class T>
Array<T> transposed(const Array<T>& w) {
    const std::size_t rows = w.shape()[0], cols = w.shape()[1], tile = 16;  // tiles, so both sides stay in cache
    Array<T> out = Array<T>::from_shape({cols, rows});
    const T* src = w.data();
    T* dst = out.data();
    for (std::size_t i0 = 0; i0 < rows; i0 += tile)
        for (std::size_t j0 = 0; j0 < cols; j0 += tile)
            for (std::size_t i = i0; i < std::min(i0 + tile, rows); ++i)
                for (std::size_t j = j0; j < std::min(j0 + tile, cols); ++j) dst[j * rows + i] = src[i * cols + j];
    return out;
}

/// Each of the n rows of out [n, cols] = the same row of x plus b (b may be null): the start of a pre-activation,
/// onto which the recurrent GEMM then adds h·W_hhᵀ (β = 1).
template <class T>
void rows_plus_bias(const T* x, const T* b, T* out, std::size_t n, std::size_t cols) {
    for (std::size_t i = 0; i < n; ++i, x += cols, out += cols)
        for (std::size_t j = 0; j < cols; ++j) out[j] = x[j] + (b ? b[j] : T(0));
}

// ---- shapes ---------------------------------------------------------------------------------------------------

/// The extents of a recurrence: T steps, N sequences, H hidden units, G gate blocks (1 Elman, 4 LSTM, 3 GRU).
struct Dims {
    std::size_t steps, batch, hidden, gates;
    std::size_t width() const { return gates * hidden; }
};

/// Checks w_hh [G·H, H] and b_hh [G·H] (when defined) and returns H; ShapeError naming `op` otherwise.
template <class T>
std::size_t check_recurrent_weight(const char* op, std::size_t gates, const Tensor<T>& w_hh, const Tensor<T>& b_hh) {
    const Shape w = w_hh.shape();
    const std::string blocks = gates == 1 ? "H" : std::to_string(gates) + "H";
    if (w.size() != 2 || w[1] == 0 || w[0] != gates * w[1])
        throw ShapeError(std::string(op) + ": w_hh has shape " + shape_str(w) + ", expected [" + blocks +
                         ", H] with H >= 1");
    if (b_hh.defined() && b_hh.shape() != Shape{w[0]})
        throw ShapeError(std::string(op) + ": b_hh has shape " + shape_str(b_hh.shape()) + ", expected [" +
                         std::to_string(w[0]) + "] ([" + blocks + "] for w_hh " + shape_str(w) + ")");
    return w[1];
}

/// Checks that a state (h0, c0, h, c) is [N, H]; ShapeError naming `op` and the state otherwise.
template <class T>
void check_state(const char* op, const char* name, const Tensor<T>& s, std::size_t batch, std::size_t hidden) {
    if (s.shape() != Shape{batch, hidden})
        throw ShapeError(std::string(op) + ": " + name + " has shape " + shape_str(s.shape()) + ", expected [" +
                         std::to_string(batch) + ", " + std::to_string(hidden) + "] ([N, H])");
}

/// Checks the operands of a sequence op (c0 only for the LSTM) and returns its extents: N from h0 [N, H], T from the
/// rows of xp [T·N, G·H].
template <class T>
Dims check_sequence(const char* op, std::size_t gates, const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>* c0,
                    const Tensor<T>& w_hh, const Tensor<T>& b_hh) {
    const std::size_t hidden = check_recurrent_weight(op, gates, w_hh, b_hh);
    const Shape hs = h0.shape();
    if (hs.size() != 2 || hs[0] == 0 || hs[1] != hidden)
        throw ShapeError(std::string(op) + ": h0 has shape " + shape_str(hs) + ", expected [N, " +
                         std::to_string(hidden) + "] with N >= 1 (H = " + std::to_string(hidden) + " from w_hh " +
                         shape_str(w_hh.shape()) + ")");
    const std::size_t batch = hs[0];
    const Shape s = xp.shape();
    if (s.size() != 2 || s[0] == 0 || s[0] % batch != 0 || s[1] != gates * hidden)
        throw ShapeError(std::string(op) + ": the input projection xp has shape " + shape_str(s) + ", expected [T·" +
                         std::to_string(batch) + ", " + std::to_string(gates * hidden) + "] with T >= 1 (N = " +
                         std::to_string(batch) + " from h0, " + std::to_string(gates * hidden) + " rows of w_hh " +
                         shape_str(w_hh.shape()) + ")");
    if (c0) check_state(op, "c0", *c0, batch, hidden);
    return {s[0] / batch, batch, hidden, gates};
}

/// Checks a cell's operands: x [N, C], w_ih [G·H, C], b_ih [G·H], the states h and c (when given) [N, H], and w_hh
/// and b_hh as check_recurrent_weight.
template <class T>
void check_cell(const char* op, std::size_t gates, const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>* c,
                const Tensor<T>& w_ih, const Tensor<T>& b_ih, const Tensor<T>& w_hh, const Tensor<T>& b_hh) {
    const std::size_t hidden = check_recurrent_weight(op, gates, w_hh, b_hh), width = gates * hidden;
    const Shape xs = x.shape(), ws = w_ih.shape();
    if (xs.size() != 2 || ws.size() != 2 || ws[0] != width || ws[1] != xs[1])
        throw ShapeError(std::string(op) + ": x has shape " + shape_str(xs) + " and w_ih " + shape_str(ws) +
                         ", expected x [N, C] and w_ih [" + std::to_string(width) + ", C] (as many rows as w_hh " +
                         shape_str(w_hh.shape()) + ")");
    if (b_ih.defined() && b_ih.shape() != Shape{width})
        throw ShapeError(std::string(op) + ": b_ih has shape " + shape_str(b_ih.shape()) + ", expected [" +
                         std::to_string(width) + "]");
    check_state(op, "h", h, xs[0], hidden);
    if (c) check_state(op, "c", *c, xs[0], hidden);
}

// ---- pieces of the backward passes (differentiable ops) ----------------------------------------------------------

/// Step t of a sequence stored step after step, [T·N, K]: its N rows from t·N on, [N, K].
template <class T>
Tensor<T> step_rows(const Tensor<T>& x, std::size_t t, std::size_t n) {
    return narrow(x, 0, t * n, n);
}

/// h_{t−1} for every step, [T·N, H]: h0, then the first T−1 of the states `hs` (h_0, h_1, … as rows of H).
template <class T>
Tensor<T> previous_states(const Tensor<T>& h0, const Tensor<T>& hs, const Dims& d) {
    if (d.steps == 1) return h0;
    return concat(std::vector<Tensor<T>>{h0, narrow(hs, 0, 0, (d.steps - 1) * d.batch)}, 0);
}

/// The per-step gradients [N, K] of every step as one [T·N, K] tensor, steps in order.
template <class T>
Tensor<T> join_steps(const std::vector<Tensor<T>>& steps) {
    return steps.size() == 1 ? steps[0] : concat(steps, 0);
}

/// x·Wᵀ (+ b when defined).
template <class T>
Tensor<T> project(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
    return b.defined() ? linear(x, w, b) : linear(x, w);
}

/// The inputs of a sequence op: b_hh only when defined (an undefined input cannot be recorded).
template <class T>
TensorList<T> sequence_inputs(TensorList<T> inputs, const Tensor<T>& b_hh) {
    if (b_hh.defined()) inputs.push_back(b_hh);
    return inputs;
}

/// The weight and bias gradients of a recurrence from its per-step pre-activation gradients D [T·N, G·H] and the
/// states they multiplied, hprev [T·N, H]: ΔW_hh = Σ_t D_tᵀ h_{t−1} as one GEMM over all steps, Δb_hh = Σ_t,n D_t.
template <class T>
void weight_grads(const Inputs<T>& in, std::size_t w_index, const Tensor<T>& d, const Tensor<T>& hprev,
                  Grads<T>& grads) {
    if (in[w_index].requires_grad()) grads[w_index] = gemm(d, hprev, true, false);
    if (in.size() > w_index + 1 && in[w_index + 1].requires_grad()) grads[w_index + 1] = sum(d, 0);
}

/// The LSTM's gate activations [M, 4H] = σ(i) σ(f) tanh(g) σ(o) from pre-activations [M, 4H], as differentiable
/// ops (the backward's recomputation under create_graph).
template <class T>
Tensor<T> lstm_gate_activations(const Tensor<T>& pre, std::size_t H) {
    return concat(std::vector<Tensor<T>>{sigmoid(narrow(pre, 1, 0, 2 * H)), tanh(narrow(pre, 1, 2 * H, H)),
                                         sigmoid(narrow(pre, 1, 3 * H, H))},
                  1);
}

/// The GRU's saved quantities [M, 4H] = r, z, n and hn = the n-block of h·W_hhᵀ + b_hh, from the input projection
/// xp [M, 3H] and the hidden projection hp [M, 3H], as differentiable ops (as above).
template <class T>
Tensor<T> gru_gate_activations(const Tensor<T>& xp, const Tensor<T>& hp, std::size_t H) {
    const Tensor<T> rz = sigmoid(add(narrow(xp, 1, 0, 2 * H), narrow(hp, 1, 0, 2 * H)));
    const Tensor<T> hn = narrow(hp, 1, 2 * H, H);
    const Tensor<T> n = tanh(add(narrow(xp, 1, 2 * H, H), mul(narrow(rz, 1, 0, H), hn)));
    return concat(std::vector<Tensor<T>>{rz, n, hn}, 1);
}

/// Column block k (of width `width`) of a 2-d tensor.
template <class T>
Tensor<T> block(const Tensor<T>& x, std::size_t k, std::size_t width) {
    return narrow(x, 1, k * width, width);
}

}  // namespace

// ---- the recurrences over a sequence ------------------------------------------------------------------------------

template <class T>
Tensor<T> rnn_sequence(const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& w_hh, const Tensor<T>& b_hh,
                       RnnNonlinearity f) {
    const Dims d = check_sequence<T>("rnn_sequence", 1, xp, h0, nullptr, w_hh, b_hh);
    const std::size_t N = d.batch, H = d.hidden, step = N * H;
    auto out = make_node<T>(Shape{d.steps * N, H});
    const T* b = b_hh.defined() ? b_hh.value().data() : nullptr;
    const Array<T> w_t = transposed(w_hh.value());
    for (std::size_t t = 0; t < d.steps; ++t) {
        // z_t = xp_t + b_hh + h_{t−1} W_hhᵀ, written into h_t's place, then h_t = f(z_t) in place.
        T* h = out->value.data() + t * step;
        const T* hprev = t == 0 ? h0.value().data() : h - step;
        rows_plus_bias(xp.value().data() + t * step, b, h, N, H);
        blas::gemm(false, false, N, H, H, T(1), hprev, H, w_t.data(), H, T(1), h, H);
        if (f == RnnNonlinearity::tanh)
            tanh_run(h, h, step);
        else
            for (std::size_t k = 0; k < step; ++k) h[k] = h[k] > T(0) ? h[k] : T(0);
    }
    return record<T>(
        std::move(out), sequence_inputs({xp, h0, w_hh}, b_hh),
        {"rnn_sequence", "BPTT: d_t = (grad_out[t] + d_{t+1} @ W_hh) * f'(z_t) = grad_xp[t]; grad_W_hh = sum_t d_t^T @ h_{t-1}; grad_b_hh = sum d_t; grad_h0 = d_0 @ W_hh"},
        [d, f](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
            const std::size_t N = d.batch;
            const Tensor<T>&hs = y, &gs = g;  // [T·N, H]: step t is rows t·N … t·N + N − 1
            std::vector<Tensor<T>> deltas(d.steps);
            Tensor<T> dh;  // ∂l/∂h_t through h_{t+1}: δ_{t+1} W_hh
            for (std::size_t t = d.steps; t-- > 0;) {
                const Tensor<T> gh = dh.defined() ? add(step_rows(gs, t, N), dh) : step_rows(gs, t, N);
                const Tensor<T> h = step_rows(hs, t, N);
                deltas[t] = f == RnnNonlinearity::tanh ? tanh_backward(gh, h) : mask_grad(gh, h, T(0), T(1));
                if (t > 0 || in[1].requires_grad()) dh = gemm(deltas[t], in[2], false, false);
            }
            const Tensor<T> delta = join_steps(deltas);  // [T·N, H]
            Grads<T> grads(in.size());
            if (in[0].requires_grad()) grads[0] = delta;
            if (in[1].requires_grad()) grads[1] = dh;
            weight_grads(in, 2, delta, previous_states(in[1], hs, d), grads);
            return grads;
        },
        Saves{~0u, true});
}

template <class T>
Tensor<T> lstm_sequence(const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& c0, const Tensor<T>& w_hh,
                        const Tensor<T>& b_hh) {
    const Dims d = check_sequence<T>("lstm_sequence", 4, xp, h0, &c0, w_hh, b_hh);
    const std::size_t N = d.batch, H = d.hidden, G = d.width(), step = N * H, planes = d.steps * step;
    auto out = make_node<T>(Shape{2 * d.steps * N, H});  // every h_t, then every c_t
    // The gate activations i f g o of every step, [T·N, 4H]: what backward needs besides the states.
    Array<T> gates = Array<T>::from_shape({d.steps * N, G});
    Array<T> tanh_c = Array<T>::from_shape({N, H});
    const T* b = b_hh.defined() ? b_hh.value().data() : nullptr;
    const Array<T> w_t = transposed(w_hh.value());
    for (std::size_t t = 0; t < d.steps; ++t) {
        T* a = gates.data() + t * N * G;
        T* h = out->value.data() + t * step;
        T* c = h + planes;
        const T* hprev = t == 0 ? h0.value().data() : h - step;
        const T* cprev = t == 0 ? c0.value().data() : c - step;
        // The pre-activations xp[t] + b_hh + h_{t−1} W_hhᵀ, activated in place: σ on i, f, o and tanh on g.
        rows_plus_bias(xp.value().data() + t * N * G, b, a, N, G);
        blas::gemm(false, false, N, G, H, T(1), hprev, H, w_t.data(), G, T(1), a, G);
        for (std::size_t n = 0; n < N; ++n) {
            T* row = a + n * G;
            sigmoid_run(row, row, 2 * H);
            tanh_run(row + 2 * H, row + 2 * H, H);
            sigmoid_run(row + 3 * H, row + 3 * H, H);
        }
        // c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
        for (std::size_t n = 0; n < N; ++n) {
            const T* row = a + n * G;
            for (std::size_t j = 0; j < H; ++j)
                c[n * H + j] = row[H + j] * cprev[n * H + j] + row[j] * row[2 * H + j];
        }
        tanh_run(c, tanh_c.data(), step);
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t j = 0; j < H; ++j) h[n * H + j] = a[n * G + 3 * H + j] * tanh_c.data()[n * H + j];
    }
    const Tensor<T> saved(std::move(gates));
    return record<T>(
        std::move(out), sequence_inputs({xp, h0, c0, w_hh}, b_hh),
        {"lstm_sequence", "BPTT: [d_t, dc_{t-1}] = lstm_step_backward(grad_out[h_t] + d_{t+1} @ W_hh, grad_out[c_t] + dc_t, gates_t, c_{t-1}, c_t); grad_xp[t] = d_t; grad_W_hh = sum_t d_t^T @ h_{t-1}; grad_b_hh = sum d_t; grad_h0 = d_0 @ W_hh; grad_c0 = dc_{-1}"},
        [d, saved](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
            const std::size_t T_ = d.steps, N = d.batch, H = d.hidden;
            const Tensor<T>&states = y, &gs = g;  // [2·T·N, H]: h_t is step t, c_t step T + t
            const Tensor<T> hprev = previous_states(in[1], states, d);
            const Tensor<T> bias = in.size() > 4 ? in[4] : Tensor<T>();
            // The gates: the forward's values, or, when this backward is itself recorded (create_graph), the same
            // values recomputed from the inputs by differentiable ops, so that second derivatives see through them.
            const Tensor<T> gates =
                grad_enabled()
                    ? lstm_gate_activations(add(in[0], project(hprev, in[3], bias)), H)
                    : saved;
            std::vector<Tensor<T>> deltas(T_);
            Tensor<T> dh, dc;  // the gradients reaching h_t and c_t from step t+1
            for (std::size_t t = T_; t-- > 0;) {
                const Tensor<T> gh = dh.defined() ? add(step_rows(gs, t, N), dh) : step_rows(gs, t, N);
                const Tensor<T> gc = dc.defined() ? add(step_rows(gs, T_ + t, N), dc) : step_rows(gs, T_ + t, N);
                const Tensor<T> cprev = t == 0 ? in[2] : step_rows(states, T_ + t - 1, N);
                const Tensor<T> r =
                    lstm_step_backward(gh, gc, step_rows(gates, t, N), cprev, step_rows(states, T_ + t, N));
                deltas[t] = narrow(r, 1, 0, d.width());
                dc = narrow(r, 1, d.width(), H);
                if (t > 0 || in[1].requires_grad()) dh = gemm(deltas[t], in[3], false, false);
            }
            const Tensor<T> delta = join_steps(deltas);  // [T·N, 4H]
            Grads<T> grads(in.size());
            if (in[0].requires_grad()) grads[0] = delta;
            if (in[1].requires_grad()) grads[1] = dh;
            if (in[2].requires_grad()) grads[2] = dc;
            weight_grads(in, 3, delta, hprev, grads);
            return grads;
        },
        Saves{~0u, true});
}

template <class T>
Tensor<T> gru_sequence(const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& w_hh, const Tensor<T>& b_hh) {
    const Dims d = check_sequence<T>("gru_sequence", 3, xp, h0, nullptr, w_hh, b_hh);
    const std::size_t N = d.batch, H = d.hidden, G = d.width(), step = N * H;
    auto out = make_node<T>(Shape{d.steps * N, H});
    // r, z, n and hn (the n-block of h_{t−1} W_hhᵀ + b_hh) of every step, [T·N, 4H]: what backward needs.
    Array<T> gates = Array<T>::from_shape({d.steps * N, 4 * H});
    Array<T> hp = Array<T>::from_shape({N, G});
    const T* b = b_hh.defined() ? b_hh.value().data() : nullptr;
    const Array<T> w_t = transposed(w_hh.value());
    for (std::size_t t = 0; t < d.steps; ++t) {
        T* a = gates.data() + t * N * 4 * H;
        T* h = out->value.data() + t * step;
        const T* x = xp.value().data() + t * N * G;
        const T* hprev = t == 0 ? h0.value().data() : h - step;
        // hp = h_{t−1} W_hhᵀ + b_hh; r, z = σ(xp + hp) on their blocks; n = tanh(xp_n + r ⊙ hp_n).
        if (b)
            for (std::size_t n = 0; n < N; ++n) std::copy(b, b + G, hp.data() + n * G);
        blas::gemm(false, false, N, G, H, T(1), hprev, H, w_t.data(), G, b ? T(1) : T(0), hp.data(), G);
        for (std::size_t n = 0; n < N; ++n) {
            T* row = a + n * 4 * H;
            const T* xr = x + n * G;
            const T* hr = hp.data() + n * G;
            for (std::size_t j = 0; j < 2 * H; ++j) row[j] = xr[j] + hr[j];
            sigmoid_run(row, row, 2 * H);
            for (std::size_t j = 0; j < H; ++j) {
                row[3 * H + j] = hr[2 * H + j];
                row[2 * H + j] = xr[2 * H + j] + row[j] * hr[2 * H + j];
            }
            tanh_run(row + 2 * H, row + 2 * H, H);
            // h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
            for (std::size_t j = 0; j < H; ++j) {
                const T z = row[H + j];
                h[n * H + j] = (T(1) - z) * row[2 * H + j] + z * hprev[n * H + j];
            }
        }
    }
    const Tensor<T> saved(std::move(gates));
    return record<T>(
        std::move(out), sequence_inputs({xp, h0, w_hh}, b_hh),
        {"gru_sequence", "BPTT: [dxp_t, dhp_t, dh_direct] = gru_step_backward(grad_out[t] + dh_t, gates_t, h_{t-1}); grad_xp[t] = dxp_t; dh_{t-1} = dh_direct + dhp_t @ W_hh; grad_W_hh = sum_t dhp_t^T @ h_{t-1}; grad_b_hh = sum dhp_t; grad_h0 = dh_{-1}"},
        [d, saved](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
            const std::size_t T_ = d.steps, N = d.batch, H = d.hidden, G = d.width();
            const Tensor<T>&hs = y, &gs = g;  // [T·N, H]
            const Tensor<T> hprev = previous_states(in[1], hs, d);
            const Tensor<T> bias = in.size() > 3 ? in[3] : Tensor<T>();
            // As in lstm_sequence: saved, or recomputed by differentiable ops when this backward is recorded.
            const Tensor<T> gates =
                grad_enabled() ? gru_gate_activations(in[0], project(hprev, in[2], bias), H)
                               : saved;
            std::vector<Tensor<T>> dxp(T_), dhp(T_);
            Tensor<T> dh;  // the gradient reaching h_t from step t+1
            for (std::size_t t = T_; t-- > 0;) {
                const Tensor<T> gh = dh.defined() ? add(step_rows(gs, t, N), dh) : step_rows(gs, t, N);
                const Tensor<T> r = gru_step_backward(gh, step_rows(gates, t, N), step_rows(hprev, t, N));
                dxp[t] = narrow(r, 1, 0, G);
                dhp[t] = narrow(r, 1, G, G);
                if (t > 0 || in[1].requires_grad()) dh = add(narrow(r, 1, 2 * G, H), gemm(dhp[t], in[2], false, false));
            }
            Grads<T> grads(in.size());
            if (in[0].requires_grad()) grads[0] = join_steps(dxp);
            if (in[1].requires_grad()) grads[1] = dh;
            weight_grads(in, 2, join_steps(dhp), hprev, grads);
            return grads;
        },
        Saves{~0u, true});
}

// ---- one step: the cells ----------------------------------------------------------------------------------------

template <class T>
Tensor<T> rnn_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                   const Tensor<T>& b_ih, const Tensor<T>& b_hh, RnnNonlinearity f) {
    check_cell<T>("rnn_cell", 1, x, h, nullptr, w_ih, b_ih, w_hh, b_hh);
    return rnn_sequence(project(x, w_ih, b_ih), h, w_hh, b_hh, f);
}

template <class T>
LstmState<T> lstm_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& c, const Tensor<T>& w_ih,
                       const Tensor<T>& w_hh, const Tensor<T>& b_ih, const Tensor<T>& b_hh) {
    check_cell<T>("lstm_cell", 4, x, h, &c, w_ih, b_ih, w_hh, b_hh);
    const Tensor<T> y = lstm_sequence(project(x, w_ih, b_ih), h, c, w_hh, b_hh);  // [2N, H]: h', then c'
    const std::size_t N = x.shape()[0];
    return {narrow(y, 0, 0, N), narrow(y, 0, N, N)};
}

template <class T>
Tensor<T> gru_cell(const Tensor<T>& x, const Tensor<T>& h, const Tensor<T>& w_ih, const Tensor<T>& w_hh,
                   const Tensor<T>& b_ih, const Tensor<T>& b_hh) {
    check_cell<T>("gru_cell", 3, x, h, nullptr, w_ih, b_ih, w_hh, b_hh);
    return gru_sequence(project(x, w_ih, b_ih), h, w_hh, b_hh);
}

// ---- fused backward helpers ---------------------------------------------------------------------------------------

template <class T>
Tensor<T> lstm_step_backward(const Tensor<T>& gh, const Tensor<T>& gc, const Tensor<T>& gates, const Tensor<T>& c_prev,
                             const Tensor<T>& c) {
    const Shape s = c.shape();
    if (s.size() != 2 || gh.shape() != s || gc.shape() != s || c_prev.shape() != s ||
        gates.shape() != Shape{s[0], 4 * s[1]})
        throw ShapeError("lstm_step_backward: gh " + shape_str(gh.shape()) + ", gc " + shape_str(gc.shape()) +
                         ", gates " + shape_str(gates.shape()) + ", c_prev " + shape_str(c_prev.shape()) + ", c " +
                         shape_str(s) + " do not fit (expected [N, H] each and gates [N, 4H])");
    const std::size_t N = s[0], H = s[1];
    auto out = make_node<T>(Shape{N, 5 * H});
    Array<T> tc = Array<T>::from_shape(s);
    tanh_run(c.value().data(), tc.data(), N * H);
    // One row of each operand at a time, through plain pointers; ivdep: they never overlap (GCC gives up checking
    // that many pointers for overlap and would leave the loop scalar).
    for (std::size_t n = 0; n < N; ++n) {
        const T *i = gates.value().data() + n * 4 * H, *f = i + H, *u = i + 2 * H, *og = i + 3 * H;
        const T *g_h = gh.value().data() + n * H, *g_c = gc.value().data() + n * H;
        const T *cp = c_prev.value().data() + n * H, *t = tc.data() + n * H;
        T *di = out->value.data() + n * 5 * H, *df = di + H, *du = di + 2 * H, *dout = di + 3 * H, *dcp = di + 4 * H;
#pragma GCC ivdep
        for (std::size_t j = 0; j < H; ++j) {
            const T dc = g_c[j] + g_h[j] * og[j] * (T(1) - t[j] * t[j]);  // ∂l/∂c_t in full
            di[j] = dc * u[j] * i[j] * (T(1) - i[j]);
            df[j] = dc * cp[j] * f[j] * (T(1) - f[j]);
            du[j] = dc * i[j] * (T(1) - u[j] * u[j]);
            dout[j] = g_h[j] * t[j] * og[j] * (T(1) - og[j]);
            dcp[j] = dc * f[j];
        }
    }
    return record<T>(
        std::move(out), {gh, gc, gates, c_prev, c},
        {"lstm_step_backward", "out = [dc*g*i(1-i), dc*c_prev*f(1-f), dc*i*(1-g^2), gh*tanh(c)*o(1-o), dc*f], dc = gc + gh*o*(1-tanh(c)^2); grad_x = grad_out . d(out)/dx, elementwise"},
        [H](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& r) {
            const Tensor<T>&gh = in[0], &gc = in[1], &cp = in[3];
            const Tensor<T> i = block(in[2], 0, H), f = block(in[2], 1, H), u = block(in[2], 2, H),
                            o = block(in[2], 3, H), tc = tanh(in[4]);
            const Tensor<T> ri = block(r, 0, H), rf = block(r, 1, H), ru = block(r, 2, H), ro = block(r, 3, H),
                            rc = block(r, 4, H);
            const Tensor<T> dc = add(gc, tanh_backward(mul(gh, o), tc));
            // The cotangent of dc, through the four outputs that read it.
            const Tensor<T> rdc = add(add(sigmoid_backward(mul(ri, u), i), sigmoid_backward(mul(rf, cp), f)),
                                      add(tanh_backward(mul(ru, i), u), mul(rc, f)));
            const auto one_minus_twice = [](const Tensor<T>& v) { return rsub(T(1), mul(v, T(2))); };
            Grads<T> grads(5);
            if (in[0].requires_grad())
                grads[0] = add(tanh_backward(mul(rdc, o), tc), sigmoid_backward(mul(ro, tc), o));
            if (in[1].requires_grad()) grads[1] = rdc;
            if (in[2].requires_grad()) {
                const Tensor<T> di = add(mul(mul(ri, dc), mul(u, one_minus_twice(i))), tanh_backward(mul(ru, dc), u));
                const Tensor<T> df = add(mul(mul(rf, dc), mul(cp, one_minus_twice(f))), mul(rc, dc));
                const Tensor<T> du = sub(sigmoid_backward(mul(ri, dc), i), mul(mul(ru, dc), mul(mul(i, u), T(2))));
                const Tensor<T> d_o = add(tanh_backward(mul(rdc, gh), tc), mul(mul(ro, gh), mul(tc, one_minus_twice(o))));
                grads[2] = concat(std::vector<Tensor<T>>{di, df, du, d_o}, 1);
            }
            if (in[3].requires_grad()) grads[3] = sigmoid_backward(mul(rf, dc), f);
            if (in[4].requires_grad()) {
                const Tensor<T> dtc = sub(sigmoid_backward(mul(ro, gh), o), mul(mul(rdc, gh), mul(mul(o, tc), T(2))));
                grads[4] = tanh_backward(dtc, tc);
            }
            return grads;
        });
}

template <class T>
Tensor<T> gru_step_backward(const Tensor<T>& gh, const Tensor<T>& gates, const Tensor<T>& h_prev) {
    const Shape s = h_prev.shape();
    if (s.size() != 2 || gh.shape() != s || gates.shape() != Shape{s[0], 4 * s[1]})
        throw ShapeError("gru_step_backward: gh " + shape_str(gh.shape()) + ", gates " + shape_str(gates.shape()) +
                         ", h_prev " + shape_str(s) + " do not fit (expected [N, H] each and gates [N, 4H])");
    const std::size_t N = s[0], H = s[1];
    auto out = make_node<T>(Shape{N, 7 * H});
    // One row of each operand at a time, through plain pointers that never overlap (ivdep, as lstm_step_backward).
    for (std::size_t n = 0; n < N; ++n) {
        const T *r = gates.value().data() + n * 4 * H, *z = r + H, *nn = r + 2 * H, *hn = r + 3 * H;
        const T *g = gh.value().data() + n * H, *hp = h_prev.value().data() + n * H;
        T* o = out->value.data() + n * 7 * H;
#pragma GCC ivdep
        for (std::size_t j = 0; j < H; ++j) {
            const T dn = g[j] * (T(1) - z[j]) * (T(1) - nn[j] * nn[j]);    // through n's pre-activation
            const T dz = g[j] * (hp[j] - nn[j]) * z[j] * (T(1) - z[j]);   // through z's
            const T dr = dn * hn[j] * r[j] * (T(1) - r[j]);                // through r's
            o[j] = o[3 * H + j] = dr;
            o[H + j] = o[4 * H + j] = dz;
            o[2 * H + j] = dn;
            o[5 * H + j] = dn * r[j];
            o[6 * H + j] = g[j] * z[j];
        }
    }
    return record<T>(
        std::move(out), {gh, gates, h_prev},
        {"gru_step_backward", "out = [dr, dz, dn, dr, dz, dn*r, gh*z], dn = gh*(1-z)*(1-n^2), dz = gh*(h_prev-n)*z(1-z), dr = dn*hn*r(1-r); grad_x = grad_out . d(out)/dx, elementwise"},
        [H](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& rr) {
            const Tensor<T>& gh = in[0];
            const Tensor<T>& hp = in[2];
            const Tensor<T> r = block(in[1], 0, H), z = block(in[1], 1, H), n = block(in[1], 2, H),
                            hn = block(in[1], 3, H);
            // Cotangents of dr, dz and dn (each written twice or read by another output).
            const Tensor<T> qr = add(block(rr, 0, H), block(rr, 3, H));
            const Tensor<T> qz = add(block(rr, 1, H), block(rr, 4, H));
            const Tensor<T> q6 = block(rr, 5, H), q7 = block(rr, 6, H);
            const Tensor<T> qn = add(add(block(rr, 2, H), mul(q6, r)), sigmoid_backward(mul(qr, hn), r));
            const Tensor<T> one_minus_z = rsub(T(1), z), h_minus_n = sub(hp, n);
            const Tensor<T> dn = tanh_backward(mul(gh, one_minus_z), n);
            Grads<T> grads(3);
            if (in[0].requires_grad())
                grads[0] = add(add(tanh_backward(mul(qn, one_minus_z), n), sigmoid_backward(mul(qz, h_minus_n), z)),
                               mul(q7, z));
            if (in[1].requires_grad()) {
                const Tensor<T> d_r =
                    add(mul(mul(qr, dn), mul(hn, rsub(T(1), mul(r, T(2))))), mul(q6, dn));
                const Tensor<T> d_z = add(sub(mul(mul(qz, gh), mul(h_minus_n, rsub(T(1), mul(z, T(2))))),
                                              tanh_backward(mul(qn, gh), n)),
                                          mul(q7, gh));
                const Tensor<T> d_n = neg(add(mul(mul(qn, gh), mul(one_minus_z, mul(n, T(2)))),
                                              sigmoid_backward(mul(qz, gh), z)));
                const Tensor<T> d_hn = sigmoid_backward(mul(qr, dn), r);
                grads[1] = concat(std::vector<Tensor<T>>{d_r, d_z, d_n, d_hn}, 1);
            }
            if (in[2].requires_grad()) grads[2] = sigmoid_backward(mul(qz, gh), z);
            return grads;
        });
}

#define DG_INSTANTIATE(T)                                                                                          \
    template Tensor<T> rnn_sequence(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,        \
                                    RnnNonlinearity);                                                              \
    template Tensor<T> lstm_sequence(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,       \
                                     const Tensor<T>&);                                                            \
    template Tensor<T> gru_sequence(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);       \
    template Tensor<T> rnn_cell(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,            \
                                const Tensor<T>&, const Tensor<T>&, RnnNonlinearity);                              \
    template LstmState<T> lstm_cell(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,        \
                                    const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);                         \
    template Tensor<T> gru_cell(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,            \
                                const Tensor<T>&, const Tensor<T>&);                                               \
    template Tensor<T> lstm_step_backward(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,  \
                                          const Tensor<T>&);                                                       \
    template Tensor<T> gru_step_backward(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
