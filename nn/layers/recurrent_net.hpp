// RecurrentNet: a recurrent network built from a short text spec ("3-8-8-4:lstm:T5"), the recurrent counterpart of
// Mlp: an optional embedding, recurrent layers of one cell, a linear head read at every step or at the last. What the
// three-way check (nn/check/bptt_check.hpp, `bpcheck --spec`) and the examples build.
//
// Spec grammar (spaces around tokens are ignored):
//   spec   := input '-' size { '-' size } '-' size ':' cell { ':' option }
//   input  := size                     C numbers per step
//           | 'emb' size 'x' size      token indices in [0, V) looked up in an embedding of V rows of D numbers
//   size   := digits                   a positive integer
//   cell   := rnn | rnn-tanh           Elman, h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)
//           | rnn-relu                 Elman with ReLU
//           | lstm | gru               PyTorch's LSTM (gates i, f, g, o) and GRU (r, z, n)
//   option := 'T' size                 the sequence length of the check's batches          (default: T5)
//           | every | last             the loss at every step, or at the last one only       (default: every)
//   The sizes between the input and the last are the recurrent layers' widths H_1 … H_L (L ≥ 1); the last is the
//   head's width K (its output is linear: logits for cross-entropy). ('_' may stand for '-' in cell names; each
//   option is given at most once.)
// Examples: "3-8-4:rnn"                      one tanh layer of 8 on 3 inputs, 4 outputs at every step, T = 5
//           "emb10x4-16-16-10:lstm:T12"      a two-layer LSTM language model on 10 tokens
//           "2-6-1:rnn-relu:T20:last"        one output after 20 steps
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nn/layers/embedding.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/recurrent.hpp"
#include "nn/reference/bptt_common.hpp"

namespace dg::nn {

using reference::LossAt;

/// A parsed recurrent spec.
struct RecurrentSpec {
    std::size_t vocabulary = 0;       ///< V of an embedding input; 0 when the input is C numbers per step
    std::size_t input = 0;            ///< C, the width of x_t (with an embedding: its dimension D)
    std::vector<std::size_t> hidden;  ///< H_1 … H_L, one per recurrent layer
    std::size_t outputs = 0;          ///< K, the head's width
    RecurrentKind cell = RecurrentKind::rnn_tanh;  ///< what every layer computes
    std::size_t steps = 5;                         ///< T, the sequence length of check batches
    LossAt loss_at = LossAt::every_step;           ///< where the head reads the states

    /// The canonical text, every option spelled out: "emb10x4-16-10:lstm:T12:every".
    std::string str() const;
};

/// Parses the grammar above. A bad spec (a missing or zero size, fewer than one recurrent layer, an unknown cell or
/// option, an option given twice) is a dg::ValueError that quotes the spec and says what was expected.
RecurrentSpec parse_recurrent_spec(std::string_view spec);

/// Whether `spec` asks for a recurrent network (its second field names a cell), rather than an Mlp: how bpcheck tells
/// the two grammars apart. Says nothing about the rest of the spec's validity.
bool is_recurrent_spec(std::string_view spec);

/// "rnn-tanh", "rnn-relu", "lstm" or "gru": a cell's name in specs.
const char* cell_name(RecurrentKind cell);

/// The network of a RecurrentSpec. Children: "emb" (Embedding, with an embedding input), "rnn1" … "rnnL" (one-layer
/// RNN / LSTM / GRU modules, so each layer may have its own width) and "head" (Linear H_L → K); parameters are thus
/// "rnn1.weight_ih_l0", …, "head.weight". Weights as the layers draw them (PyTorch's inits).
template <class T>
class RecurrentNet : public Cloneable<RecurrentNet<T>, T> {
public:
    /// Builds the layers of `spec`, drawing every weight from `gen`.
    RecurrentNet(const RecurrentSpec& spec, Generator& gen);
    /// parse_recurrent_spec(spec), then as above.
    RecurrentNet(std::string_view spec, Generator& gen);
    /// The copy under clone(): the copy's own layers.
    RecurrentNet(const RecurrentNet& other);

    /// x [T, N, C] (or token indices [T, N], stored as T, with an embedding) → the head's outputs, [T·N, K] step after
    /// step (loss at every step) or [N, K] (at the last step). Initial states are zero. Any T ≥ 1 (the spec's T is for
    /// check batches).
    Tensor<T> forward(const Tensor<T>& x) override;
    /// "RecurrentNet".
    std::string type_name() const override { return "RecurrentNet"; }
    /// The spec's canonical text.
    std::string describe() const override { return "RecurrentNet " + spec_.str(); }
    /// "[T·N, K]" or "[N, K]" with K's value.
    std::string output_shape_hint() const override;

    /// The parsed spec.
    const RecurrentSpec& spec() const { return spec_; }
    /// The embedding, or null without one.
    const std::shared_ptr<Embedding<T>>& embedding() const { return emb_; }
    /// The recurrent layers, rnn1 first.
    const std::vector<std::shared_ptr<RecurrentBase<T>>>& layers() const { return layers_; }
    /// The head.
    const std::shared_ptr<Linear<T>>& head() const { return head_; }

private:
    RecurrentSpec spec_;
    std::shared_ptr<Embedding<T>> emb_;
    std::vector<std::shared_ptr<RecurrentBase<T>>> layers_;
    std::shared_ptr<Linear<T>> head_;
};

extern template class RecurrentNet<float>;
extern template class RecurrentNet<double>;

}  // namespace dg::nn
