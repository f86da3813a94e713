// Recurrent layers (nn/layers/recurrent.*): RNN, LSTM, GRU and their cells against PyTorch's numbers and state_dict
// keys, sequences of different lengths against each sequence run alone, gradchecks in double, checkpoints, clone,
// and errors that name the module and the expected shape.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <type_traits>
#include <unistd.h>
#include <string>
#include <vector>

#include "autograd/inspect/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "nn/checkpoint.hpp"
#include "nn/layers/recurrent.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn {
namespace {

using test::all_close;
using Values = std::vector<double>;

// ---- against PyTorch ----------------------------------------------------------------------------------------------
// The numbers below are PyTorch 1.13's (tests/nn/recurrent_pytorch.py prints them): T = 3 steps, N = 2 sequences,
// C = 3, H = 2, two layers, every parameter, input and state filled by a formula of its flat index.

constexpr std::size_t T_ = 3, N = 2, C = 3, H = 2, L = 2;

/// Parameter p (in state_dict order) gets 0.4·sin(0.7·i + 1.3·p + 0.5) at flat index i.
void fill_parameters(Module<double>& m) {
    NoGradGuard no_grad;
    std::size_t p = 0;
    for (auto& [name, t] : m.state_dict()) {
        Tensor<double> h = t;
        for (std::size_t i = 0; i < h.numel(); ++i) h.mutable_value().data()[i] = 0.4 * std::sin(0.7 * i + 1.3 * p + 0.5);
        ++p;
    }
}

template <class F>
Tensor<double> by_formula(const Shape& shape, F f) {
    Tensor<double> t = Tensor<double>::zeros(shape);
    for (std::size_t i = 0; i < t.numel(); ++i) t.mutable_value().data()[i] = f(static_cast<double>(i));
    return t;
}
Tensor<double> torch_x() { return by_formula({T_, N, C}, [](double i) { return std::sin(0.9 * i + 0.1); }); }
Tensor<double> torch_h0() { return by_formula({L, N, H}, [](double i) { return 0.3 * std::cos(0.5 * i); }); }
Tensor<double> torch_c0() { return by_formula({L, N, H}, [](double i) { return 0.2 * std::sin(0.8 * i + 0.3); }); }

/// What PyTorch printed for one network: the full batch, then packed with lengths {1, 3}.
struct TorchCase {
    Values out, h_n, c_n, packed_out, packed_h_n, packed_c_n;
};

const std::vector<std::string> torch_keys = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                             "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"};

std::vector<std::string> names_of(const Module<double>& m) {
    std::vector<std::string> names;
    for (const auto& [name, t] : m.state_dict()) names.push_back(name);
    return names;
}

void expect_matches_torch(const Tensor<double>& out, const Tensor<double>& h_n, const Values& want_out,
                          const Values& want_h) {
    EXPECT_TRUE(all_close(out, {T_, N, H}, want_out, 1e-11, 1e-9));
    EXPECT_TRUE(all_close(h_n, {L, N, H}, want_h, 1e-11, 1e-9));
}

TEST(RecurrentPyTorch, ElmanTanhAndReluGivePyTorchsOutputsAndStates) {
    const TorchCase tanh_case{
        {0.0245693005302, -0.367630483484, 0.234360014089, -0.508783126803, 0.149218309024, -0.454834936418,
         0.252333724938, -0.344528118137, 0.282419800563, -0.530411036758, 0.193756785673, -0.280057869119},
        {-0.752096507935, -0.556164796652, 0.0122363921425, -0.479118468092, 0.282419800563, -0.530411036758,
         0.193756785673, -0.280057869119},
        {},
        {0.0245693005302, -0.367630483484, 0.234360014089, -0.508783126803, 0, 0, 0.252333724938, -0.344528118137, 0,
         0, 0.193756785673, -0.280057869119},
        {0.467550032296, -0.767196346939, 0.0122363921425, -0.479118468092, 0.0245693005302, -0.367630483484,
         0.193756785673, -0.280057869119},
        {}};
    const TorchCase relu_case{
        {0.0516662261323, 0, 0.102043394548, 0, 0.290724327602, 0, 0.317954478096, 0, 0.367538815876, 0,
         0.316535103007, 0.043451227392},
        {0, 0, 0.26403294599, 0, 0.367538815876, 0, 0.316535103007, 0.043451227392},
        {},
        {0.0516662261323, 0, 0.102043394548, 0, 0, 0, 0.317954478096, 0, 0, 0, 0.316535103007, 0.043451227392},
        {0.506930354437, 0, 0.26403294599, 0, 0.0516662261323, 0, 0.316535103007, 0.043451227392},
        {}};
    for (const auto f : {RnnNonlinearity::tanh, RnnNonlinearity::relu}) {
        const TorchCase& want = f == RnnNonlinearity::tanh ? tanh_case : relu_case;
        SCOPED_TRACE(f == RnnNonlinearity::tanh ? "tanh" : "relu");
        Generator gen(0);
        RNN<double> rnn(C, H, gen, RecurrentOptions{L}, f);
        EXPECT_EQ(names_of(rnn), torch_keys);
        fill_parameters(rnn);
        auto [out, h_n] = rnn(torch_x(), torch_h0());
        expect_matches_torch(out, h_n, want.out, want.h_n);
        auto [p_out, p_h_n] = rnn(torch_x(), torch_h0(), {1, 3});
        expect_matches_torch(p_out, p_h_n, want.packed_out, want.packed_h_n);
    }
}

TEST(RecurrentPyTorch, LstmGivesPyTorchsOutputsAndStates) {
    Generator gen(0);
    LSTM<double> lstm(C, H, gen, RecurrentOptions{L});
    EXPECT_EQ(names_of(lstm), torch_keys);
    EXPECT_EQ(lstm.weight_ih(0).shape(), (Shape{8, 3}));  // the gate blocks i, f, g, o in the rows
    EXPECT_EQ(lstm.weight_hh(1).shape(), (Shape{8, 2}));
    fill_parameters(lstm);
    auto [out, state] = lstm(torch_x(), LstmState<double>{torch_h0(), torch_c0()});
    expect_matches_torch(out, state.h,
                         {-0.176800386565, -0.098799179758, -0.217436166628, -0.088060906919, -0.210564503722,
                          -0.0782577132952, -0.251622712009, -0.0753536790054, -0.231360835858, -0.0678721084281,
                          -0.255745248092, -0.0812438163213},
                         {-0.0200994797921, 0.177470557385, 0.176461191795, 0.044658536547, -0.231360835858,
                          -0.0678721084281, -0.255745248092, -0.0812438163213});
    EXPECT_TRUE(all_close(state.c, {L, N, H},
                          {-0.0367982675623, 0.324125968344, 0.235301972431, 0.0756559817727, -0.410318408941,
                           -0.10258512832, -0.452995967003, -0.120758501097},
                          1e-11, 1e-9));
    auto [p_out, p_state] = lstm(torch_x(), LstmState<double>{torch_h0(), torch_c0()}, {1, 3});
    expect_matches_torch(p_out, p_state.h,
                         {-0.176800386565, -0.098799179758, -0.217436166628, -0.088060906919, 0, 0, -0.251622712009,
                          -0.0753536790054, 0, 0, -0.255745248092, -0.0812438163213},
                         {0.033685042903, 0.0822074873724, 0.176461191795, 0.044658536547, -0.176800386565,
                          -0.098799179758, -0.255745248092, -0.0812438163213});
    EXPECT_TRUE(all_close(p_state.c, {L, N, H},
                          {0.0445205102746, 0.167660599318, 0.235301972431, 0.0756559817727, -0.302838348368,
                           -0.1471728503, -0.452995967003, -0.120758501097},
                          1e-11, 1e-9));
}

TEST(RecurrentPyTorch, GruGivesPyTorchsOutputsAndStates) {
    Generator gen(0);
    GRU<double> gru(C, H, gen, RecurrentOptions{L});
    EXPECT_EQ(names_of(gru), torch_keys);
    EXPECT_EQ(gru.weight_ih(0).shape(), (Shape{6, 3}));  // r, z, n
    fill_parameters(gru);
    auto [out, h_n] = gru(torch_x(), torch_h0());
    expect_matches_torch(out, h_n,
                         {-0.31750535329, -0.220394040499, -0.448137432583, -0.217569450054, -0.371184279784,
                          -0.214002465805, -0.506561193999, -0.240876789371, -0.421117537742, -0.166540222775,
                          -0.489924981467, -0.287557288414},
                         {-0.239273004723, 0.528173335341, 0.197887288662, -0.106250643456, -0.421117537742,
                          -0.166540222775, -0.489924981467, -0.287557288414});
    auto [p_out, p_h_n] = gru(torch_x(), torch_h0(), {1, 3});
    expect_matches_torch(p_out, p_h_n,
                         {-0.31750535329, -0.220394040499, -0.448137432583, -0.217569450054, 0, 0, -0.506561193999,
                          -0.240876789371, 0, 0, -0.489924981467, -0.287557288414},
                         {-0.0408807579864, 0.116048964415, 0.197887288662, -0.106250643456, -0.31750535329,
                          -0.220394040499, -0.489924981467, -0.287557288414});
}

TEST(RecurrentPyTorch, CellsGivePyTorchsStepAndKeys) {
    const std::vector<std::string> keys = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    const Tensor<double> x = narrow(reshape(torch_x(), {T_ * N, C}), 0, 0, N);  // step 0
    const Tensor<double> h = narrow(reshape(torch_h0(), {L * N, H}), 0, 0, N), c = narrow(reshape(torch_c0(), {L * N, H}), 0, 0, N);
    Generator gen(0);
    RNNCell<double> rnn(C, H, gen);
    LSTMCell<double> lstm(C, H, gen);
    GRUCell<double> gru(C, H, gen);
    for (Module<double>* m : std::initializer_list<Module<double>*>{&rnn, &lstm, &gru}) {
        EXPECT_EQ(names_of(*m), keys);
        fill_parameters(*m);
    }
    EXPECT_TRUE(all_close(rnn(x, h), {N, H}, {0.467550032296, -0.767196346939, -0.666939491378, -0.217827495239},
                          1e-11, 1e-9));
    const LstmState<double> s = lstm(x, LstmState<double>{h, c});
    EXPECT_TRUE(all_close(s.h, {N, H}, {0.033685042903, 0.0822074873724, 0.124551613728, 0.190163752992}, 1e-11, 1e-9));
    EXPECT_TRUE(all_close(s.c, {N, H}, {0.0445205102746, 0.167660599318, 0.244680100681, 0.28246888035}, 1e-11, 1e-9));
    EXPECT_TRUE(all_close(gru(x, h), {N, H}, {-0.0408807579864, 0.116048964415, 0.288182704248, 0.275046294582},
                          1e-11, 1e-9));
}

TEST(RecurrentPyTorch, ParametersLoadByPyTorchsKeysFromACheckpoint) {
    // A file holding PyTorch's keys (as save_checkpoint writes them) loads into a model built with another seed.
    Generator gen(1), other_gen(2);
    LSTM<double> saved(C, H, gen, RecurrentOptions{L}), loaded(C, H, other_gen, RecurrentOptions{L});
    fill_parameters(saved);
    const std::string file =
        (std::filesystem::temp_directory_path() / ("dg_recurrent_" + std::to_string(::getpid()) + ".safetensors"))
            .string();
    save_checkpoint(file, saved, nullptr);
    load_checkpoint(file, loaded, nullptr);
    std::filesystem::remove(file);
    for (const auto& [name, t] : saved.state_dict()) EXPECT_TRUE(all_close(loaded.parameter(name), t, 0, 0)) << name;
    auto [a, sa] = saved(torch_x());
    auto [b, sb] = loaded(torch_x());
    EXPECT_TRUE(all_close(a, b, 0, 0));
    EXPECT_TRUE(all_close(sa.c, sb.c, 0, 0));
}

// ---- init, summary, clone -----------------------------------------------------------------------------------------

TEST(Recurrent, InitIsUniformOverPlusMinusOneOverSqrtHidden) {
    Generator gen(3);
    GRU<double> gru(5, 16, gen, RecurrentOptions{2});
    double lo = 1, hi = -1;
    for (const auto& [name, p] : gru.named_parameters())
        for (double v : p.value()) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    // Layer 0: 48·5 + 48·16 + 2·48 values, layer 1: 2·48·16 + 2·48; of 2 736 draws the extremes come within 1 % of
    // ±1/4 (the chance that they do not is below 1e-5).
    EXPECT_EQ(gru.num_parameters(), 1104u + 1632u);
    EXPECT_GE(lo, -0.25);
    EXPECT_LE(hi, 0.25);
    EXPECT_LT(lo, -0.2475);
    EXPECT_GT(hi, 0.2475);
}

TEST(Recurrent, DescribesItselfAndItsOutput) {
    Generator gen(4);
    RecurrentOptions o;
    o.num_layers = 2;
    o.bias = false;
    o.batch_first = true;
    LSTM<double> lstm(3, 4, gen, o);
    EXPECT_EQ(lstm.describe(), "LSTM 3→4, 2 layers, no bias, batch_first");
    EXPECT_EQ(lstm.output_shape_hint(), "[N, T, 4]");
    EXPECT_EQ(names_of(lstm), (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"}));
    RNN<double> rnn(3, 4, gen, {}, RnnNonlinearity::relu);
    EXPECT_EQ(rnn.describe(), "RNN relu 3→4");
    EXPECT_EQ(rnn.nonlinearity(), RnnNonlinearity::relu);
    EXPECT_EQ(GRUCell<double>(3, 4, gen, false).describe(), "GRUCell 3→4, no bias");
    auto [out, h_n] = rnn(test::randn({5, 2, 3}, 1, false));
    EXPECT_EQ(*rnn.last_output_shape(), (Shape{5, 2, 4}));
}

TEST(Recurrent, CloneIsAnIndependentCopyOfTheSameClass) {
    Generator gen(5);
    auto lstm = std::make_shared<LSTM<double>>(3, 4, gen, RecurrentOptions{2});
    std::shared_ptr<LSTM<double>> copy = lstm->clone();
    const Tensor<double> x = test::randn({4, 2, 3}, 2, false);
    EXPECT_TRUE(all_close((*copy)(x).first, (*lstm)(x).first, 0, 0));
    {
        NoGradGuard no_grad;
        Tensor<double> w = copy->weight_hh(1);
        w.mutable_value().fill(0.0);
    }
    EXPECT_FALSE(all_close((*copy)(x).first, (*lstm)(x).first));
    auto cell = std::make_shared<RNNCell<double>>(3, 4, gen, true, RnnNonlinearity::relu);
    EXPECT_EQ(cell->clone()->nonlinearity(), RnnNonlinearity::relu);
    const Tensor<double> x0 = reshape(narrow(x, 0, 0, 1), {2, 3});
    EXPECT_TRUE(all_close((*cell->clone())(x0), (*cell)(x0), 0, 0));
}

// ---- sequences of different lengths ------------------------------------------------------------------------------

/// Everything a recurrent module's forward returns: output, h_n and (the LSTM's) c_n.
struct Outs {
    Tensor<double> out, h_n, c_n;
};

template <class M>
Outs run(M& m, const Tensor<double>& x, const Tensor<double>& h0, const Tensor<double>& c0,
         const std::vector<std::size_t>& lengths = {}) {
    if constexpr (std::is_same_v<M, LSTM<double>>) {
        auto [out, s] = m(x, LstmState<double>{h0, c0}, lengths);
        return {out, s.h, s.c};
    } else {
        auto [out, h_n] = m(x, h0, lengths);
        return {out, h_n, {}};
    }
}

/// Σ out⊙R + Σ h_n⊙Rh (+ Σ c_n⊙Rc): a scalar that reads every output with its own weight.
Tensor<double> weighted(const Outs& o, const Outs& r) {
    Tensor<double> l = add(sum(mul(o.out, r.out)), sum(mul(o.h_n, r.h_n)));
    return o.c_n.defined() ? add(l, sum(mul(o.c_n, r.c_n))) : l;
}

/// A batch of sequences of lengths {3, 5, 1, 3} (unsorted, with a tie) run at once must give, sequence by sequence,
/// what the sequence gives run alone: its outputs up to its length, zeros after, its final states, and, for a loss
/// reading all of them, the same gradients for every parameter, the input and the initial states (summed over the
/// sequences; 0 for the padding of the input).
template <class M>
void expect_lengths_as_each_alone(M& m) {
    constexpr bool lstm = std::is_same_v<M, LSTM<double>>;
    const std::vector<std::size_t> lengths = {3, 5, 1, 3};
    const std::size_t steps = 5, batch = lengths.size(), Ls = m.num_layers(), Hs = m.hidden_size();
    const bool bf = m.batch_first();
    const int b_axis = bf ? 0 : 1, t_axis = bf ? 1 : 0;
    const Shape xs = bf ? Shape{batch, steps, m.input_size()} : Shape{steps, batch, m.input_size()};
    const Tensor<double> x = test::randn(xs, 11), h0 = test::randn({Ls, batch, Hs}, 12);
    const Tensor<double> c0 = lstm ? test::randn({Ls, batch, Hs}, 13) : Tensor<double>();
    const Shape os = bf ? Shape{batch, steps, Hs} : Shape{steps, batch, Hs};
    const Outs r{test::randn(os, 14, false), test::randn({Ls, batch, Hs}, 15, false),
                 lstm ? test::randn({Ls, batch, Hs}, 16, false) : Tensor<double>()};

    const Outs all = run(m, x, h0, c0, lengths);
    weighted(all, r).backward();
    std::vector<Tensor<double>> leaves = m.parameters();
    leaves.push_back(x);
    leaves.push_back(h0);
    if (lstm) leaves.push_back(c0);
    std::vector<Array<double>> batched;
    for (Tensor<double>& t : leaves) {
        batched.push_back(t.grad().value());
        t.zero_grad();
    }

    const auto seq = [&](const Tensor<double>& t, std::size_t i, std::size_t len) {  // sequence i, steps [0, len)
        return narrow(narrow(t, b_axis, i, 1), t_axis, 0, len);
    };
    for (std::size_t i = 0; i < batch; ++i) {
        SCOPED_TRACE("sequence " + std::to_string(i) + " of length " + std::to_string(lengths[i]));
        const std::size_t len = lengths[i];
        const auto state = [&](const Tensor<double>& t) { return t.defined() ? narrow(t, 1, i, 1) : t; };
        const Outs alone = run(m, seq(x, i, len), state(h0), state(c0));
        EXPECT_TRUE(all_close(seq(all.out, i, len), alone.out, 1e-14, 1e-12));
        if (len < steps)
            EXPECT_TRUE(all_close(narrow(narrow(all.out, b_axis, i, 1), t_axis, len, steps - len),
                                  Tensor<double>::zeros(bf ? Shape{1, steps - len, Hs} : Shape{steps - len, 1, Hs}), 0, 0));
        EXPECT_TRUE(all_close(state(all.h_n), alone.h_n, 1e-14, 1e-12));
        if (lstm) EXPECT_TRUE(all_close(state(all.c_n), alone.c_n, 1e-14, 1e-12));
        weighted(alone, Outs{seq(r.out, i, len), state(r.h_n), state(r.c_n)}).backward();  // accumulates
    }
    const auto names = m.named_parameters();
    for (std::size_t k = 0; k < leaves.size(); ++k)
        EXPECT_TRUE(all_close(leaves[k].grad().value(), batched[k], 1e-13, 1e-11))
            << (k < names.size() ? names[k].first : k == names.size() ? "x" : k == names.size() + 1 ? "h0" : "c0");
}

TEST(RecurrentLengths, ElmanTanhEqualsEachSequenceAlone) {
    Generator gen(21);
    RNN<double> rnn(3, 4, gen, RecurrentOptions{2});
    expect_lengths_as_each_alone(rnn);
}

TEST(RecurrentLengths, ElmanReluBatchFirstEqualsEachSequenceAlone) {
    Generator gen(22);
    RecurrentOptions o{2};
    o.batch_first = true;
    RNN<double> rnn(3, 4, gen, o, RnnNonlinearity::relu);
    expect_lengths_as_each_alone(rnn);
}

TEST(RecurrentLengths, LstmEqualsEachSequenceAlone) {
    Generator gen(23);
    LSTM<double> lstm(3, 4, gen, RecurrentOptions{2});
    expect_lengths_as_each_alone(lstm);
}

TEST(RecurrentLengths, GruWithoutBiasBatchFirstEqualsEachSequenceAlone) {
    Generator gen(24);
    RecurrentOptions o{3};
    o.bias = false;
    o.batch_first = true;
    GRU<double> gru(3, 4, gen, o);
    expect_lengths_as_each_alone(gru);
}

TEST(RecurrentLengths, AllFullLengthIsTheSameAsNoLengths) {
    Generator gen(25);
    LSTM<double> lstm(3, 4, gen);
    const Tensor<double> x = test::randn({4, 3, 3}, 1, false);
    EXPECT_TRUE(all_close(lstm(x, {}, {4, 4, 4}).first, lstm(x).first, 0, 0));
}

// ---- gradients --------------------------------------------------------------------------------------------------

/// Every parameter, the input and the initial states, gradchecked in double through the whole forward (lengths
/// unsorted, so the sorting, the stretches and the padding are inside the check).
template <class M>
void expect_module_gradcheck(M& m, const std::vector<std::size_t>& lengths, bool second_order = false) {
    constexpr bool lstm = std::is_same_v<M, LSTM<double>>;
    const std::size_t steps = 3, batch = 3, Ls = m.num_layers(), Hs = m.hidden_size();
    const Shape xs = m.batch_first() ? Shape{batch, steps, m.input_size()} : Shape{steps, batch, m.input_size()};
    NamedTensors inputs = m.named_parameters();
    inputs.emplace_back("x", test::randn(xs, 31));
    inputs.emplace_back("h0", test::uniform({Ls, batch, Hs}, 32, -0.5, 0.5));
    if (lstm) inputs.emplace_back("c0", test::uniform({Ls, batch, Hs}, 33, -0.5, 0.5));
    const std::size_t n = m.named_parameters().size();
    const auto f = [&](const std::vector<Tensor<double>>& in) {
        const Outs o = run(m, in[n], in[n + 1], lstm ? in[n + 2] : Tensor<double>(), lengths);
        std::vector<Tensor<double>> parts{flatten(o.out, 0), flatten(o.h_n, 0)};
        if (lstm) parts.push_back(flatten(o.c_n, 0));
        return concat(parts, 0);
    };
    const GradcheckReport report = second_order ? gradgradcheck(f, inputs) : gradcheck(f, inputs);
    EXPECT_TRUE(report.ok) << report.str();
    EXPECT_EQ(report.inputs.size(), inputs.size() + (second_order ? 1 : 0));  // gradgradcheck adds R
}

TEST(RecurrentGradcheck, ElmanTanhTwoLayersWithLengths) {
    Generator gen(41);
    RNN<double> rnn(2, 3, gen, RecurrentOptions{2});
    expect_module_gradcheck(rnn, {2, 3, 1});
}

TEST(RecurrentGradcheck, ElmanReluBatchFirst) {
    Generator gen(42);
    RecurrentOptions o{2};
    o.batch_first = true;
    RNN<double> rnn(2, 3, gen, o, RnnNonlinearity::relu);
    expect_module_gradcheck(rnn, {});
}

TEST(RecurrentGradcheck, LstmTwoLayersWithLengths) {
    Generator gen(43);
    LSTM<double> lstm(2, 3, gen, RecurrentOptions{2});
    expect_module_gradcheck(lstm, {1, 3, 2});
}

TEST(RecurrentGradcheck, GruTwoLayersWithLengthsAndNoBias) {
    Generator gen(44);
    RecurrentOptions o{2};
    o.bias = false;
    GRU<double> gru(2, 3, gen, o);
    expect_module_gradcheck(gru, {3, 1, 3});
}

TEST(RecurrentGradcheck, SecondDerivativesThroughLstmAndGruWithLengths) {
    Generator gen(45);
    LSTM<double> lstm(2, 2, gen);
    expect_module_gradcheck(lstm, {2, 3, 1}, true);
    GRU<double> gru(2, 2, gen);
    expect_module_gradcheck(gru, {3, 2, 2}, true);
}

TEST(RecurrentGradcheck, Cells) {
    Generator gen(46);
    RNNCell<double> rnn(2, 3, gen);
    LSTMCell<double> lstm(2, 3, gen);
    GRUCell<double> gru(2, 3, gen, false);
    const Tensor<double> x = test::randn({2, 2}, 51), h = test::uniform({2, 3}, 52, -0.5, 0.5),
                         c = test::uniform({2, 3}, 53, -0.5, 0.5);
    const auto with = [&](NamedTensors params) {
        params.emplace_back("x", x);
        params.emplace_back("h", h);
        return params;
    };
    NamedTensors in = with(rnn.named_parameters());
    GradcheckReport r = gradcheck([&](const std::vector<Tensor<double>>& v) { return rnn(v[4], v[5]); }, in);
    EXPECT_TRUE(r.ok) << r.str();
    in = with(lstm.named_parameters());
    in.emplace_back("c", c);
    r = gradcheck(
        [&](const std::vector<Tensor<double>>& v) {
            const LstmState<double> s = lstm(v[4], LstmState<double>{v[5], v[6]});
            return concat(std::vector<Tensor<double>>{s.h, s.c}, 0);
        },
        in);
    EXPECT_TRUE(r.ok) << r.str();
    in = with(gru.named_parameters());
    r = gradcheck([&](const std::vector<Tensor<double>>& v) { return gru(v[2], v[3]); }, in);
    EXPECT_TRUE(r.ok) << r.str();
}

TEST(Recurrent, FloatAgreesWithDouble) {
    Generator gf(47), gd(47);
    LSTM<float> lf(3, 8, gf, RecurrentOptions{2});
    LSTM<double> ld(3, 8, gd, RecurrentOptions{2});
    Generator gx(48);
    const Tensor<double> xd = Tensor<double>::randn({6, 4, 3}, gx);
    const Tensor<float> xf(Array<float>(xt::cast<float>(xd.value())));
    auto [of, sf] = lf(xf, {}, {6, 2, 5, 6});
    auto [od, sd] = ld(xd, {}, {6, 2, 5, 6});
    EXPECT_TRUE(all_close(Array<double>(xt::cast<double>(of.value())), od.value(), 1e-6, 1e-5));
    EXPECT_TRUE(all_close(Array<double>(xt::cast<double>(sf.c.value())), sd.c.value(), 1e-6, 1e-5));
}

// ---- errors -------------------------------------------------------------------------------------------------------

/// A parent, so that errors carry the module's path.
struct Holder : Module<double> {};

TEST(RecurrentErrors, BadInputsNameTheModuleAndTheExpectedShape) {
    Generator gen(61);
    Holder net;
    auto lstm = net.register_module("enc", std::make_shared<LSTM<double>>(3, 4, gen, RecurrentOptions{2}));
    const Tensor<double> x = Tensor<double>::zeros({5, 2, 3});
    EXPECT_THROW_MSG((*lstm)(Tensor<double>::zeros({5, 3})), ShapeError, "enc (LSTM 3→4, 2 layers)",
                     "input has shape [5, 3], expected [T, N, C] with C = 3");
    EXPECT_THROW_MSG((*lstm)(Tensor<double>::zeros({5, 2, 4})), ShapeError, "enc (LSTM", "[5, 2, 4]", "C = 3");
    EXPECT_THROW_MSG((*lstm)(Tensor<double>::zeros({0, 2, 3})), ShapeError, "enc (LSTM", "T, N >= 1");
    EXPECT_THROW_MSG((*lstm)(x, {}, {5, 0}), ValueError, "enc (LSTM", "length 0 of sequence 1 is outside [1, 5]");
    EXPECT_THROW_MSG((*lstm)(x, {}, {6, 1}), ValueError, "enc (LSTM", "length 6 of sequence 0 is outside [1, 5]");
    EXPECT_THROW_MSG((*lstm)(x, {}, {5}), ValueError, "enc (LSTM", "1 lengths for a batch of 2");
    const Tensor<double> good = Tensor<double>::zeros({2, 2, 4}), bad = Tensor<double>::zeros({1, 2, 4});
    EXPECT_THROW_MSG((*lstm)(x, LstmState<double>{bad, good}), ShapeError, "enc (LSTM",
                     "h0 has shape [1, 2, 4], expected [L, N, H] = [2, 2, 4]");
    EXPECT_THROW_MSG((*lstm)(x, LstmState<double>{good, bad}), ShapeError, "enc (LSTM", "c0 has shape [1, 2, 4]");
    EXPECT_THROW_MSG((*lstm)(x, LstmState<double>{good, {}}), ValueError, "enc (LSTM", "h0 but no c0");

    RecurrentOptions bf;
    bf.batch_first = true;
    auto gru = net.register_module("gru", std::make_shared<GRU<double>>(3, 4, gen, bf));
    EXPECT_THROW_MSG((*gru)(Tensor<double>::zeros({2, 5, 2})), ShapeError, "gru (GRU 3→4, batch_first)",
                     "expected [N, T, C] with C = 3");
    EXPECT_THROW_MSG((*gru)(Tensor<double>::zeros({2, 5, 3}), Tensor<double>::zeros({1, 5, 4})), ShapeError,
                     "gru (GRU", "expected [L, N, H] = [1, 2, 4]");

    auto cell = net.register_module("cell", std::make_shared<LSTMCell<double>>(3, 4, gen));
    EXPECT_THROW_MSG((*cell)(Tensor<double>::zeros({2, 2})), ShapeError, "cell (LSTMCell 3→4)",
                     "expected [N, C] with C = 3");
    EXPECT_THROW_MSG((*cell)(Tensor<double>::zeros({2, 3}), LstmState<double>{Tensor<double>::zeros({2, 3}),
                                                                               Tensor<double>::zeros({2, 4})}),
                     ShapeError, "cell (LSTMCell", "h has shape [2, 3], expected [N, H] = [2, 4]");
    auto rnn_cell = net.register_module("rc", std::make_shared<RNNCell<double>>(3, 4, gen));
    EXPECT_THROW_MSG((*rnn_cell)(Tensor<double>::zeros({2, 3}), Tensor<double>::zeros({3, 4})), ShapeError,
                     "rc (RNNCell 3→4)", "expected [N, H] = [2, 4]");
}

TEST(RecurrentErrors, BadSizesAreRefusedAtConstruction) {
    Generator gen(62);
    EXPECT_THROW_MSG(LSTM<double>(0, 4, gen), ValueError, "LSTM: sizes must be positive");
    EXPECT_THROW_MSG(GRU<double>(3, 4, gen, RecurrentOptions{0}), ValueError, "GRU: num_layers must be at least 1");
    EXPECT_THROW_MSG(RNNCell<double>(3, static_cast<std::size_t>(-1), gen), ValueError, "RNNCell", "too large");
}

}  // namespace
}  // namespace dg::nn
