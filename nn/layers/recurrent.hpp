// Recurrent layers with PyTorch's parameters and call conventions: RNN (Elman, tanh or ReLU), LSTM and GRU over
// whole sequences (several layers, one or two directions, dropout between layers, batch-first or not, unbatched input,
// initial states, sequences of different lengths in one batch), and the one-step cells RNNCell, LSTMCell, GRUCell for
// loops of one's own. All run on the recurrent ops of ops.hpp.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/init.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// How a recurrent layer is built (RNN, LSTM, GRU): torch::nn::RNNOptions' fields after the sizes, in its order and
/// with its defaults.
struct RecurrentOptions {
    std::size_t num_layers = 1;  ///< layers stacked: layer l > 0 reads the states h_t of layer l − 1
    bool bias = true;            ///< whether each layer has bias_ih_l<k> and bias_hh_l<k>
    bool batch_first = false;    ///< input and output [N, T, ·] instead of [T, N, ·] (the states stay [L, N, H])
    double dropout = 0.0;        ///< in train() only, dropout with this p on every layer's output but the last's
    bool bidirectional = false;  ///< a second, reverse direction per layer: outputs [T, N, 2·H], states [2·L, N, H]
};

/// What a recurrent layer computes per step: the Elman recurrence with tanh or ReLU, the LSTM's or the GRU's.
enum class RecurrentKind { rnn_tanh, rnn_relu, lstm, gru };

/// The part RNN, LSTM and GRU share (PyTorch's RNNBase): the parameters of every layer k under PyTorch's names
/// weight_ih_l<k> [G·H, C_k], weight_hh_l<k> [G·H, H], bias_ih_l<k> and bias_hh_l<k> [G·H] (G = 1 Elman, 4 LSTM with
/// the gate blocks i, f, g, o, 3 GRU with r, z, n; C_0 = input_size, C_k = D·H above, D = 2 directions when
/// bidirectional, else 1), all drawn from U(±1/√H) as PyTorch draws them, so a state_dict has PyTorch's keys and
/// layout; and the forward pass over a sequence.
///
/// Sequences of different lengths in one batch: forward takes `lengths` (one per sequence, each in [1, T]); a
/// sequence's steps past its length leave its state unchanged, so h_n (and c_n) are the states at its last step, and
/// its outputs there are 0 — what PyTorch gives for a packed sequence (pack_padded_sequence, then
/// pad_packed_sequence). Internally the batch is sorted by length and each stretch of steps runs the recurrent op on
/// the sequences still going, so padding costs nothing and gets no gradient.
///
/// Bidirectional (options.bidirectional): each layer has a second set of parameters, weight_ih_l<k>_reverse, …, run
/// from each sequence's last valid step back to its first (with lengths, as PyTorch's packed sequences: the reverse
/// direction starts at step lengths[i] − 1, and steps past the end still change nothing and output 0). The output is
/// [T, N, 2·H], the forward direction's h_t in [0, H) and the reverse direction's in [H, 2·H); h_n (and c_n) are
/// [2·L, N, H] in PyTorch's order, layer-major: layer k's forward state at 2k, its reverse state at 2k + 1 (the
/// reverse state is the one after its last step, at t = 0). The layer above reads 2·H inputs.
///
/// Dropout (options.dropout = p in [0, 1)): in train() only, each layer's output but the last's is passed through
/// inverted dropout (a Dropout child registered as "dropout", seeded from one draw of the constructor's generator
/// after the parameters, so the parameters are the same with and without it). eval() is deterministic; p = 0 (the
/// default) registers nothing and draws nothing. With one layer it does nothing, as in PyTorch.
///
/// Unbatched input (PyTorch's): x [T, C] (batch_first or not) gives output [T, D·H] and states [D·L, H]; initial
/// states are then [D·L, H] too, and lengths empty or one length.
///
/// Truncated backpropagation through time: run a long sequence in chunks and carry the state across with detach(),
/// so each chunk's backward stops at its first step:
///
///     auto [out, h] = (*rnn)(chunk1);            // h: [L, N, H]
///     loss(out).backward(); opt.step();
///     auto [out2, h2] = (*rnn)(chunk2, h.detach());  // starts where chunk 1 ended; its gradient stops there
///
/// (for the LSTM, carry {state.h.detach(), state.c.detach()}).
///
/// The calls: `(*rnn)(x, ...)` gives PyTorch's pair (output and final states, see the derived classes);
/// `forward(x)` of one tensor gives the output alone, on every static type (RNN, RecurrentBase, Module<T>), so that a
/// layer can sit in a Sequential; `forward(x, state, lengths)` gives the pair.
template <class T>
class RecurrentBase : public Cloneable<RecurrentBase<T>, T> {
public:
    /// The layers' parameters, drawn from `gen` in PyTorch's order (layer by layer, the forward direction then the
    /// reverse one: weight_ih, weight_hh, bias_ih, bias_hh). ValueError for a size or a layer count of 0, or a dropout
    /// outside [0, 1).
    RecurrentBase(RecurrentKind kind, std::size_t input_size, std::size_t hidden_size, Generator& gen,
                  const RecurrentOptions& options);
    /// The copy under clone(): the copy's own parameters (and dropout generator, in the state the original's is in).
    RecurrentBase(const RecurrentBase& other);

    /// The output sequence alone, from zero initial states: what a call through Module<T>& (e.g. in a Sequential)
    /// gives. The derived classes' forward(x, state, lengths) and call operator return the final states too.
    Tensor<T> forward(const Tensor<T>& x) override { return run(x, {}, {}, {}).output; }
    /// "RNN", "LSTM" or "GRU".
    std::string type_name() const override;
    /// "LSTM 8→16" (with ", 2 layers", ", no bias", ", batch_first", ", dropout 0.2", ", bidirectional" when so).
    std::string describe() const override;
    /// "[T, N, H]" ("[N, T, H]" batch-first) with the value of D·H.
    std::string output_shape_hint() const override;

    /// What a layer computes per step.
    RecurrentKind kind() const { return kind_; }
    /// The input width C.
    std::size_t input_size() const { return input_; }
    /// The state width H.
    std::size_t hidden_size() const { return hidden_; }
    /// The number of stacked layers L.
    std::size_t num_layers() const { return options_.num_layers; }
    /// Whether the layers have biases.
    bool has_bias() const { return options_.bias; }
    /// Whether input and output are [N, T, ·].
    bool batch_first() const { return options_.batch_first; }
    /// Whether each layer runs in both directions.
    bool bidirectional() const { return options_.bidirectional; }
    /// D: 2 when bidirectional, else 1.
    std::size_t num_directions() const { return options_.bidirectional ? 2 : 1; }
    /// The dropout probability between layers (0: none).
    double dropout() const { return options_.dropout; }
    /// weight_ih_l<k> [G·H, C_k] (reverse: weight_ih_l<k>_reverse); aliases the registered parameter.
    const Tensor<T>& weight_ih(std::size_t k, bool reverse = false) const { return layer(k, reverse).w_ih; }
    /// weight_hh_l<k> [G·H, H] (reverse: weight_hh_l<k>_reverse).
    const Tensor<T>& weight_hh(std::size_t k, bool reverse = false) const { return layer(k, reverse).w_hh; }
    /// bias_ih_l<k> [G·H] (reverse: bias_ih_l<k>_reverse), or an undefined tensor without bias.
    const Tensor<T>& bias_ih(std::size_t k, bool reverse = false) const { return layer(k, reverse).b_ih; }
    /// bias_hh_l<k> [G·H] (reverse: bias_hh_l<k>_reverse), or an undefined tensor without bias.
    const Tensor<T>& bias_hh(std::size_t k, bool reverse = false) const { return layer(k, reverse).b_hh; }

protected:
    /// The forward pass's results: output [T, N, D·H] (or [N, T, D·H]) and the final states [D·L, N, H] (unbatched:
    /// [T, D·H] and [D·L, H]).
    struct Run {
        Tensor<T> output;  ///< the last layer's h_t at every step (both directions side by side)
        Tensor<T> h_n;     ///< every layer's and direction's final h
        Tensor<T> c_n;     ///< every layer's and direction's final c (the LSTM's only)
    };
    /// Runs every layer over x (see the derived classes' forward); h0 and c0 [D·L, N, H] (unbatched x: [D·L, H]) or
    /// undefined (zeros); c0 is read by the LSTM only.
    Run run(const Tensor<T>& x, const Tensor<T>& h0, const Tensor<T>& c0, const std::vector<std::size_t>& lengths);

private:
    /// The parameters of one direction of one layer.
    struct Layer {
        Tensor<T> w_ih, w_hh, b_ih, b_hh;
    };
    /// One direction of one layer run over a sequence: the outputs [T·N, H] (zero rows past each sequence's end) and
    /// the final states [N, H] (c: the LSTM's only), sequences in the order of the sequence given.
    struct Pass {
        Tensor<T> out, h, c;
    };
    /// Layer k's parameters in one direction; ValueError for a k of no layer or the reverse of a unidirectional one.
    const Layer& layer(std::size_t k, bool reverse) const;
    /// The gate blocks G of a layer's weights: 1, 4 or 3.
    std::size_t gates() const;
    /// Layer k's state sequence(s) for a stretch of steps: xp [L·n, G·H] (the input projection), h0 (and c0) [n, H]
    /// → [L·n, H] (the LSTM: [2·L·n, H], every h_t then every c_t), as the recurrent op gives them.
    Tensor<T> recur(const Layer& l, const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& c0) const;
    /// One direction of one layer over seq [T·N, C_k] (time-major and flat, the N sequences sorted longest first,
    /// of lengths `sorted`) from the states h and c [N, H] (c: the LSTM's only).
    Pass pass(const Layer& l, const Tensor<T>& seq, Tensor<T> h, Tensor<T> c,
              const std::vector<std::size_t>& sorted) const;
    /// run() on a batched x [T, N, C] (or [N, T, C]).
    Run run_batched(const Tensor<T>& x, const Tensor<T>& h0, const Tensor<T>& c0,
                    const std::vector<std::size_t>& lengths);
    /// ShapeError naming the module unless x is [T, N, C] ([N, T, C] batch-first) or [T, C] with C = input_size.
    void check_input(const Tensor<T>& x) const;
    /// ShapeError naming the module and the expected shape unless s is undefined or [D·L, N, H] ([D·L, H] unbatched).
    void check_state(const char* name, const Tensor<T>& s, std::size_t batch, bool unbatched) const;

    RecurrentKind kind_;
    std::size_t input_, hidden_;
    RecurrentOptions options_;
    std::vector<Layer> layers_;            // layer k's direction d at k·D + d
    std::shared_ptr<Dropout<T>> dropout_;  // the child "dropout" when options_.dropout > 0, else null
};

/// The Elman network (PyTorch's nn.RNN): per layer, h_t = f(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), f tanh or ReLU.
template <class T>
class RNN : public Cloneable<RNN<T>, T, RecurrentBase<T>> {
public:
    /// Weights from `gen` (see RecurrentBase); `nonlinearity` is f.
    RNN(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options = {},
        RnnNonlinearity nonlinearity = RnnNonlinearity::tanh);

    /// (*rnn)(x), (*rnn)(x, h0), (*rnn)(x, h0, {3, 1}): forward(x, h0, lengths) in the module's name scope.
    std::pair<Tensor<T>, Tensor<T>> operator()(const Tensor<T>& x, const Tensor<T>& h0 = {},
                                               const std::vector<std::size_t>& lengths = {}) {
        return this->call_in_scope([&] { return forward(x, h0, lengths); });
    }
    /// x [T, N, C] (batch_first: [N, T, C]; unbatched: [T, C]), h0 [D·L, N, H] (unbatched: [D·L, H]; undefined:
    /// zeros), lengths (empty: all T) → (output [T, N, D·H] (batch_first: [N, T, D·H]; unbatched: [T, D·H]), the last
    /// layer's h_t at every step; h_n [D·L, N, H] (unbatched: [D·L, H]), every layer's and direction's state after
    /// its last step). A wrong rank or width, a length of 0 or above T, or h0 of another shape is an error naming the
    /// module and the expected shape.
    std::pair<Tensor<T>, Tensor<T>> forward(const Tensor<T>& x, const Tensor<T>& h0,
                                            const std::vector<std::size_t>& lengths = {});
    /// forward(x): the output alone, the function a call through Module<T>& runs (hiding it would make forward(x)
    /// mean one thing on a Module<T>& and another here).
    using RecurrentBase<T>::forward;
    /// tanh or ReLU.
    RnnNonlinearity nonlinearity() const {
        return this->kind() == RecurrentKind::rnn_relu ? RnnNonlinearity::relu : RnnNonlinearity::tanh;
    }
};

/// The LSTM (PyTorch's nn.LSTM): per layer, the gates i, f, g, o of a_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh,
/// c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g), h_t = σ(o)⊙tanh(c_t).
template <class T>
class LSTM : public Cloneable<LSTM<T>, T, RecurrentBase<T>> {
public:
    /// Weights from `gen` (see RecurrentBase).
    LSTM(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options = {});

    /// (*lstm)(x), (*lstm)(x, {h0, c0}), (*lstm)(x, {}, {3, 1}): forward(x, state, lengths) in the module's name
    /// scope.
    std::pair<Tensor<T>, LstmState<T>> operator()(const Tensor<T>& x, const LstmState<T>& state = {},
                                                  const std::vector<std::size_t>& lengths = {}) {
        return this->call_in_scope([&] { return forward(x, state, lengths); });
    }
    /// x as RNN's, the initial state {h0, c0}, each [D·L, N, H] (unbatched: [D·L, H]; both undefined: zeros),
    /// lengths (empty: all T) → (output as RNN's; {h_n, c_n}, each [D·L, N, H] (unbatched: [D·L, H])).
    std::pair<Tensor<T>, LstmState<T>> forward(const Tensor<T>& x, const LstmState<T>& state,
                                               const std::vector<std::size_t>& lengths = {});
    /// forward(x): the output alone, the function a call through Module<T>& runs (hiding it would make forward(x)
    /// mean one thing on a Module<T>& and another here).
    using RecurrentBase<T>::forward;
};

/// The GRU (PyTorch's nn.GRU): per layer, with hp = h_{t−1}·W_hhᵀ + b_hh and xp = x_t·W_ihᵀ + b_ih, r = σ(xp_r + hp_r),
/// z = σ(xp_z + hp_z), n = tanh(xp_n + r⊙hp_n), h_t = (1 − z)⊙n + z⊙h_{t−1}.
template <class T>
class GRU : public Cloneable<GRU<T>, T, RecurrentBase<T>> {
public:
    /// Weights from `gen` (see RecurrentBase).
    GRU(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options = {});

    /// (*gru)(x), (*gru)(x, h0), (*gru)(x, h0, {3, 1}): forward(x, h0, lengths) in the module's name scope.
    std::pair<Tensor<T>, Tensor<T>> operator()(const Tensor<T>& x, const Tensor<T>& h0 = {},
                                               const std::vector<std::size_t>& lengths = {}) {
        return this->call_in_scope([&] { return forward(x, h0, lengths); });
    }
    /// As RNN::forward.
    std::pair<Tensor<T>, Tensor<T>> forward(const Tensor<T>& x, const Tensor<T>& h0,
                                            const std::vector<std::size_t>& lengths = {});
    /// forward(x): the output alone, the function a call through Module<T>& runs (hiding it would make forward(x)
    /// mean one thing on a Module<T>& and another here).
    using RecurrentBase<T>::forward;
};

/// The part RNNCell, LSTMCell and GRUCell share: parameters weight_ih [G·H, C], weight_hh [G·H, H], bias_ih and
/// bias_hh [G·H] (PyTorch's names, layout and init U(±1/√H)), and the checks of a step's operands. A step takes a
/// batch x [N, C] and states [N, H], or, unbatched as in PyTorch, x [C] and states [H] (giving [H]).
template <class T>
class RecurrentCellBase : public Cloneable<RecurrentCellBase<T>, T> {
public:
    /// The parameters for `gates` blocks (1, 4 or 3), drawn from `gen`. ValueError for a size of 0.
    RecurrentCellBase(const char* type, std::size_t gates, std::size_t input_size, std::size_t hidden_size,
                      Generator& gen, bool bias);
    /// The copy under clone(): the copy's own parameters.
    RecurrentCellBase(const RecurrentCellBase& other);

    /// "RNNCell", "LSTMCell" or "GRUCell".
    std::string type_name() const override { return type_; }
    /// "LSTMCell 8→16" (", no bias" when so).
    std::string describe() const override;
    /// "[N, H]" with H's value.
    std::string output_shape_hint() const override;

    /// The input width C.
    std::size_t input_size() const { return input_; }
    /// The state width H.
    std::size_t hidden_size() const { return hidden_; }
    /// weight_ih [G·H, C]; aliases the registered parameter.
    const Tensor<T>& weight_ih() const { return w_ih_; }
    /// weight_hh [G·H, H].
    const Tensor<T>& weight_hh() const { return w_hh_; }
    /// bias_ih [G·H], or an undefined tensor without bias.
    const Tensor<T>& bias_ih() const { return b_ih_; }
    /// bias_hh [G·H], or an undefined tensor without bias.
    const Tensor<T>& bias_hh() const { return b_hh_; }

protected:
    /// x as a batch: x [N, C] itself, or [1, C] for an unbatched x [C]; ShapeError naming the module otherwise.
    Tensor<T> batch_input(const Tensor<T>& x) const;
    /// `s` as a batch [N, H] for a step on x (N from the batch made of x): s [N, H] itself, [1, H] for an unbatched
    /// x and s [H], zeros [N, H] when s is undefined; ShapeError naming the module and the expected shape otherwise.
    Tensor<T> batch_state(const char* name, const Tensor<T>& s, const Tensor<T>& x) const;
    /// A step's result y [N, H] as the caller's x had it: [H] for an unbatched x [C].
    Tensor<T> unbatch(const Tensor<T>& y, const Tensor<T>& x) const;

private:
    std::string type_;
    std::size_t input_, hidden_;
    Tensor<T> w_ih_, w_hh_, b_ih_, b_hh_;
};

/// One Elman step (PyTorch's nn.RNNCell): h' = f(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
template <class T>
class RNNCell : public Cloneable<RNNCell<T>, T, RecurrentCellBase<T>> {
public:
    /// Weights from `gen`; `nonlinearity` is f.
    RNNCell(std::size_t input_size, std::size_t hidden_size, Generator& gen, bool bias = true,
            RnnNonlinearity nonlinearity = RnnNonlinearity::tanh);
    /// x [N, C] (unbatched: [C]), h [N, H] (unbatched: [H]; undefined: zeros) → h' [N, H] (unbatched: [H]).
    Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& h);
    /// The step from h = 0: forward(x, {}), also through Module<T>& (e.g. in a Sequential).
    Tensor<T> forward(const Tensor<T>& x) override { return forward(x, Tensor<T>()); }
    /// tanh or ReLU.
    RnnNonlinearity nonlinearity() const { return f_; }

private:
    RnnNonlinearity f_;
};

/// One LSTM step (PyTorch's nn.LSTMCell).
template <class T>
class LSTMCell : public Cloneable<LSTMCell<T>, T, RecurrentCellBase<T>> {
public:
    /// Weights from `gen`.
    LSTMCell(std::size_t input_size, std::size_t hidden_size, Generator& gen, bool bias = true);
    /// (*cell)(x), (*cell)(x, {h, c}): forward(x, state) in the module's name scope.
    LstmState<T> operator()(const Tensor<T>& x, const LstmState<T>& state = {}) {
        return this->call_in_scope([&] { return forward(x, state); });
    }
    /// x [N, C] (unbatched: [C]), the state {h, c}, each [N, H] (unbatched: [H]; both undefined: zeros) → {h', c'}.
    LstmState<T> forward(const Tensor<T>& x, const LstmState<T>& state);
    /// h' of the step from zero states, as through Module<T>& (e.g. in a Sequential).
    Tensor<T> forward(const Tensor<T>& x) override { return forward(x, LstmState<T>{}).h; }
};

/// One GRU step (PyTorch's nn.GRUCell).
template <class T>
class GRUCell : public Cloneable<GRUCell<T>, T, RecurrentCellBase<T>> {
public:
    /// Weights from `gen`.
    GRUCell(std::size_t input_size, std::size_t hidden_size, Generator& gen, bool bias = true);
    /// x [N, C] (unbatched: [C]), h [N, H] (unbatched: [H]; undefined: zeros) → h' [N, H] (unbatched: [H]).
    Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& h);
    /// The step from h = 0: forward(x, {}), also through Module<T>& (e.g. in a Sequential).
    Tensor<T> forward(const Tensor<T>& x) override { return forward(x, Tensor<T>()); }
};

extern template class RecurrentBase<float>;
extern template class RecurrentBase<double>;
extern template class RNN<float>;
extern template class RNN<double>;
extern template class LSTM<float>;
extern template class LSTM<double>;
extern template class GRU<float>;
extern template class GRU<double>;
extern template class RecurrentCellBase<float>;
extern template class RecurrentCellBase<double>;
extern template class RNNCell<float>;
extern template class RNNCell<double>;
extern template class LSTMCell<float>;
extern template class LSTMCell<double>;
extern template class GRUCell<float>;
extern template class GRUCell<double>;

}  // namespace dg::nn
