// Recurrent layers: parameters under PyTorch's names, the checks that name the module, and the forward pass over a
// sequence — the batch sorted by length and cut into stretches of steps with a fixed set of running sequences, each
// stretch one recurrent op on the flat time-major layout [T·N, K]; the reverse direction is the same pass on each
// sequence read backwards from its last step.
#include "nn/layers/recurrent.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <sstream>

#include "autograd/array/errors.hpp"

namespace dg::nn {

namespace {

/// x·Wᵀ (+ b when defined).
template <class T>
Tensor<T> project(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
    return b.defined() ? linear(x, w, b) : linear(x, w);
}

/// Rows [start, start + count) of x, or x itself when that is all of it (narrow copies).
template <class T>
Tensor<T> rows(const Tensor<T>& x, std::size_t start, std::size_t count) {
    return start == 0 && count == x.shape()[0] ? x : narrow(x, 0, start, count);
}

/// Steps [t0, t0 + steps) of the first n of the N sequences of a flat sequence [T·N, K], as [steps·n, K].
template <class T>
Tensor<T> take(const Tensor<T>& flat, std::size_t t0, std::size_t steps, std::size_t n, std::size_t N) {
    const Tensor<T> part = rows(flat, t0 * N, steps * N);
    if (n == N) return part;
    const std::size_t K = flat.shape()[1];
    return reshape(narrow(reshape(part, {steps, N, K}), 1, 0, n), {steps * n, K});
}

/// take's inverse: [steps·n, K] with zero rows for the other N − n sequences, [steps·N, K].
template <class T>
Tensor<T> pad(const Tensor<T>& part, std::size_t steps, std::size_t n, std::size_t N) {
    if (n == N) return part;
    const std::size_t K = part.shape()[1];
    return reshape(concat(std::vector<Tensor<T>>{reshape(part, {steps, n, K}), Tensor<T>::zeros({steps, N - n, K})}, 1),
                   {steps * N, K});
}

/// Layer k's state [N, H] of states [L, N, H].
template <class T>
Tensor<T> layer_state(const Tensor<T>& s, std::size_t k) {
    const Shape shape = s.shape();
    const Tensor<T> part = shape[0] == 1 ? s : narrow(s, 0, k, 1);
    return reshape(part, {shape[1], shape[2]});
}

/// A stretch of steps [start, start + steps) during which the first `batch` sequences (sorted by length,
/// longest first) are running.
struct Stretch {
    std::size_t start, steps, batch;
};

/// The stretches of a batch whose lengths, sorted longest first, are `sorted` (every stretch ends where at least
/// one sequence ends); steps past the longest belong to none.
std::vector<Stretch> stretches(const std::vector<std::size_t>& sorted) {
    std::vector<Stretch> out;
    std::size_t t0 = 0;
    for (std::size_t i = sorted.size(); i-- > 0;)
        if (sorted[i] > t0) {
            out.push_back({t0, sorted[i] - t0, i + 1});
            t0 = sorted[i];
        }
    return out;
}

/// U(±1/√H), PyTorch's init of every recurrent weight and bias.
template <class T>
Tensor<T> recurrent_init(const Shape& shape, std::size_t hidden, Generator& gen) {
    const double k = 1.0 / std::sqrt(static_cast<double>(hidden));
    return init::uniform_(Tensor<T>::zeros(shape), gen, -k, k);
}

/// Sizes of a recurrent layer or cell: positive, and small enough that G·H × max(C, H) cannot overflow.
void check_sizes(const std::string& type, std::size_t gates, std::size_t input, std::size_t hidden) {
    if (input == 0 || hidden == 0)
        throw ValueError(type + ": sizes must be positive, got " + std::to_string(input) + "→" + std::to_string(hidden));
    if (hidden > static_cast<std::size_t>(PTRDIFF_MAX) / 8 / gates / std::max(input, hidden))
        throw ValueError(type + ": sizes " + std::to_string(input) + "→" + std::to_string(hidden) +
                         " are too large (a negative size converted to size_t?)");
}

/// The suffix of layer k's parameter names in one direction: "_l0", "_l0_reverse", … (PyTorch's).
std::string layer_suffix(std::size_t k, std::size_t direction) {
    return "_l" + std::to_string(k) + (direction == 1 ? "_reverse" : "");
}

/// p as a stream prints it: "0.2".
std::string probability_text(double p) {
    std::ostringstream out;
    out << p;
    return out.str();
}

}  // namespace

// ---- RecurrentBase ------------------------------------------------------------------------------------------------

template <class T>
RecurrentBase<T>::RecurrentBase(RecurrentKind kind, std::size_t input_size, std::size_t hidden_size, Generator& gen,
                                const RecurrentOptions& options)
    : kind_(kind), input_(input_size), hidden_(hidden_size), options_(options) {
    const std::size_t G = gates(), D = num_directions();
    check_sizes(type_name(), G, input_, hidden_);
    if (options.num_layers == 0) throw ValueError(type_name() + ": num_layers must be at least 1, got 0");
    if (!(options.dropout >= 0.0 && options.dropout < 1.0))  // also rejects NaN
        throw ValueError(type_name() + ": dropout must be in [0, 1), got " + probability_text(options.dropout) +
                         " (the probability of zeroing a layer's output between layers)");
    for (std::size_t k = 0; k < options.num_layers; ++k)
        for (std::size_t d = 0; d < D; ++d) {
            const std::string l = layer_suffix(k, d);
            Layer layer;
            const std::size_t in = k == 0 ? input_ : D * hidden_;
            layer.w_ih = this->register_parameter("weight_ih" + l, recurrent_init<T>({G * hidden_, in}, hidden_, gen));
            layer.w_hh =
                this->register_parameter("weight_hh" + l, recurrent_init<T>({G * hidden_, hidden_}, hidden_, gen));
            if (options.bias) {
                layer.b_ih = this->register_parameter("bias_ih" + l, recurrent_init<T>({G * hidden_}, hidden_, gen));
                layer.b_hh = this->register_parameter("bias_hh" + l, recurrent_init<T>({G * hidden_}, hidden_, gen));
            }
            layers_.push_back(layer);
        }
    // After the parameters, and only when asked for: without dropout, `gen` is drawn exactly as before it existed.
    if (options.dropout > 0.0)
        dropout_ = this->register_module("dropout", std::make_shared<Dropout<T>>(options.dropout, gen));
}

template <class T>
RecurrentBase<T>::RecurrentBase(const RecurrentBase& other)
    : Cloneable<RecurrentBase<T>, T>(other),
      kind_(other.kind_),
      input_(other.input_),
      hidden_(other.hidden_),
      options_(other.options_),
      dropout_(other.dropout_ ? this->template child<Dropout<T>>("dropout") : nullptr) {
    for (std::size_t k = 0; k < options_.num_layers; ++k)
        for (std::size_t d = 0; d < num_directions(); ++d) {
            const std::string l = layer_suffix(k, d);
            Layer layer{this->parameter("weight_ih" + l), this->parameter("weight_hh" + l), {}, {}};
            if (options_.bias) {
                layer.b_ih = this->parameter("bias_ih" + l);
                layer.b_hh = this->parameter("bias_hh" + l);
            }
            layers_.push_back(layer);
        }
}

template <class T>
const typename RecurrentBase<T>::Layer& RecurrentBase<T>::layer(std::size_t k, bool reverse) const {
    if (k >= options_.num_layers || (reverse && !options_.bidirectional))
        throw ValueError(this->where() + ": no " + (reverse ? "reverse direction of " : "") + "layer " +
                         std::to_string(k) + " (" + std::to_string(options_.num_layers) + " layers" +
                         (options_.bidirectional ? ", bidirectional)" : ", one direction)"));
    return layers_[k * num_directions() + (reverse ? 1 : 0)];
}

template <class T>
std::size_t RecurrentBase<T>::gates() const {
    return kind_ == RecurrentKind::lstm ? 4 : kind_ == RecurrentKind::gru ? 3 : 1;
}

template <class T>
std::string RecurrentBase<T>::type_name() const {
    return kind_ == RecurrentKind::lstm ? "LSTM" : kind_ == RecurrentKind::gru ? "GRU" : "RNN";
}

template <class T>
std::string RecurrentBase<T>::describe() const {
    std::string s = type_name();
    if (kind_ == RecurrentKind::rnn_tanh) s += " tanh";
    if (kind_ == RecurrentKind::rnn_relu) s += " relu";
    s += " " + std::to_string(input_) + "→" + std::to_string(hidden_);
    if (options_.num_layers > 1) s += ", " + std::to_string(options_.num_layers) + " layers";
    if (!options_.bias) s += ", no bias";
    if (options_.batch_first) s += ", batch_first";
    if (options_.dropout > 0.0) s += ", dropout " + probability_text(options_.dropout);
    if (options_.bidirectional) s += ", bidirectional";
    return s;
}

template <class T>
std::string RecurrentBase<T>::output_shape_hint() const {
    return std::string(options_.batch_first ? "[N, T, " : "[T, N, ") + std::to_string(num_directions() * hidden_) +
           "]";
}

template <class T>
void RecurrentBase<T>::check_state(const char* name, const Tensor<T>& s, std::size_t batch, bool unbatched) const {
    const std::size_t D = num_directions(), L = options_.num_layers;
    const Shape want = unbatched ? Shape{D * L, hidden_} : Shape{D * L, batch, hidden_};
    if (!s.defined() || s.shape() == want) return;
    const std::string layers = D == 1 ? "L" : "2·L", what = D == 1 ? "layers" : "layers × 2 directions";
    throw ShapeError(this->where() + ": " + name + " has shape " + shape_str(s.shape()) + ", expected " +
                     (unbatched ? "[" + layers + ", H] = " + shape_str(want) + " (" + what +
                                      ", hidden) for an unbatched input [T, C]"
                                : "[" + layers + ", N, H] = " + shape_str(want) + " (" + what + ", batch, hidden)"));
}

template <class T>
void RecurrentBase<T>::check_input(const Tensor<T>& x) const {
    const Shape s = x.shape();
    const bool bf = options_.batch_first;
    const bool ok = (s.size() == 3 && s[2] == input_ && s[0] > 0 && s[1] > 0) ||
                    (s.size() == 2 && s[1] == input_ && s[0] > 0);
    if (!ok)
        throw ShapeError(this->where() + ": input has shape " + shape_str(s) + ", expected " +
                         (bf ? "[N, T, C]" : "[T, N, C]") + " with C = " + std::to_string(input_) + " and T, N >= 1" +
                         (bf ? " (batch_first)" : "") + ", or [T, C] unbatched");
}

template <class T>
Tensor<T> RecurrentBase<T>::recur(const Layer& l, const Tensor<T>& xp, const Tensor<T>& h0, const Tensor<T>& c0) const {
    switch (kind_) {
        case RecurrentKind::rnn_tanh: return rnn_sequence(xp, h0, l.w_hh, l.b_hh, RnnNonlinearity::tanh);
        case RecurrentKind::rnn_relu: return rnn_sequence(xp, h0, l.w_hh, l.b_hh, RnnNonlinearity::relu);
        case RecurrentKind::lstm: return lstm_sequence(xp, h0, c0, l.w_hh, l.b_hh);
        case RecurrentKind::gru: break;
    }
    return gru_sequence(xp, h0, l.w_hh, l.b_hh);
}

template <class T>
typename RecurrentBase<T>::Pass RecurrentBase<T>::pass(const Layer& layer, const Tensor<T>& seq, Tensor<T> h,
                                                       Tensor<T> c, const std::vector<std::size_t>& sorted) const {
    const bool lstm = kind_ == RecurrentKind::lstm;
    const std::size_t batch = sorted.size(), steps = seq.shape()[0] / batch;
    const std::vector<Stretch> parts = stretches(sorted);
    const std::size_t ran = parts.back().start + parts.back().steps;  // steps past the longest sequence: none run
    const Tensor<T> xp = project(seq, layer.w_ih, layer.b_ih);        // every step's input projection, one GEMM
    std::vector<Tensor<T>> outputs, h_last, c_last;
    for (std::size_t j = 0; j < parts.size(); ++j) {
        const Stretch& p = parts[j];
        const std::size_t n = p.batch, next = j + 1 < parts.size() ? parts[j + 1].batch : 0, m = p.steps * n;
        const Tensor<T> y =
            recur(layer, take(xp, p.start, p.steps, n, batch), rows(h, 0, n), lstm ? rows(c, 0, n) : Tensor<T>());
        const Tensor<T> hs = lstm ? narrow(y, 0, 0, m) : y;
        outputs.push_back(pad(hs, p.steps, n, batch));
        // The states after the stretch: the sequences n' ≥ next end here (their final state), the others go on.
        h = rows(hs, m - n, n);
        h_last.push_back(rows(h, next, n - next));
        if (lstm) {
            c = narrow(y, 0, m + m - n, n);
            c_last.push_back(rows(c, next, n - next));
        }
    }
    if (ran < steps) outputs.push_back(Tensor<T>::zeros({(steps - ran) * batch, hidden_}));
    // Sorted order: the longest sequences ended in the last stretch.
    std::reverse(h_last.begin(), h_last.end());
    std::reverse(c_last.begin(), c_last.end());
    Pass r;
    r.out = outputs.size() == 1 ? outputs[0] : concat(outputs, 0);
    r.h = h_last.size() == 1 ? h_last[0] : concat(h_last, 0);
    if (lstm) r.c = c_last.size() == 1 ? c_last[0] : concat(c_last, 0);
    return r;
}

template <class T>
typename RecurrentBase<T>::Run RecurrentBase<T>::run(const Tensor<T>& x, const Tensor<T>& h0, const Tensor<T>& c0,
                                                     const std::vector<std::size_t>& lengths) {
    check_input(x);
    if (x.dim() == 3) return run_batched(x, h0, c0, lengths);
    // Unbatched (PyTorch's): x [T, C] runs as a batch of one sequence, its states [D·L, H] as [D·L, 1, H].
    check_state("h0", h0, 1, true);
    check_state("c0", c0, 1, true);
    if (lengths.size() > 1)
        throw ValueError(this->where() + ": " + std::to_string(lengths.size()) +
                         " lengths for an unbatched input [T, C] (expected one, or none)");
    const int axis = options_.batch_first ? 0 : 1;
    const auto batched = [](const Tensor<T>& s) { return s.defined() ? unsqueeze(s, 1) : s; };
    Run r = run_batched(unsqueeze(x, axis), batched(h0), batched(c0), lengths);
    r.output = squeeze(r.output, axis);
    r.h_n = squeeze(r.h_n, 1);
    if (r.c_n.defined()) r.c_n = squeeze(r.c_n, 1);
    return r;
}

template <class T>
typename RecurrentBase<T>::Run RecurrentBase<T>::run_batched(const Tensor<T>& x, const Tensor<T>& h0,
                                                             const Tensor<T>& c0,
                                                             const std::vector<std::size_t>& lengths) {
    // Shapes first (the input's in run): the lengths, the initial states.
    const Shape s = x.shape();
    const bool bf = options_.batch_first;
    const std::size_t steps = bf ? s[1] : s[0], batch = bf ? s[0] : s[1], H = hidden_, L = options_.num_layers,
                      D = num_directions();
    if (!lengths.empty() && lengths.size() != batch)
        throw ValueError(this->where() + ": " + std::to_string(lengths.size()) + " lengths for a batch of " +
                         std::to_string(batch) + " sequences (expected one per sequence)");
    for (std::size_t i = 0; i < lengths.size(); ++i)
        if (lengths[i] == 0 || lengths[i] > steps)
            throw ValueError(this->where() + ": length " + std::to_string(lengths[i]) + " of sequence " +
                             std::to_string(i) + " is outside [1, " + std::to_string(steps) + "] (T = " +
                             std::to_string(steps) + " steps)");
    check_state("h0", h0, batch, false);
    check_state("c0", c0, batch, false);
    const bool lstm = kind_ == RecurrentKind::lstm;

    // The batch sorted by length, longest first (stable): the running sequences are then always the first ones.
    std::vector<std::size_t> order(batch);
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::vector<std::size_t> sorted(batch, steps);
    if (!lengths.empty()) {
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return lengths[a] > lengths[b]; });
        for (std::size_t i = 0; i < batch; ++i) sorted[i] = lengths[order[i]];
    }
    bool permuted = false;
    for (std::size_t i = 0; i < batch; ++i) permuted = permuted || order[i] != i;
    std::vector<std::size_t> inverse(batch);
    for (std::size_t i = 0; i < batch; ++i) inverse[order[i]] = i;
    const auto sort = [&](const Tensor<T>& t) { return permuted && t.defined() ? index_select(t, 1, order) : t; };

    // The reverse direction reads each sequence backwards from its own last step: row t·N + i of the flat sorted
    // sequence is row (len_i − 1 − t)·N + i for t < len_i; rows past the end stay (they never run, and their outputs
    // are 0). The map is its own inverse, so it also turns the reverse direction's outputs back into time order.
    std::vector<std::size_t> reversal;
    if (D == 2) {
        reversal.resize(steps * batch);
        for (std::size_t t = 0; t < steps; ++t)
            for (std::size_t i = 0; i < batch; ++i)
                reversal[t * batch + i] = (t < sorted[i] ? sorted[i] - 1 - t : t) * batch + i;
    }

    Tensor<T> seq = sort(bf ? permute(x, {1, 0, 2}) : x);   // [T, N, C] in sorted order
    seq = reshape(seq, {steps * batch, s[2]});               // flat: step t in rows t·N … t·N + N − 1
    const Tensor<T> h0s = sort(h0), c0s = sort(c0);
    std::vector<Tensor<T>> h_n(L * D), c_n(L * D);           // layer k's direction d at k·D + d, as PyTorch's
    for (std::size_t k = 0; k < L; ++k) {
        std::vector<Tensor<T>> outputs;
        for (std::size_t d = 0; d < D; ++d) {
            const std::size_t i = k * D + d;
            const Tensor<T> h = h0s.defined() ? layer_state(h0s, i) : Tensor<T>::zeros({batch, H});
            const Tensor<T> c =
                lstm ? (c0s.defined() ? layer_state(c0s, i) : Tensor<T>::zeros({batch, H})) : Tensor<T>();
            const bool reverse = d == 1;
            Pass p = pass(layers_[i], reverse ? index_select(seq, 0, reversal) : seq, h, c, sorted);
            outputs.push_back(reverse ? index_select(p.out, 0, reversal) : p.out);
            h_n[i] = p.h;
            c_n[i] = p.c;
        }
        seq = D == 1 ? outputs[0] : concat(outputs, 1);        // [T·N, D·H]: the directions side by side
        if (dropout_ && k + 1 < L) seq = (*dropout_)(seq);     // the identity in eval()
    }

    const auto unsort = [&](const Tensor<T>& t) { return permuted ? index_select(t, 1, inverse) : t; };
    const auto stacked = [&](const std::vector<Tensor<T>>& states) {
        return unsort(states.size() == 1 ? reshape(states[0], {1, batch, H}) : stack(states, 0));
    };
    Run r;
    r.output = unsort(reshape(seq, {steps, batch, D * H}));
    if (bf) r.output = permute(r.output, {1, 0, 2});
    r.h_n = stacked(h_n);
    if (lstm) r.c_n = stacked(c_n);
    return r;
}

// ---- RNN, LSTM, GRU -----------------------------------------------------------------------------------------------

template <class T>
RNN<T>::RNN(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options,
            RnnNonlinearity nonlinearity)
    : Cloneable<RNN<T>, T, RecurrentBase<T>>(nonlinearity == RnnNonlinearity::relu ? RecurrentKind::rnn_relu
                                                                                    : RecurrentKind::rnn_tanh,
                                             input_size, hidden_size, gen, options) {}

template <class T>
std::pair<Tensor<T>, Tensor<T>> RNN<T>::forward(const Tensor<T>& x, const Tensor<T>& h0,
                                                const std::vector<std::size_t>& lengths) {
    auto r = this->run(x, h0, Tensor<T>(), lengths);
    return {r.output, r.h_n};
}

template <class T>
LSTM<T>::LSTM(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options)
    : Cloneable<LSTM<T>, T, RecurrentBase<T>>(RecurrentKind::lstm, input_size, hidden_size, gen, options) {}

template <class T>
std::pair<Tensor<T>, LstmState<T>> LSTM<T>::forward(const Tensor<T>& x, const LstmState<T>& state,
                                                    const std::vector<std::size_t>& lengths) {
    if (state.h.defined() != state.c.defined())
        throw ValueError(this->where() + ": the initial state has " +
                         (state.h.defined() ? "h0 but no c0" : "c0 but no h0") +
                         " (give both, each [D·L, N, H] (unbatched: [D·L, H]; D = 2 when bidirectional), or neither"
                         " for zeros)");
    auto r = this->run(x, state.h, state.c, lengths);
    return {r.output, LstmState<T>{r.h_n, r.c_n}};
}

template <class T>
GRU<T>::GRU(std::size_t input_size, std::size_t hidden_size, Generator& gen, const RecurrentOptions& options)
    : Cloneable<GRU<T>, T, RecurrentBase<T>>(RecurrentKind::gru, input_size, hidden_size, gen, options) {}

template <class T>
std::pair<Tensor<T>, Tensor<T>> GRU<T>::forward(const Tensor<T>& x, const Tensor<T>& h0,
                                                const std::vector<std::size_t>& lengths) {
    auto r = this->run(x, h0, Tensor<T>(), lengths);
    return {r.output, r.h_n};
}

// ---- the cells ----------------------------------------------------------------------------------------------------

template <class T>
RecurrentCellBase<T>::RecurrentCellBase(const char* type, std::size_t gates, std::size_t input_size,
                                        std::size_t hidden_size, Generator& gen, bool bias)
    : type_(type), input_(input_size), hidden_(hidden_size) {
    check_sizes(type_, gates, input_, hidden_);
    w_ih_ = this->register_parameter("weight_ih", recurrent_init<T>({gates * hidden_, input_}, hidden_, gen));
    w_hh_ = this->register_parameter("weight_hh", recurrent_init<T>({gates * hidden_, hidden_}, hidden_, gen));
    if (bias) {
        b_ih_ = this->register_parameter("bias_ih", recurrent_init<T>({gates * hidden_}, hidden_, gen));
        b_hh_ = this->register_parameter("bias_hh", recurrent_init<T>({gates * hidden_}, hidden_, gen));
    }
}

template <class T>
RecurrentCellBase<T>::RecurrentCellBase(const RecurrentCellBase& other)
    : Cloneable<RecurrentCellBase<T>, T>(other),
      type_(other.type_),
      input_(other.input_),
      hidden_(other.hidden_),
      w_ih_(this->parameter("weight_ih")),
      w_hh_(this->parameter("weight_hh")),
      b_ih_(other.b_ih_.defined() ? this->parameter("bias_ih") : Tensor<T>()),
      b_hh_(other.b_hh_.defined() ? this->parameter("bias_hh") : Tensor<T>()) {}

template <class T>
std::string RecurrentCellBase<T>::describe() const {
    return type_ + " " + std::to_string(input_) + "→" + std::to_string(hidden_) + (b_ih_.defined() ? "" : ", no bias");
}

template <class T>
std::string RecurrentCellBase<T>::output_shape_hint() const {
    return "[N, " + std::to_string(hidden_) + "]";
}

template <class T>
Tensor<T> RecurrentCellBase<T>::batch_input(const Tensor<T>& x) const {
    const Shape s = x.shape();
    if (s.size() == 2 && s[1] == input_ && s[0] > 0) return x;
    if (s.size() == 1 && s[0] == input_) return reshape(x, {1, input_});
    throw ShapeError(this->where() + ": input has shape " + shape_str(s) + ", expected [N, C] with C = " +
                     std::to_string(input_) + " and N >= 1, or [C] unbatched");
}

template <class T>
Tensor<T> RecurrentCellBase<T>::batch_state(const char* name, const Tensor<T>& s, const Tensor<T>& x) const {
    const bool unbatched = x.dim() == 1;
    const std::size_t batch = unbatched ? 1 : x.shape()[0];
    if (!s.defined()) return Tensor<T>::zeros({batch, hidden_});
    const Shape want = unbatched ? Shape{hidden_} : Shape{batch, hidden_};
    if (s.shape() != want)
        throw ShapeError(this->where() + ": " + name + " has shape " + shape_str(s.shape()) + ", expected " +
                         (unbatched ? "[H] = " + shape_str(want) + " for an unbatched input [C]"
                                    : "[N, H] = " + shape_str(want)));
    return unbatched ? reshape(s, {1, hidden_}) : s;
}

template <class T>
Tensor<T> RecurrentCellBase<T>::unbatch(const Tensor<T>& y, const Tensor<T>& x) const {
    return x.dim() == 1 ? reshape(y, {hidden_}) : y;
}

template <class T>
RNNCell<T>::RNNCell(std::size_t input_size, std::size_t hidden_size, Generator& gen, bool bias,
                    RnnNonlinearity nonlinearity)
    : Cloneable<RNNCell<T>, T, RecurrentCellBase<T>>("RNNCell", 1, input_size, hidden_size, gen, bias),
      f_(nonlinearity) {}

template <class T>
Tensor<T> RNNCell<T>::forward(const Tensor<T>& x, const Tensor<T>& h) {
    const Tensor<T> xb = this->batch_input(x);
    return this->unbatch(rnn_cell(xb, this->batch_state("h", h, x), this->weight_ih(), this->weight_hh(),
                                  this->bias_ih(), this->bias_hh(), f_),
                         x);
}

template <class T>
LSTMCell<T>::LSTMCell(std::size_t input_size, std::size_t hidden_size, Generator& gen, bool bias)
    : Cloneable<LSTMCell<T>, T, RecurrentCellBase<T>>("LSTMCell", 4, input_size, hidden_size, gen, bias) {}

template <class T>
LstmState<T> LSTMCell<T>::forward(const Tensor<T>& x, const LstmState<T>& state) {
    const Tensor<T> xb = this->batch_input(x);
    if (state.h.defined() != state.c.defined())
        throw ValueError(this->where() + ": the state has " + (state.h.defined() ? "h but no c" : "c but no h") +
                         " (give both, each [N, H] (unbatched: [H]), or neither for zeros)");
    const LstmState<T> s = lstm_cell(xb, this->batch_state("h", state.h, x), this->batch_state("c", state.c, x),
                                     this->weight_ih(), this->weight_hh(), this->bias_ih(), this->bias_hh());
    return {this->unbatch(s.h, x), this->unbatch(s.c, x)};
}

template <class T>
GRUCell<T>::GRUCell(std::size_t input_size, std::size_t hidden_size, Generator& gen, bool bias)
    : Cloneable<GRUCell<T>, T, RecurrentCellBase<T>>("GRUCell", 3, input_size, hidden_size, gen, bias) {}

template <class T>
Tensor<T> GRUCell<T>::forward(const Tensor<T>& x, const Tensor<T>& h) {
    const Tensor<T> xb = this->batch_input(x);
    return this->unbatch(
        gru_cell(xb, this->batch_state("h", h, x), this->weight_ih(), this->weight_hh(), this->bias_ih(),
                 this->bias_hh()),
        x);
}

template class RecurrentBase<float>;
template class RecurrentBase<double>;
template class RNN<float>;
template class RNN<double>;
template class LSTM<float>;
template class LSTM<double>;
template class GRU<float>;
template class GRU<double>;
template class RecurrentCellBase<float>;
template class RecurrentCellBase<double>;
template class RNNCell<float>;
template class RNNCell<double>;
template class LSTMCell<float>;
template class LSTMCell<double>;
template class GRUCell<float>;
template class GRUCell<double>;

}  // namespace dg::nn
