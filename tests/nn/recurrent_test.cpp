// Recurrent layers (nn/layers/recurrent.*): RNN, LSTM, GRU (one or two directions) and their cells against PyTorch's
// numbers and state_dict keys, sequences of different lengths against each sequence run alone, gradchecks in double,
// checkpoints, clone, and errors that name the module and the expected shape.
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
#include "nn/recurrent_test_util.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn {
namespace {

using test::all_close;
using recurrent_test::expect_lengths_as_each_alone;
using recurrent_test::names_of;
using recurrent_test::expect_module_gradcheck;
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

TEST(RecurrentPyTorch, BidirectionalGivesPyTorchsKeysOutputsAndStates) {
    // torch.nn.RNN / LSTM / GRU(C, H, L, bidirectional=True), the parameters filled in state_dict order as above, h0
    // and c0 [2·L, N, H] by the same formulas: full, then packed with lengths {1, 3}.
    const std::vector<std::string> keys = {
        "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",         "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_ih_l1",         "weight_hh_l1",         "bias_ih_l1",         "bias_hh_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
    const TorchCase rnn_tanh{
        {0.621386929718, 0.356624249018, -0.00596728542117, 0.695030162754, 0.740565482466, 0.282187865571,
         0.280923959367, 0.566843678225, 0.650238945003, 0.569014886343, 0.168066343318, 0.534747271395,
         0.710366251728, 0.530659625306, 0.0883781114397, 0.669603028555, 0.738857491786, 0.50204164017,
         0.415979326417, 0.390845008643, 0.672306938501, 0.635950184942, 0.243540366221, 0.55511958951},
        {-0.752096507935, -0.556164796652, 0.0122363921425, -0.479118468092, 0.542293906987, 0.365267793258,
         0.061400547091, -0.187579326148, 0.738857491786, 0.50204164017, 0.672306938501, 0.635950184942,
         -0.00596728542117, 0.695030162754, 0.280923959367, 0.566843678225},
        {},
        {0.609105374984, 0.33964876235, 0.102712233794, 0.596379584331, 0.740565482466, 0.282187865571, 0.280923959367,
         0.566843678225, 0, 0, 0, 0, 0.710366251728, 0.530659625306, 0.0883781114397, 0.669603028555, 0, 0, 0, 0,
         0.672306938501, 0.635950184942, 0.243540366221, 0.55511958951},
        {0.467550032296, -0.767196346939, 0.0122363921425, -0.479118468092, 0.427225430934, 0.175585606056,
         0.061400547091, -0.187579326148, 0.609105374984, 0.33964876235, 0.672306938501, 0.635950184942,
         0.102712233794, 0.596379584331, 0.280923959367, 0.566843678225},
        {}};
    const TorchCase lstm{
        {-0.08635674567, -0.15490173701, 0.012364750412, -0.199654552339, -0.12637509119, -0.141866722642,
         0.0055788104073, -0.203653818254, -0.151997982709, -0.247675132191, -0.0248626934554, -0.184701245787,
         -0.17614347039, -0.241442201077, -0.00420911098092, -0.178290529924, -0.177603218553, -0.287725140964,
         -0.0765751065079, -0.177699514832, -0.187767519236, -0.285557093421, -0.0561102868291, -0.148907227775},
        {-0.0200994797921, 0.177470557385, 0.176461191795, 0.044658536547, -0.131440719209, -0.33024319862,
         -0.136067176387, 0.0423893478917, -0.177603218553, -0.287725140964, -0.187767519236, -0.285557093421,
         0.012364750412, -0.199654552339, 0.0055788104073, -0.203653818254},
        {-0.0367982675623, 0.324125968344, 0.235301972431, 0.0756559817727, -0.203440303462, -0.466525784167,
         -0.282184012844, 0.0658180457368, -0.458561926239, -0.607519880545, -0.46206787244, -0.648281202331,
         0.0356389119616, -0.614877650302, 0.0159196151514, -0.657750927563},
        {-0.0909771537531, -0.152889438318, -0.0629846920649, -0.181174084203, -0.12637509119, -0.141866722642,
         0.0055788104073, -0.203653818254, 0, 0, 0, 0, -0.17614347039, -0.241442201077, -0.00420911098092,
         -0.178290529924, 0, 0, 0, 0, -0.187767519236, -0.285557093421, -0.0561102868291, -0.148907227775},
        {0.033685042903, 0.0822074873724, 0.176461191795, 0.044658536547, -0.0707545018329, -0.330625840882,
         -0.136067176387, 0.0423893478917, -0.0909771537531, -0.152889438318, -0.187767519236, -0.285557093421,
         -0.0629846920649, -0.181174084203, 0.0055788104073, -0.203653818254},
        {0.0445205102746, 0.167660599318, 0.235301972431, 0.0756559817727, -0.106767313496, -0.470036419849,
         -0.282184012844, 0.0658180457368, -0.209924266085, -0.317479803174, -0.46206787244, -0.648281202331,
         -0.154573551475, -0.482851498766, 0.0159196151514, -0.657750927563}};
    const TorchCase gru{
        {-0.196533104153, -0.420634228558, 0.188801063287, -0.314099988273, -0.190905287907, -0.190859360551,
         0.22676223262, -0.415904904099, -0.181399646455, -0.564191379507, 0.168941510094, -0.181472009795,
         -0.240413535112, -0.43768103932, 0.241170112902, -0.362968955015, -0.24622407932, -0.579437434315,
         0.198110607906, -0.0145742132995, -0.215390993087, -0.573666486334, 0.217848441955, -0.19035767862},
        {-0.239273004723, 0.528173335341, 0.197887288662, -0.106250643456, -0.207863641358, -0.516141918612,
         -0.25184094202, 0.0694397702526, -0.24622407932, -0.579437434315, -0.215390993087, -0.573666486334,
         0.188801063287, -0.314099988273, 0.22676223262, -0.415904904099},
        {},
        {-0.215784841723, -0.401394246241, 0.240653184191, -0.0765289634305, -0.190905287907, -0.190859360551,
         0.22676223262, -0.415904904099, 0, 0, 0, 0, -0.240413535112, -0.43768103932, 0.241170112902, -0.362968955015,
         0, 0, 0, 0, -0.215390993087, -0.573666486334, 0.217848441955, -0.19035767862},
        {-0.0408807579864, 0.116048964415, 0.197887288662, -0.106250643456, -0.102585002391, -0.512438625386,
         -0.25184094202, 0.0694397702526, -0.215784841723, -0.401394246241, -0.215390993087, -0.573666486334,
         0.240653184191, -0.0765289634305, 0.22676223262, -0.415904904099},
        {}};
    const Tensor<double> h0 = by_formula({2 * L, N, H}, [](double i) { return 0.3 * std::cos(0.5 * i); });
    const Tensor<double> c0 = by_formula({2 * L, N, H}, [](double i) { return 0.2 * std::sin(0.8 * i + 0.3); });
    const auto expect = [&](const recurrent_test::Outs& o, const Values& out, const Values& h_n, const Values& c_n) {
        EXPECT_TRUE(all_close(o.out, {T_, N, 2 * H}, out, 1e-11, 1e-9));
        EXPECT_TRUE(all_close(o.h_n, {2 * L, N, H}, h_n, 1e-11, 1e-9));
        if (!c_n.empty()) EXPECT_TRUE(all_close(o.c_n, {2 * L, N, H}, c_n, 1e-11, 1e-9));
    };
    const auto check = [&](auto& m, const TorchCase& want) {
        EXPECT_EQ(names_of(m), keys);
        fill_parameters(m);
        expect(recurrent_test::run(m, torch_x(), h0, c0), want.out, want.h_n, want.c_n);
        expect(recurrent_test::run(m, torch_x(), h0, c0, {1, 3}), want.packed_out, want.packed_h_n, want.packed_c_n);
    };
    RecurrentOptions o{L};
    o.bidirectional = true;
    Generator gen(0);
    RNN<double> rnn(C, H, gen, o);
    LSTM<double> lstm_m(C, H, gen, o);
    GRU<double> gru_m(C, H, gen, o);
    {
        SCOPED_TRACE("RNN tanh");
        check(rnn, rnn_tanh);
    }
    {
        SCOPED_TRACE("LSTM");
        check(lstm_m, lstm);
    }
    {
        SCOPED_TRACE("GRU");
        check(gru_m, gru);
    }
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

TEST(RecurrentErrors, BadInputsNameTheModuleAndTheExpectedShape) {
    Generator gen(61);
    recurrent_test::Holder net;
    auto lstm = net.register_module("enc", std::make_shared<LSTM<double>>(3, 4, gen, RecurrentOptions{2}));
    const Tensor<double> x = Tensor<double>::zeros({5, 2, 3});
    EXPECT_THROW_MSG((*lstm)(Tensor<double>::zeros({5})), ShapeError, "enc (LSTM 3→4, 2 layers)",
                     "input has shape [5], expected [T, N, C] with C = 3");
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
