// What the BPTT reference's networks share: the head (the top layer's states as rows, every step or the last, the MLP
// reference's linear layer and loss on them, ∂l/∂h_t = δ W split back into steps), the checks and the step helpers.
#include "nn/reference/bptt_common.hpp"

#include <algorithm>
#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {

const char* loss_at_name(LossAt at) { return at == LossAt::every_step ? "every_step" : "last_step"; }

namespace detail {
namespace {

/// The rows the head reads: every h_t stacked step after step [T·N, H], or h_T [N, H].
template <class T>
Array<T> head_input(const std::vector<Array<T>>& hs, LossAt at) {
    if (at == LossAt::last_step) return hs.back();
    const std::size_t N = hs[0].shape()[0], H = hs[0].shape()[1];
    Array<T> rows = Array<T>::from_shape({hs.size() * N, H});
    for (std::size_t t = 0; t < hs.size(); ++t) std::copy(hs[t].begin(), hs[t].end(), rows.data() + t * N * H);
    return rows;
}

}  // namespace

template <class T>
void validate_head(const char* fn, const HeadParams<T>& head, std::size_t H, std::size_t steps, std::size_t N,
                   const Array<T>& Y, Loss loss, LossAt at) {
    const std::string where = std::string(fn) + ": ";
    if (head.W.dimension() != 2 || head.W.shape()[1] != H || head.W.shape()[0] == 0)
        throw ShapeError(where + "head weight has shape " + shape_str(shape_of(head.W)) + ", expected [K, " +
                         std::to_string(H) + "] with K >= 1");
    const std::size_t K = head.W.shape()[0];
    if (head.b.dimension() != 1 || head.b.shape()[0] != K)
        throw ShapeError(where + "head bias has shape " + shape_str(shape_of(head.b)) + ", expected [" +
                         std::to_string(K) + "]");
    if (!has_formula(head.activation) || !output_activation_allowed(loss, head.activation))
        throw ValueError(where + "the head's activation " + activation_name(head.activation) + " does not go with loss " +
                         loss_name(loss) + " (softmax_ce takes identity, bce identity or sigmoid)");
    const std::size_t rows = at == LossAt::every_step ? steps * N : N;
    if (Y.dimension() != 2 || Y.shape()[0] != rows || Y.shape()[1] != K)
        throw ShapeError(where + "targets Y have shape " + shape_str(shape_of(Y)) + ", expected [" +
                         std::to_string(rows) + ", " + std::to_string(K) + "] (" +
                         (at == LossAt::every_step ? "T·N rows, step after step, for the loss at every step"
                                                   : "N rows for the loss at the last step") +
                         ")");
}

template <class T>
T head_forward(const HeadParams<T>& head, const std::vector<Array<T>>& hs, const Array<T>& Y, Loss loss, LossAt at,
               HeadResult<T>& r) {
    linear_forward(head_input(hs, at), head, r.z);
    output_activation_into(loss, head.activation, head.resolved_alpha(), r.z, r.a);
    return loss_value(loss, r.z, r.a, Y);
}

template <class T>
std::vector<Array<T>> head_backward(const HeadParams<T>& head, const std::vector<Array<T>>& hs, const Array<T>& Y,
                                    Loss loss, LossAt at, HeadResult<T>& r) {
    const Array<T> input = head_input(hs, at);
    output_delta_into(loss, head.activation, head.resolved_alpha(), r.z, r.a, Y, r.delta);
    ensure_shape(r.dW, head.W.shape()[0], head.W.shape()[1]);
    gemm_into(r.delta, true, input, false, r.dW);  // ΔW = δ^T h
    column_sums(r.delta, r.db);
    Array<T> dh = Array<T>::from_shape({input.shape()[0], head.W.shape()[1]});
    gemm_into(r.delta, false, head.W, false, dh);  // ∂l/∂h = δ W, row form of W^T δ
    const std::size_t steps = hs.size(), N = hs[0].shape()[0];
    std::vector<Array<T>> out(steps);
    for (std::size_t t = 0; t < steps; ++t) {
        if (at == LossAt::every_step) {
            out[t] = row_block(dh, t * N, N);
        } else {
            out[t] = t + 1 == steps ? dh : Array<T>(xt::zeros<T>(hs[t].shape()));
        }
    }
    return out;
}

template <class T>
void add_column_sums(const Array<T>& delta, Array<T>& out) {
    Array<T> sums;
    column_sums(delta, sums);
    out += sums;
}

template <class T>
Array<T> step_input(const Array<T>& X, const std::vector<Array<T>>* below, std::size_t t) {
    return below ? (*below)[t] : Array<T>(xt::view(X, t, xt::all(), xt::all()));
}

template <class T>
Array<T> initial_state(const std::vector<Array<T>>& states, std::size_t l, std::size_t N, std::size_t H) {
    return states.empty() ? Array<T>(xt::zeros<T>({N, H})) : states[l];
}

template <class T>
std::size_t validate_recurrent_layer(const char* fn, std::size_t l, std::size_t gates, const Array<T>& W_ih,
                                     const Array<T>& W_hh, const Array<T>& b_ih, const Array<T>& b_hh, std::size_t in) {
    const std::string name = std::string(fn) + ": layer " + std::to_string(l + 1) + " ";
    const std::string blocks = gates == 1 ? "H" : std::to_string(gates) + "H";
    const std::size_t H = W_hh.dimension() == 2 ? W_hh.shape()[1] : 0;
    if (H == 0 || shape_of(W_hh) != Shape{gates * H, H})
        throw ShapeError(name + "W_hh has shape " + shape_str(shape_of(W_hh)) + ", expected [" + blocks +
                         ", H] with H >= 1");
    if (shape_of(W_ih) != Shape{gates * H, in})
        throw ShapeError(name + "W_ih has shape " + shape_str(shape_of(W_ih)) + ", expected " +
                         shape_str({gates * H, in}));
    for (const auto& [b, bname] : {std::pair{&b_ih, "b_ih"}, std::pair{&b_hh, "b_hh"}})
        if (shape_of(*b) != Shape{gates * H})
            throw ShapeError(name + bname + " has shape " + shape_str(shape_of(*b)) + ", expected " +
                             shape_str({gates * H}));
    return H;
}

template <class T>
void validate_sequence(const char* fn, const Array<T>& X, const std::vector<Array<T>>& states, const char* what,
                       const std::vector<std::size_t>& hidden) {
    const std::string where = std::string(fn) + ": ";
    if (X.dimension() != 3 || X.shape()[0] == 0 || X.shape()[1] == 0 || X.shape()[2] == 0)
        throw ShapeError(where + "input X has shape " + shape_str(shape_of(X)) +
                         ", expected [T, N, C] with T, N, C >= 1 (T steps of N sequences)");
    if (states.empty()) return;
    if (states.size() != hidden.size())
        throw ShapeError(where + what + " has " + std::to_string(states.size()) + " arrays, expected " +
                         std::to_string(hidden.size()) + " (one per layer) or none (zeros)");
    for (std::size_t l = 0; l < hidden.size(); ++l) {
        const Shape expected{X.shape()[1], hidden[l]};
        if (shape_of(states[l]) != expected)
            throw ShapeError(where + what + " of layer " + std::to_string(l + 1) + " has shape " +
                             shape_str(shape_of(states[l])) + ", expected " + shape_str(expected) + " ([N, H])");
    }
}

template <class T>
Array<T> row_block(const Array<T>& x, std::size_t first, std::size_t count) {
    const std::size_t cols = x.shape()[1];
    Array<T> out = Array<T>::from_shape({count, cols});
    std::copy(x.data() + first * cols, x.data() + (first + count) * cols, out.data());
    return out;
}

#define DG_INSTANTIATE(T)                                                                                          \
    template void validate_head<T>(const char*, const HeadParams<T>&, std::size_t, std::size_t, std::size_t,       \
                                   const Array<T>&, Loss, LossAt);                                                 \
    template T head_forward<T>(const HeadParams<T>&, const std::vector<Array<T>>&, const Array<T>&, Loss, LossAt,  \
                               HeadResult<T>&);                                                                    \
    template std::vector<Array<T>> head_backward<T>(const HeadParams<T>&, const std::vector<Array<T>>&,            \
                                                    const Array<T>&, Loss, LossAt, HeadResult<T>&);                \
    template void add_column_sums<T>(const Array<T>&, Array<T>&);                                                  \
    template Array<T> row_block<T>(const Array<T>&, std::size_t, std::size_t);                                     \
    template Array<T> step_input<T>(const Array<T>&, const std::vector<Array<T>>*, std::size_t);                   \
    template Array<T> initial_state<T>(const std::vector<Array<T>>&, std::size_t, std::size_t, std::size_t);       \
    template void validate_sequence<T>(const char*, const Array<T>&, const std::vector<Array<T>>&, const char*,    \
                                       const std::vector<std::size_t>&);                                           \
    template std::size_t validate_recurrent_layer<T>(const char*, std::size_t, std::size_t, const Array<T>&,       \
                                                     const Array<T>&, const Array<T>&, const Array<T>&, std::size_t);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace detail
}  // namespace dg::reference
