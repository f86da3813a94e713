// Recurrent layers with PyTorch's parameters and call conventions: RNN (Elman, tanh or ReLU), LSTM and GRU over
// whole sequences (several layers, batch-first or not, initial states, sequences of different lengths in one batch),
// and the one-step cells RNNCell, LSTMCell, GRUCell for loops of one's own. All run on the recurrent ops of ops.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/init.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// How a recurrent layer is built (RNN, LSTM, GRU), with PyTorch's defaults.
struct RecurrentOptions {
    std::size_t num_layers = 1;  ///< layers stacked: layer l > 0 reads the states h_t of layer l − 1
    bool bias = true;            ///< whether each layer has bias_ih_l<k> and bias_hh_l<k>
    bool batch_first = false;    ///< input and output [N, T, ·] instead of [T, N, ·] (the states stay [L, N, H])
};

/// What a recurrent layer computes per step: the Elman recurrence with tanh or ReLU, the LSTM's or the GRU's.
enum class RecurrentKind { rnn_tanh, rnn_relu, lstm, gru };

/// The part RNN, LSTM and GRU share (PyTorch's RNNBase): the parameters of every layer k under PyTorch's names
/// weight_ih_l<k> [G·H, C_k], weight_hh_l<k> [G·H, H], bias_ih_l<k> and bias_hh_l<k> [G·H] (G = 1 Elman, 4 LSTM with
/// the gate blocks i, f, g, o, 3 GRU with r, z, n; C_0 = input_size, C_k = H above), all drawn from U(±1/√H) as
/// PyTorch draws them, so a state_dict has PyTorch's keys and layout; and the forward pass over a sequence.
///
/// Sequences of different lengths in one batch: forward takes `lengths` (one per sequence, each in [1, T]); a
/// sequence's steps past its length leave its state unchanged, so h_n (and c_n) are the states at its last step, and
/// its outputs there are 0 — what PyTorch gives for a packed sequence (pack_padded_sequence, then
/// pad_packed_sequence). Internally the batch is sorted by length and each stretch of steps runs the recurrent op on
/// the sequences still going, so padding costs nothing and gets no gradient.
///
/// Truncated backpropagation through time: run a long sequence in chunks and carry the state across with detach(),
/// so each chunk's backward stops at its first step:
///
///     auto [out, h] = (*rnn)(chunk1);            // h: [L, N, H]
///     loss(out).backward(); opt.step();
///     auto [out2, h2] = (*rnn)(chunk2, h.detach());  // starts where chunk 1 ended; its gradient stops there
///
/// (for the LSTM, carry {state.h.detach(), state.c.detach()}).
template <class T>
class RecurrentBase : public Cloneable<RecurrentBase<T>, T> {
public:
    /// The layers' parameters, drawn from `gen` in PyTorch's order (layer by layer: weight_ih, weight_hh, bias_ih,
    /// bias_hh). ValueError for a size or a layer count of 0.
    RecurrentBase(RecurrentKind kind, std::size_t input_size, std::size_t hidden_size, Generator& gen,
                  const RecurrentOptions& options);
    /// The copy under clone(): the copy's own parameters.
    RecurrentBase(const RecurrentBase& other);

    /// The output sequence alone, from zero initial states: what a call through Module<T>& (e.g. in a Sequential)
    /// gives. The derived classes' forward(x, state, lengths) returns the final states too.
    Tensor<T> forward(const Tensor<T>& x) override { return run(x, {}, {}, {}).output; }
    /// "RNN", "LSTM" or "GRU".
    std::string type_name() const override;
    /// "LSTM 8→16" (with ", 2 layers", ", no bias", ", batch_first" when so).
    std::string describe() const override;
    /// "[T, N, H]" ("[N, T, H]" batch-first) with H's value.
    std::string output_shape_hint() const override;

    /// What a layer computes per step.
    RecurrentKind kind() const { return kind_; }
    /// The input width C.
    std::size_t input_size() const { return input_; }
    /// The state width H.
    std::size_t hidden_size() const { return hidden_; }
    /// The number of stacked layers L.
    std::size_t num_layers() const { return layers_.size(); }
    /// Whether the layers have biases.
    bool has_bias() const { return options_.bias; }
    /// Whether input and output are [N, T, ·].
    bool batch_first() const { return options_.batch_first; }
    /// weight_ih_l<k> [G·H, C_k]; aliases the registered parameter.
    const Tensor<T>& weight_ih(std::size_t k) const { return layers_.at(k).w_ih; }
    /// weight_hh_l<k> [G·H, H].
    const Tensor<T>& weight_hh(std::size_t k) const { return layers_.at(k).w_hh; }
    /// bias_ih_l<k> [G·H], or an undefined tensor without bias.
    const Tensor<T>& bias_ih(std::size_t k) const { return layers_.at(k).b_ih; }
    /// bias_hh_l<k> [G·H], or an undefined tensor without bias.
    const Tensor<T>& bias_hh(std::size_t k) const { return layers_.at(k).b_hh; }

protected:
    /// The forward pass's results: output [T, N, H] (or [N, T, H]) and the final states [L, N, H].
    struct Run {
        Tensor<T> output;  ///< the last layer's h_t at every step
        Tensor<T> h_n;     ///< every layer's final h, [L, N, H]
        Tensor<T> c_n;     ///< every layer's final c (the LSTM's only)
    };
    /// Runs every layer over x (see the derived classes' forward); h0 and c0 [L, N, H] or undefined (zeros); c0 is
    /// read by the LSTM only.
    Run run(const Tensor<T>& x, const Tensor<T>& h0, const Tensor<T>& c0, const std::vector<std::size_t>& lengths);

private:
    struct Layer {
        Tensor<T> w_ih, w_hh, b_ih, b_hh;
    };
    /// The gate blocks G of a layer's weights: 1, 4 or 3.
    std::size_t gates() const;
    /// Layer k's state sequence(s) for a stretch of steps: xp [L·n, G·H] (the input projection), h0 (and c0) [n, H]
    /// → [L·n, H] (the LSTM: [2·L·n, H], every h_t then every c_t), as the recurrent op gives them.
    Tensor<T> recur(std::size_t k, const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& c0) const;
    void check_state(const char* name, const Tensor<T>& s, std::size_t batch) const;

    RecurrentKind kind_;
    std::size_t input_, hidden_;
    RecurrentOptions options_;
    std::vector<Layer> layers_;
};

/// The Elman network (PyTorch's nn.RNN): per layer, h_t = f(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), f tanh or ReLU.
template <class T>
class RNN : public Cloneable<RNN<T>, T, RecurrentBase<T>> {
public:
    /// Weights from `gen` (see RecurrentBase); `nonlinearity` is f.
    RNN(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options = {},
        RnnNonlinearity nonlinearity = RnnNonlinearity::tanh);

    /// x [T, N, C] (batch_first: [N, T, C]), h0 [L, N, H] (undefined: zeros), lengths (empty: all T) →
    /// (output [T, N, H] (batch_first: [N, T, H]), the last layer's h_t at every step; h_n [L, N, H], every layer's
    /// state at each sequence's last step). A wrong rank or width, a length of 0 or above T, or h0 of another shape
    /// is an error naming the module and the expected shape.
    std::pair<Tensor<T>, Tensor<T>> forward(const Tensor<T>& x, const Tensor<T>& h0 = {},
                                            const std::vector<std::size_t>& lengths = {});
    using Cloneable<RNN<T>, T, RecurrentBase<T>>::operator();
    /// (*rnn)(x, h0, {3, 1}): forward in the module's name scope with the lengths as a braced list.
    std::pair<Tensor<T>, Tensor<T>> operator()(const Tensor<T>& x, const Tensor<T>& h0,
                                               const std::vector<std::size_t>& lengths) {
        return Cloneable<RNN<T>, T, RecurrentBase<T>>::operator()(x, h0, lengths);
    }
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

    /// x [T, N, C] (batch_first: [N, T, C]), the initial state {h0, c0}, each [L, N, H] (both undefined: zeros),
    /// lengths (empty: all T) → (output [T, N, H] (batch_first: [N, T, H]); {h_n, c_n}, each [L, N, H]), as RNN.
    std::pair<Tensor<T>, LstmState<T>> forward(const Tensor<T>& x, const LstmState<T>& state = {},
                                               const std::vector<std::size_t>& lengths = {});
    using Cloneable<LSTM<T>, T, RecurrentBase<T>>::operator();
    /// (*lstm)(x, {h0, c0}, {3, 1}) or (*lstm)(x, {}, {3, 1}): braced states and lengths.
    std::pair<Tensor<T>, LstmState<T>> operator()(const Tensor<T>& x, const LstmState<T>& state,
                                                  const std::vector<std::size_t>& lengths = {}) {
        return Cloneable<LSTM<T>, T, RecurrentBase<T>>::operator()(x, state, lengths);
    }
};

/// The GRU (PyTorch's nn.GRU): per layer, with hp = h_{t−1}·W_hhᵀ + b_hh and xp = x_t·W_ihᵀ + b_ih, r = σ(xp_r + hp_r),
/// z = σ(xp_z + hp_z), n = tanh(xp_n + r⊙hp_n), h_t = (1 − z)⊙n + z⊙h_{t−1}.
template <class T>
class GRU : public Cloneable<GRU<T>, T, RecurrentBase<T>> {
public:
    /// Weights from `gen` (see RecurrentBase).
    GRU(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options = {});

    /// As RNN::forward.
    std::pair<Tensor<T>, Tensor<T>> forward(const Tensor<T>& x, const Tensor<T>& h0 = {},
                                            const std::vector<std::size_t>& lengths = {});
    using Cloneable<GRU<T>, T, RecurrentBase<T>>::operator();
    /// (*gru)(x, h0, {3, 1}): braced lengths.
    std::pair<Tensor<T>, Tensor<T>> operator()(const Tensor<T>& x, const Tensor<T>& h0,
                                               const std::vector<std::size_t>& lengths) {
        return Cloneable<GRU<T>, T, RecurrentBase<T>>::operator()(x, h0, lengths);
    }
};

/// The part RNNCell, LSTMCell and GRUCell share: parameters weight_ih [G·H, C], weight_hh [G·H, H], bias_ih and
/// bias_hh [G·H] (PyTorch's names, layout and init U(±1/√H)), and the checks of a step's operands.
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
    /// Checks x [N, C] and returns N; ShapeError naming the module otherwise.
    std::size_t check_input(const Tensor<T>& x) const;
    /// `s` if defined (checked to be [N, H]), else zeros [N, H].
    Tensor<T> state_or_zeros(const char* name, const Tensor<T>& s, std::size_t batch) const;

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
    /// x [N, C], h [N, H] (undefined: zeros) → h' [N, H].
    Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& h = {});
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
    /// x [N, C], the state {h, c}, each [N, H] (both undefined: zeros) → {h', c'}.
    LstmState<T> forward(const Tensor<T>& x, const LstmState<T>& state = {});
};

/// One GRU step (PyTorch's nn.GRUCell).
template <class T>
class GRUCell : public Cloneable<GRUCell<T>, T, RecurrentCellBase<T>> {
public:
    /// Weights from `gen`.
    GRUCell(std::size_t input_size, std::size_t hidden_size, Generator& gen, bool bias = true);
    /// x [N, C], h [N, H] (undefined: zeros) → h' [N, H].
    Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& h = {});
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
