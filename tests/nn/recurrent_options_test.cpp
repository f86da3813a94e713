// The recurrent layers' options beyond one direction (nn/layers/recurrent.*): bidirectional layers (PyTorch's names,
// shapes and order; the reverse direction as a forward layer on each sequence reversed), dropout between layers,
// unbatched input to layers and cells, forward(x) on every static type, and the errors of all of these.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <unistd.h>
#include <utility>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/checkpoint.hpp"
#include "nn/layers/recurrent.hpp"
#include "nn/layers/sequential.hpp"
#include "nn/recurrent_test_util.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn {
namespace {

using recurrent_test::expect_lengths_as_each_alone;
using recurrent_test::expect_module_gradcheck;
using recurrent_test::names_of;
using recurrent_test::Outs;
using recurrent_test::run;
using test::all_close;

RecurrentOptions bidirectional(std::size_t layers) {
    RecurrentOptions o;
    o.num_layers = layers;
    o.bidirectional = true;
    return o;
}

RecurrentOptions with_dropout(std::size_t layers, double p) {
    RecurrentOptions o;
    o.num_layers = layers;
    o.dropout = p;
    return o;
}

/// Sets each parameter of `to` to the parameter of `from` named as `rename` maps its name.
template <class M, class F>
void copy_parameters(const M& from, M& to, F rename) {
    NoGradGuard no_grad;
    for (auto& [name, p] : to.named_parameters()) {
        Tensor<double> t = p;
        t.mutable_value() = from.parameter(rename(name)).value();
    }
}

/// x [T, N, C] with each sequence's first lengths[i] steps in reverse order; the steps after stay where they are.
Tensor<double> reversed(const Tensor<double>& x, const std::vector<std::size_t>& lengths) {
    const Shape s = x.shape();
    Tensor<double> y = Tensor<double>::zeros(s);
    for (std::size_t t = 0; t < s[0]; ++t)
        for (std::size_t i = 0; i < s[1]; ++i)
            for (std::size_t c = 0; c < s[2]; ++c)
                y.mutable_value()(t, i, c) = x.value()(t < lengths[i] ? lengths[i] - 1 - t : t, i, c);
    return y;
}

/// Direction d's state [1, N, H] of a one-layer module's states [2, N, H] (undefined stays undefined).
Tensor<double> direction(const Tensor<double>& s, std::size_t d) {
    return s.defined() ? narrow(s, 0, d, 1) : s;
}

// ---- bidirectional ------------------------------------------------------------------------------------------------

TEST(RecurrentBidirectional, StateDictHasPyTorchsNamesShapesAndOrder) {
    Generator gen(1);
    LSTM<double> lstm(3, 4, gen, bidirectional(2));
    // torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).state_dict(): layer by layer, the forward direction and
    // then the reverse one (suffix _reverse); the gate blocks i, f, g, o in 16 rows; layer 1 reads both directions of
    // layer 0, 2·4 = 8 inputs.
    const std::vector<std::pair<std::string, Shape>> want = {
        {"weight_ih_l0", {16, 3}},         {"weight_hh_l0", {16, 4}},         {"bias_ih_l0", {16}},
        {"bias_hh_l0", {16}},              {"weight_ih_l0_reverse", {16, 3}}, {"weight_hh_l0_reverse", {16, 4}},
        {"bias_ih_l0_reverse", {16}},      {"bias_hh_l0_reverse", {16}},      {"weight_ih_l1", {16, 8}},
        {"weight_hh_l1", {16, 4}},         {"bias_ih_l1", {16}},              {"bias_hh_l1", {16}},
        {"weight_ih_l1_reverse", {16, 8}}, {"weight_hh_l1_reverse", {16, 4}}, {"bias_ih_l1_reverse", {16}},
        {"bias_hh_l1_reverse", {16}}};
    const auto dict = lstm.state_dict();
    ASSERT_EQ(dict.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(dict[i].first, want[i].first);
        EXPECT_EQ(dict[i].second.shape(), want[i].second) << want[i].first;
    }
    EXPECT_EQ(lstm.num_parameters(), 2u * (16 * 3 + 16 * 4 + 32) + 2u * (16 * 8 + 16 * 4 + 32));
    // The accessors alias the registered parameters.
    EXPECT_EQ(lstm.weight_ih(1, true).node(), lstm.parameter("weight_ih_l1_reverse").node());
    EXPECT_EQ(lstm.bias_hh(0, true).node(), lstm.parameter("bias_hh_l0_reverse").node());
    EXPECT_EQ(lstm.weight_hh(1).node(), lstm.parameter("weight_hh_l1").node());
    EXPECT_EQ(lstm.describe(), "LSTM 3→4, 2 layers, bidirectional");
    EXPECT_EQ(lstm.output_shape_hint(), "[T, N, 8]");
    EXPECT_TRUE(lstm.bidirectional());
    EXPECT_EQ(lstm.num_directions(), 2u);

    RecurrentOptions o = bidirectional(1);
    o.bias = false;
    GRU<double> gru(3, 4, gen, o);
    EXPECT_EQ(names_of(gru),
              (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse",
                                        "weight_hh_l0_reverse"}));
    EXPECT_EQ(gru.weight_ih(0, true).shape(), (Shape{12, 3}));
}

TEST(RecurrentBidirectional, OutputsAndStatesHavePyTorchsShapes) {
    Generator gen(2);
    LSTM<double> lstm(3, 4, gen, bidirectional(2));
    auto [out, s] = lstm(test::randn({5, 2, 3}, 1, false));
    EXPECT_EQ(out.shape(), (Shape{5, 2, 8}));  // [T, N, 2·H]
    EXPECT_EQ(s.h.shape(), (Shape{4, 2, 4}));  // [2·L, N, H]
    EXPECT_EQ(s.c.shape(), (Shape{4, 2, 4}));
    RecurrentOptions o = bidirectional(3);
    o.batch_first = true;
    GRU<double> gru(3, 4, gen, o);
    auto [g_out, g_h] = gru(test::randn({2, 5, 3}, 2, false));
    EXPECT_EQ(g_out.shape(), (Shape{2, 5, 8}));
    EXPECT_EQ(g_h.shape(), (Shape{6, 2, 4}));
    EXPECT_EQ(*gru.last_output_shape(), (Shape{2, 5, 8}));
}

/// A one-layer bidirectional M on a batch with lengths: its first H outputs and state 0 are a one-direction M with the
/// forward weights on x; its last H outputs, read back in time order, and state 1 are a one-direction M with the
/// reverse weights on each sequence reversed within its length (the reverse direction starts at the sequence's own
/// last step). Steps past a sequence's end give 0 in both halves.
template <class M, class... Extra>
void expect_reverse_is_forward_on_reversed(Extra... extra) {
    constexpr bool lstm = std::is_same_v<M, LSTM<double>>;
    const std::size_t C = 3, H = 4, steps = 5;
    const std::vector<std::size_t> lengths = {3, 5, 1, 4};
    const std::size_t N = lengths.size();
    Generator gen(7);
    M bi(C, H, gen, bidirectional(1), extra...);
    M one(C, H, gen, RecurrentOptions{}, extra...);
    const Tensor<double> x = test::randn({steps, N, C}, 71, false), h0 = test::randn({2, N, H}, 72, false);
    const Tensor<double> c0 = lstm ? test::randn({2, N, H}, 73, false) : Tensor<double>();
    const Outs b = run(bi, x, h0, c0, lengths);
    ASSERT_EQ(b.out.shape(), (Shape{steps, N, 2 * H}));

    copy_parameters(bi, one, [](const std::string& name) { return name; });
    const Outs f = run(one, x, direction(h0, 0), direction(c0, 0), lengths);
    EXPECT_TRUE(all_close(narrow(b.out, 2, 0, H), f.out, 1e-14, 1e-12));
    EXPECT_TRUE(all_close(direction(b.h_n, 0), f.h_n, 1e-14, 1e-12));
    if (lstm) EXPECT_TRUE(all_close(direction(b.c_n, 0), f.c_n, 1e-14, 1e-12));

    copy_parameters(bi, one, [](const std::string& name) { return name + "_reverse"; });
    const Outs r = run(one, reversed(x, lengths), direction(h0, 1), direction(c0, 1), lengths);
    EXPECT_TRUE(all_close(narrow(b.out, 2, H, H), reversed(r.out, lengths), 1e-14, 1e-12));
    EXPECT_TRUE(all_close(direction(b.h_n, 1), r.h_n, 1e-14, 1e-12));
    if (lstm) EXPECT_TRUE(all_close(direction(b.c_n, 1), r.c_n, 1e-14, 1e-12));

    // Sequence 2 (length 1): steps 1 … 4 are 0 in both directions; its reverse state is the one step's.
    EXPECT_TRUE(all_close(narrow(narrow(b.out, 1, 2, 1), 0, 1, steps - 1), Tensor<double>::zeros({steps - 1, 1, 2 * H}),
                          0, 0));
    EXPECT_FALSE(all_close(narrow(narrow(b.out, 1, 2, 1), 0, 0, 1), Tensor<double>::zeros({1, 1, 2 * H})));
}

TEST(RecurrentBidirectional, ReverseDirectionIsAForwardLayerOnEachSequenceReversed) {
    {
        SCOPED_TRACE("RNN tanh");
        expect_reverse_is_forward_on_reversed<RNN<double>>(RnnNonlinearity::tanh);
    }
    {
        SCOPED_TRACE("RNN relu");
        expect_reverse_is_forward_on_reversed<RNN<double>>(RnnNonlinearity::relu);
    }
    {
        SCOPED_TRACE("LSTM");
        expect_reverse_is_forward_on_reversed<LSTM<double>>();
    }
    {
        SCOPED_TRACE("GRU");
        expect_reverse_is_forward_on_reversed<GRU<double>>();
    }
}

TEST(RecurrentBidirectional, TwoLayersAreTwoOneLayerModulesStackedWithStatesLayerMajor) {
    Generator gen(8);
    const std::size_t C = 3, H = 4;
    const std::vector<std::size_t> lengths = {2, 4, 3};
    LSTM<double> two(C, H, gen, bidirectional(2)), first(C, H, gen, bidirectional(1)),
        second(2 * H, H, gen, bidirectional(1));
    copy_parameters(two, first, [](const std::string& name) { return name; });
    copy_parameters(two, second, [](std::string name) { return name.replace(name.find("_l0"), 3, "_l1"); });
    const Tensor<double> x = test::randn({4, 3, C}, 81, false), h0 = test::randn({4, 3, H}, 82, false),
                         c0 = test::randn({4, 3, H}, 83, false);
    auto [out, s] = two(x, {h0, c0}, lengths);
    auto [out1, s1] = first(x, {narrow(h0, 0, 0, 2), narrow(c0, 0, 0, 2)}, lengths);
    auto [out2, s2] = second(out1, {narrow(h0, 0, 2, 2), narrow(c0, 0, 2, 2)}, lengths);
    EXPECT_TRUE(all_close(out, out2, 1e-14, 1e-12));
    // h_n [2·L, N, H]: layer 0 forward, layer 0 reverse, layer 1 forward, layer 1 reverse.
    EXPECT_TRUE(all_close(s.h, concat(std::vector<Tensor<double>>{s1.h, s2.h}, 0), 1e-14, 1e-12));
    EXPECT_TRUE(all_close(s.c, concat(std::vector<Tensor<double>>{s1.c, s2.c}, 0), 1e-14, 1e-12));
}

TEST(RecurrentBidirectional, LengthsEqualEachSequenceAlone) {
    Generator gen(9);
    {
        SCOPED_TRACE("RNN tanh, 2 layers");
        RNN<double> rnn(3, 4, gen, bidirectional(2));
        expect_lengths_as_each_alone(rnn);
    }
    {
        SCOPED_TRACE("LSTM, 2 layers, batch_first");
        RecurrentOptions o = bidirectional(2);
        o.batch_first = true;
        LSTM<double> lstm(3, 4, gen, o);
        expect_lengths_as_each_alone(lstm);
    }
    {
        SCOPED_TRACE("GRU, no bias");
        RecurrentOptions o = bidirectional(1);
        o.bias = false;
        GRU<double> gru(3, 4, gen, o);
        expect_lengths_as_each_alone(gru);
    }
}

TEST(RecurrentBidirectional, GradcheckInDouble) {
    Generator gen(10);
    {
        SCOPED_TRACE("RNN relu, 2 layers, lengths");
        RNN<double> rnn(2, 3, gen, bidirectional(2), RnnNonlinearity::relu);
        expect_module_gradcheck(rnn, {2, 3, 1});
    }
    {
        SCOPED_TRACE("LSTM, 2 layers, lengths");
        LSTM<double> lstm(2, 3, gen, bidirectional(2));
        expect_module_gradcheck(lstm, {1, 3, 2});
    }
    {
        SCOPED_TRACE("GRU, batch_first");
        RecurrentOptions o = bidirectional(1);
        o.batch_first = true;
        GRU<double> gru(2, 3, gen, o);
        expect_module_gradcheck(gru, {});
    }
    {
        SCOPED_TRACE("LSTM, second order, lengths");
        LSTM<double> lstm(2, 2, gen, bidirectional(1));
        expect_module_gradcheck(lstm, {3, 1, 2}, true);
    }
}

TEST(RecurrentBidirectional, CheckpointRoundTrip) {
    Generator gen(11), other(12);
    GRU<double> saved(3, 4, gen, bidirectional(2)), loaded(3, 4, other, bidirectional(2));
    const std::string file = (std::filesystem::temp_directory_path() /
                              ("dg_recurrent_bi_" + std::to_string(::getpid()) + ".safetensors"))
                                 .string();
    save_checkpoint(file, saved, nullptr);
    const Tensor<double> x = test::randn({4, 2, 3}, 84, false);
    EXPECT_FALSE(all_close(loaded(x).first, saved(x).first));
    load_checkpoint(file, loaded, nullptr);
    std::filesystem::remove(file);
    for (const auto& [name, t] : saved.state_dict()) EXPECT_TRUE(all_close(loaded.parameter(name), t, 0, 0)) << name;
    auto [a, ha] = saved(x, {}, {4, 2});
    auto [b, hb] = loaded(x, {}, {4, 2});
    EXPECT_TRUE(all_close(a, b, 0, 0));
    EXPECT_TRUE(all_close(ha, hb, 0, 0));
}

// ---- dropout between layers ---------------------------------------------------------------------------------------

TEST(RecurrentDropout, ZeroDropoutDrawsNothingRegistersNothingAndTrainEqualsEval) {
    Generator a(20), b(20);
    LSTM<double> plain(3, 4, a, RecurrentOptions{2}), zero(3, 4, b, with_dropout(2, 0.0));
    EXPECT_EQ(a.bits(), b.bits());  // the generators were drawn alike
    EXPECT_TRUE(zero.named_modules().empty());
    EXPECT_EQ(zero.describe(), "LSTM 3→4, 2 layers");
    const Tensor<double> x = test::randn({5, 3, 3}, 21, false);
    const Tensor<double> train_out = zero(x).first;
    zero.eval();
    EXPECT_TRUE(all_close(train_out, zero(x).first, 0, 0));
    EXPECT_TRUE(all_close(train_out, plain(x).first, 0, 0));
}

TEST(RecurrentDropout, EvalIsDeterministicAndEqualsTheSameWeightsWithoutDropout) {
    Generator a(22), b(22);
    GRU<double> plain(3, 4, a, RecurrentOptions{3}), dropped(3, 4, b, with_dropout(3, 0.5));
    // The dropout's generator is drawn after the parameters: the same seed gives the same weights.
    for (const auto& [name, t] : plain.named_parameters())
        EXPECT_TRUE(all_close(dropped.parameter(name), t, 0, 0)) << name;
    EXPECT_EQ(names_of(dropped), names_of(plain));  // nothing in the state_dict
    EXPECT_EQ(dropped.describe(), "GRU 3→4, 3 layers, dropout 0.5");
    const Tensor<double> x = test::randn({6, 2, 3}, 23, false);
    const Tensor<double> trained = dropped(x).first;
    EXPECT_FALSE(all_close(trained, plain(x).first));  // train(): the masks change the output
    dropped.eval();
    const Tensor<double> once = dropped(x).first;
    EXPECT_TRUE(all_close(once, plain(x).first, 0, 0));
    EXPECT_TRUE(all_close(dropped(x).first, once, 0, 0));
}

/// A two-layer ReLU RNN whose second layer passes its input through (W_ih = I, W_hh = 0, no bias) and whose first
/// layer's outputs are all positive (b_ih = 3, W_hh = 0, |x·W_ihᵀ| < 1): its output is the first layer's output after
/// dropout, so every element is 0 (dropped) or the eval output / (1 − p) (kept, scaled).
std::shared_ptr<RNN<double>> pass_through_rnn(std::size_t C, std::size_t H, double p, Generator& gen) {
    auto rnn = std::make_shared<RNN<double>>(C, H, gen, with_dropout(2, p), RnnNonlinearity::relu);
    NoGradGuard no_grad;
    const auto set = [&](const char* name, const Array<double>& v) {
        Tensor<double> t = rnn->parameter(name);
        t.mutable_value() = v;
    };
    set("bias_ih_l0", xt::ones<double>({H}) * 3.0);
    set("weight_hh_l0", xt::zeros<double>({H, H}));
    set("bias_hh_l0", xt::zeros<double>({H}));
    set("weight_ih_l1", xt::eye<double>(H));
    set("weight_hh_l1", xt::zeros<double>({H, H}));
    set("bias_ih_l1", xt::zeros<double>({H}));
    set("bias_hh_l1", xt::zeros<double>({H}));
    return rnn;
}

TEST(RecurrentDropout, TrainMasksHaveTheExpectedStatisticsAndBackwardUsesThem) {
    const std::size_t T = 20, N = 10, C = 3, H = 16;
    const double p = 0.3;
    Generator gen(24);
    auto rnn = pass_through_rnn(C, H, p, gen);
    const Tensor<double> x = test::uniform({T, N, C}, 25, -1.0, 1.0, false);
    rnn->eval();
    const Array<double> kept_value = (*rnn)(x).first.value() / (1.0 - p);
    rnn->train();
    const Tensor<double> out = (*rnn)(x).first;
    sum(out).backward();

    std::size_t dropped = 0;
    std::vector<std::size_t> kept_per_unit(H, 0);
    std::size_t differs_between_steps = 0;
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t j = 0; j < H; ++j) {
                const double v = out.value()(t, n, j), kept = kept_value(t, n, j);
                ASSERT_GT(kept, 2.0 / (1.0 - p));
                if (v == 0.0) {
                    ++dropped;
                } else {
                    EXPECT_NEAR(v, kept, 1e-12 * kept);  // scaled by 1/(1 − p) once: the last layer has no dropout
                    ++kept_per_unit[j];
                }
                if (t > 0 && (v == 0.0) != (out.value()(t - 1, n, j) == 0.0)) ++differs_between_steps;
            }
    // 3 200 Bernoulli(0.3) draws: 960 expected, standard deviation 26; the bounds are ±5 of them.
    EXPECT_GT(dropped, 830u);
    EXPECT_LT(dropped, 1090u);
    EXPECT_GT(differs_between_steps, 0u);  // a new mask at every step, not one per sequence
    // Backward goes through the same masks: ∂Σout/∂b_ih_l0[j] = (kept elements of unit j) / (1 − p).
    const Array<double> g = rnn->bias_ih(0).grad().value();
    for (std::size_t j = 0; j < H; ++j) EXPECT_NEAR(g(j), kept_per_unit[j] / (1.0 - p), 1e-9) << "unit " << j;

    // The next call draws new masks; the same seed draws the same ones.
    EXPECT_FALSE(all_close((*rnn)(x).first, out));
    Generator again(24);
    auto twin = pass_through_rnn(C, H, p, again);
    EXPECT_TRUE(all_close((*twin)(x).first, out, 0, 0));
}

TEST(RecurrentDropout, BidirectionalDropsBothDirectionsAndCloneCopiesTheGenerator) {
    Generator gen(26);
    RecurrentOptions o = bidirectional(2);
    o.dropout = 0.25;
    auto lstm = std::make_shared<LSTM<double>>(3, 4, gen, o);
    EXPECT_EQ(lstm->describe(), "LSTM 3→4, 2 layers, dropout 0.25, bidirectional");
    auto copy = lstm->clone();
    const Tensor<double> x = test::randn({5, 2, 3}, 27, false);
    const Tensor<double> a = (*lstm)(x).first;
    EXPECT_TRUE(all_close((*copy)(x).first, a, 0, 0));  // the copy draws the masks the original drew
    EXPECT_FALSE(all_close((*lstm)(x).first, a));
    lstm->eval();
    copy->eval();
    EXPECT_TRUE(all_close((*copy)(x).first, (*lstm)(x).first, 0, 0));
}

TEST(RecurrentDropout, OutsideZeroToOneIsRefused) {
    Generator gen(28);
    EXPECT_THROW_MSG(LSTM<double>(3, 4, gen, with_dropout(2, 1.0)), ValueError,
                     "LSTM: dropout must be in [0, 1), got 1");
    EXPECT_THROW_MSG(GRU<double>(3, 4, gen, with_dropout(2, -0.1)), ValueError,
                     "GRU: dropout must be in [0, 1), got -0.1");
    EXPECT_THROW_MSG(RNN<double>(3, 4, gen, with_dropout(2, std::numeric_limits<double>::quiet_NaN())), ValueError,
                     "RNN: dropout must be in [0, 1), got nan");
}

// ---- unbatched input ----------------------------------------------------------------------------------------------

/// An unbatched call (x [T, C], states [D·L, H], one length) gives what the batch of that one sequence gives, without
/// its batch axis.
template <class M>
void expect_unbatched_as_a_batch_of_one(M& m, const std::vector<std::size_t>& lengths) {
    constexpr bool lstm = std::is_same_v<M, LSTM<double>>;
    const std::size_t T = 4, S = m.num_directions() * m.num_layers(), H = m.hidden_size();
    const Tensor<double> x = test::randn({T, m.input_size()}, 31, false), h0 = test::randn({S, H}, 32, false);
    const Tensor<double> c0 = lstm ? test::randn({S, H}, 33, false) : Tensor<double>();
    const auto one = [](const Tensor<double>& t, int axis) { return t.defined() ? unsqueeze(t, axis) : t; };
    const Outs u = run(m, x, h0, c0, lengths);
    const Outs b = run(m, one(x, m.batch_first() ? 0 : 1), one(h0, 1), one(c0, 1), lengths);
    EXPECT_EQ(u.out.shape(), (Shape{T, m.num_directions() * H}));
    EXPECT_EQ(u.h_n.shape(), (Shape{S, H}));
    EXPECT_TRUE(all_close(u.out, squeeze(b.out, m.batch_first() ? 0 : 1), 0, 0));
    EXPECT_TRUE(all_close(u.h_n, squeeze(b.h_n, 1), 0, 0));
    if (lstm) EXPECT_TRUE(all_close(u.c_n, squeeze(b.c_n, 1), 0, 0));
}

TEST(RecurrentUnbatched, LayersTakeOneSequenceWithoutABatchAxis) {
    Generator gen(30);
    RNN<double> rnn(3, 4, gen, RecurrentOptions{2});
    expect_unbatched_as_a_batch_of_one(rnn, {});
    RecurrentOptions o = bidirectional(2);
    o.batch_first = true;  // ignored by an unbatched input, as in PyTorch
    LSTM<double> lstm(3, 4, gen, o);
    expect_unbatched_as_a_batch_of_one(lstm, {});
    expect_unbatched_as_a_batch_of_one(lstm, {3});
    GRU<double> gru(3, 4, gen, bidirectional(1));
    expect_unbatched_as_a_batch_of_one(gru, {2});
    // From zero states, with the sequence's shape in the summary.
    auto [out, h] = gru(test::randn({4, 3}, 34, false));
    EXPECT_EQ(out.shape(), (Shape{4, 8}));
    EXPECT_EQ(h.shape(), (Shape{2, 4}));
    EXPECT_EQ(*gru.last_output_shape(), (Shape{4, 8}));
}

TEST(RecurrentUnbatched, GradcheckOfABidirectionalLstm) {
    Generator gen(35);
    LSTM<double> lstm(2, 3, gen, bidirectional(2));
    NamedTensors inputs = lstm.named_parameters();
    const std::size_t n = inputs.size();
    inputs.emplace_back("x", test::randn({3, 2}, 36));
    inputs.emplace_back("h0", test::uniform({4, 3}, 37, -0.5, 0.5));
    inputs.emplace_back("c0", test::uniform({4, 3}, 38, -0.5, 0.5));
    const GradcheckReport report = gradcheck(
        [&](const std::vector<Tensor<double>>& in) {
            auto [out, s] = lstm(in[n], LstmState<double>{in[n + 1], in[n + 2]}, {2});
            return concat(std::vector<Tensor<double>>{flatten(out, 0), flatten(s.h, 0), flatten(s.c, 0)}, 0);
        },
        inputs);
    EXPECT_TRUE(report.ok) << report.str();
}

TEST(RecurrentUnbatched, CellsTakeOneVectorWithoutABatchAxis) {
    Generator gen(39);
    RNNCell<double> rnn(3, 4, gen, true, RnnNonlinearity::relu);
    LSTMCell<double> lstm(3, 4, gen);
    GRUCell<double> gru(3, 4, gen);
    const Tensor<double> x = test::randn({3}, 40, false), h = test::randn({4}, 41, false),
                         c = test::randn({4}, 42, false);
    const auto row = [](const Tensor<double>& t) { return unsqueeze(t, 0); };
    const Tensor<double> hr = rnn(x, h), hg = gru(x, h);
    EXPECT_EQ(hr.shape(), (Shape{4}));
    EXPECT_TRUE(all_close(hr, squeeze(rnn(row(x), row(h)), 0), 0, 0));
    EXPECT_TRUE(all_close(hg, squeeze(gru(row(x), row(h)), 0), 0, 0));
    EXPECT_TRUE(all_close(rnn(x), squeeze(rnn(row(x)), 0), 0, 0));  // from h = 0
    const LstmState<double> s = lstm(x, LstmState<double>{h, c}), sb = lstm(row(x), LstmState<double>{row(h), row(c)});
    EXPECT_EQ(s.c.shape(), (Shape{4}));
    EXPECT_TRUE(all_close(s.h, squeeze(sb.h, 0), 0, 0));
    EXPECT_TRUE(all_close(s.c, squeeze(sb.c, 0), 0, 0));
    EXPECT_EQ(lstm(x).h.shape(), (Shape{4}));
}

// ---- forward(x) on every static type ------------------------------------------------------------------------------

TEST(Recurrent, ForwardOfOneTensorIsTheSameFunctionOnEveryStaticType) {
    Generator gen(50);
    auto gru = std::make_shared<GRU<double>>(3, 4, gen, bidirectional(1));
    const Tensor<double> x = test::randn({5, 2, 3}, 51, false);
    // The call operator gives PyTorch's pair; forward(x) the output alone, whether called on the GRU, its base or a
    // Module<T>& (no overload hides another: clang's -Woverloaded-virtual is quiet).
    static_assert(std::is_same_v<decltype((*gru)(x)), std::pair<Tensor<double>, Tensor<double>>>);
    static_assert(std::is_same_v<decltype(gru->forward(x)), Tensor<double>>);
    const Tensor<double> out = (*gru)(x).first;
    EXPECT_TRUE(all_close(gru->forward(x), out, 0, 0));
    EXPECT_TRUE(all_close(static_cast<RecurrentBase<double>&>(*gru).forward(x), out, 0, 0));
    EXPECT_TRUE(all_close(static_cast<Module<double>&>(*gru)(x), out, 0, 0));
    // Layers and cells sit in a Sequential: the output sequence, and a step from zero states.
    Sequential<double> layers(gru);
    EXPECT_TRUE(all_close(layers(x), out, 0, 0));
    auto cell = std::make_shared<LSTMCell<double>>(8, 2, gen);
    Sequential<double> steps(cell);
    const Tensor<double> step = narrow(reshape(out, {10, 8}), 0, 0, 2);
    static_assert(std::is_same_v<decltype((*cell)(step)), LstmState<double>>);
    EXPECT_TRUE(all_close(steps(step), (*cell)(step).h, 0, 0));
}

// ---- errors -------------------------------------------------------------------------------------------------------

TEST(RecurrentErrors, BadInputToTheNewOptionsNamesTheModuleAndTheExpectedShape) {
    Generator gen(60);
    recurrent_test::Holder net;
    auto lstm = net.register_module("enc", std::make_shared<LSTM<double>>(3, 4, gen, bidirectional(2)));
    const Tensor<double> x = Tensor<double>::zeros({5, 2, 3}), s = Tensor<double>::zeros({4, 2, 4});
    const Tensor<double> layers_only = Tensor<double>::zeros({2, 2, 4});
    EXPECT_THROW_MSG((*lstm)(x, {layers_only, s}), ShapeError, "enc (LSTM 3→4, 2 layers, bidirectional)",
                     "h0 has shape [2, 2, 4], expected [2·L, N, H] = [4, 2, 4] (layers × 2 directions, batch, hidden)");
    EXPECT_THROW_MSG((*lstm)(x, {s, layers_only}), ShapeError, "enc (LSTM", "c0 has shape [2, 2, 4]");
    // Unbatched: the input's width, its states' shape, its lengths.
    EXPECT_THROW_MSG((*lstm)(Tensor<double>::zeros({5, 4})), ShapeError, "enc (LSTM",
                     "input has shape [5, 4], expected [T, N, C] with C = 3 and T, N >= 1, or [T, C] unbatched");
    EXPECT_THROW_MSG((*lstm)(Tensor<double>::zeros({0, 3})), ShapeError, "enc (LSTM", "input has shape [0, 3]");
    EXPECT_THROW_MSG((*lstm)(Tensor<double>::zeros({1, 5, 2, 3})), ShapeError, "enc (LSTM", "[1, 5, 2, 3]");
    const Tensor<double> u = Tensor<double>::zeros({5, 3});
    EXPECT_THROW_MSG((*lstm)(u, {Tensor<double>::zeros({4, 1, 4}), Tensor<double>::zeros({4, 4})}), ShapeError,
                     "enc (LSTM", "h0 has shape [4, 1, 4], expected [2·L, H] = [4, 4]",
                     "for an unbatched input [T, C]");
    EXPECT_THROW_MSG((*lstm)(u, {}, {5, 5}), ValueError, "enc (LSTM", "2 lengths for an unbatched input [T, C]");
    EXPECT_THROW_MSG((*lstm)(u, {}, {6}), ValueError, "enc (LSTM", "length 6 of sequence 0 is outside [1, 5]");
    auto rnn = net.register_module("rnn", std::make_shared<RNN<double>>(3, 4, gen, RecurrentOptions{2}));
    EXPECT_THROW_MSG((*rnn)(u, Tensor<double>::zeros({2, 1, 4})), ShapeError, "rnn (RNN tanh 3→4, 2 layers)",
                     "h0 has shape [2, 1, 4], expected [L, H] = [2, 4] (layers, hidden) for an unbatched input");
    // A direction or layer that is not there.
    EXPECT_THROW_MSG(rnn->weight_ih(0, true), ValueError, "rnn (RNN", "no reverse direction of layer 0",
                     "one direction");
    EXPECT_THROW_MSG(lstm->bias_hh(2), ValueError, "enc (LSTM", "no layer 2 (2 layers, bidirectional)");

    // Cells: an unbatched x [C] takes states [H].
    auto cell = net.register_module("cell", std::make_shared<LSTMCell<double>>(3, 4, gen));
    const Tensor<double> v = Tensor<double>::zeros({3});
    EXPECT_THROW_MSG((*cell)(Tensor<double>::zeros({2})), ShapeError, "cell (LSTMCell 3→4)",
                     "input has shape [2], expected [N, C] with C = 3 and N >= 1, or [C] unbatched");
    EXPECT_THROW_MSG((*cell)(v, {Tensor<double>::zeros({1, 4}), Tensor<double>::zeros({4})}), ShapeError,
                     "cell (LSTMCell", "h has shape [1, 4], expected [H] = [4] for an unbatched input [C]");
    EXPECT_THROW_MSG((*cell)(v, {Tensor<double>::zeros({4}), Tensor<double>::zeros({3})}), ShapeError,
                     "cell (LSTMCell", "c has shape [3], expected [H] = [4]");
    auto gru_cell = net.register_module("gc", std::make_shared<GRUCell<double>>(3, 4, gen));
    EXPECT_THROW_MSG((*gru_cell)(v, Tensor<double>::zeros({2, 4})), ShapeError, "gc (GRUCell 3→4)",
                     "h has shape [2, 4], expected [H] = [4]");
    EXPECT_THROW_MSG((*gru_cell)(Tensor<double>::zeros({2, 3, 1})), ShapeError, "gc (GRUCell", "[2, 3, 1]");
}

}  // namespace
}  // namespace dg::nn
