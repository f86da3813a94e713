// The LSTM BPTT reference: a two-step, one-unit network worked out by hand (numbers written out), central finite
// differences of its own loss for every parameter, input and initial state, float against double, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "nn/reference/bptt_lstm.hpp"
#include "reference/bptt_test_util.hpp"
#include "support/expect_throw.hpp"

namespace dg::reference {
namespace {

using test::random_array;
using test::vec;

Array<double> col(std::initializer_list<double> values) {  // [n, 1]
    Array<double> x = Array<double>::from_shape({values.size(), 1});
    std::copy(values.begin(), values.end(), x.begin());
    return x;
}

using test::sigma;

// T = 2, one sequence, one input, one unit: W_ih = [0.5, −0.3, 0.8, 0.2]ᵀ, W_hh = [0.1, 0.4, −0.6, 0.3]ᵀ (blocks i, f,
// g, o), b_ih = [0.05, 0.1, −0.05, 0], b_hh = 0, h_0 = 0.2, c_0 = −0.4, x = (1, −0.5); head ŷ = 0.7 h − 0.1, mse_half
// at every step against y = (0.3, 0.5).
TEST(BpttLstmHandworked, GatesAndCellStateFollowTheRecurrences) {
    LstmParams<double> net;
    net.layers.push_back({col({0.5, -0.3, 0.8, 0.2}), col({0.1, 0.4, -0.6, 0.3}), vec({0.05, 0.1, -0.05, 0.0}),
                          vec({0, 0, 0, 0})});
    net.head = {col({0.7}), vec({-0.1}), ActivationKind::identity, {}};
    Array<double> X = Array<double>::from_shape({2, 1, 1});
    X(0, 0, 0) = 1.0;
    X(1, 0, 0) = -0.5;
    const LstmResult<double> r = bptt_lstm(net, X, {col({0.2})}, {col({-0.4})}, col({0.3, 0.5}), Loss::mse_half,
                                           LossAt::every_step);
    const LstmLayerResult<double>& L = r.layers[0];

    // Step 1 by the formulas: a = x W_ih^T + h_0 W_hh^T + b.
    const double i1 = sigma(0.5 + 0.02 + 0.05), f1 = sigma(-0.3 + 0.08 + 0.1), g1 = std::tanh(0.8 - 0.12 - 0.05),
                 o1 = sigma(0.2 + 0.06);
    const double c1 = f1 * -0.4 + i1 * g1, h1 = o1 * std::tanh(c1);
    EXPECT_NEAR(L.i[0](0, 0), i1, 1e-15);
    EXPECT_NEAR(L.g[0](0, 0), g1, 1e-15);
    EXPECT_NEAR(L.c[0](0, 0), c1, 1e-15);
    EXPECT_NEAR(L.h[0](0, 0), h1, 1e-15);
    // Backward at step 1 from the quantities the reference reports: e_1 = ∂l/∂h_1 + δ_2 W_hh, then ε_1 and δo_1.
    const double e1 = (0.7 * h1 - 0.1 - 0.3) / 2 * 0.7 + L.delta[1](0, 0) * 0.1 + L.delta[1](0, 1) * 0.4 +
                      L.delta[1](0, 2) * -0.6 + L.delta[1](0, 3) * 0.3;
    const double eps1 = e1 * o1 * (1 - std::tanh(c1) * std::tanh(c1)) + L.eps[1](0, 0) * L.f[1](0, 0);
    EXPECT_NEAR(L.eps[0](0, 0), eps1, 1e-15);
    EXPECT_NEAR(L.delta[0](0, 3), e1 * std::tanh(c1) * o1 * (1 - o1), 1e-15);  // δo
    EXPECT_NEAR(L.delta[0](0, 1), eps1 * -0.4 * f1 * (1 - f1), 1e-15);         // δf = ε ⊙ c_0 ⊙ σ'
    EXPECT_NEAR(L.dc0(0, 0), eps1 * f1, 1e-15);                                 // ∂l/∂c_0 = ε_1 ⊙ f_1
    // Literals computed independently (Python).
    EXPECT_NEAR(r.loss, 0.1298785711465806, 1e-15);
    EXPECT_NEAR(L.h[1](0, 0), -0.055275849246844026, 1e-15);
    EXPECT_NEAR(L.c[0](0, 0), 0.16844882581554022, 1e-15);
    const double delta1[] = {-0.014395095607822333, 0.01113897698685716, -0.0491700522686257, -0.003812897786110004};
    const double delta2[] = {0.012310315942371301, -0.004387117838737011, -0.037616398004948794, 0.006399750887679531};
    const double dW_hh[] = {-0.0017191065529626997, 0.0018144288237668344, -0.013378333201875654,
                            -0.0001595770408536108};
    for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_NEAR(L.delta[0](0, k), delta1[k], 1e-15);
        EXPECT_NEAR(L.delta[1](0, k), delta2[k], 1e-15);
        EXPECT_NEAR(L.dW_hh(k, 0), dW_hh[k], 1e-15);
    }
    EXPECT_NEAR(L.eps[0](0, 0), -0.11179125447494151, 1e-15);
    EXPECT_NEAR(L.eps[1](0, 0), -0.10634732814767861, 1e-15);
    EXPECT_NEAR(L.dc0(0, 0), -0.05254590830155719, 1e-15);
    EXPECT_NEAR(L.dh0(0, 0), 0.03137424325930305, 1e-15);
}

// ---- finite differences ---------------------------------------------------------------------------------------

using LstmProblem = test::GatedProblem<LstmParams<double>>;

LstmProblem random_lstm_problem(std::mt19937_64& rng, Loss loss, LossAt at, std::size_t depth) {
    return test::random_gated_problem<LstmParams<double>>(rng, 4, true, loss, at, depth);
}

TEST(BpttLstmFiniteDifferences, EveryGradientMatchesTheReferencesOwnLoss) {
    std::mt19937_64 rng(23);
    for (Loss loss : {Loss::mse_half, Loss::mse, Loss::softmax_ce, Loss::bce})
        for (LossAt at : {LossAt::every_step, LossAt::last_step})
            for (std::size_t depth : {1, 2}) {
                SCOPED_TRACE(std::string(loss_name(loss)) + " " + loss_at_name(at) + " depth " + std::to_string(depth));
                LstmProblem p = random_lstm_problem(rng, loss, at, depth);
                const LstmResult<double> r = bptt_lstm(p.net, p.X, p.h0, p.c0, p.Y, loss, at);
                const auto l = [&] { return bptt_lstm_loss(p.net, p.X, p.h0, p.c0, p.Y, loss, at); };
                test::expect_gradients_match_differences(r, p.net, p.h0, p.X, l);
                for (std::size_t k = 0; k < depth; ++k)
                    test::expect_matches_differences(r.layers[k].dc0, p.c0[k], l, "c0");
            }
}

TEST(BpttLstm, FloatAgreesWithDouble) {
    std::mt19937_64 rng(29);
    const LstmProblem p = random_lstm_problem(rng, Loss::softmax_ce, LossAt::every_step, 2);
    auto f = [](const Array<double>& a) { return Array<float>(xt::cast<float>(a)); };
    auto fs = [&](const std::vector<Array<double>>& v) {
        std::vector<Array<float>> out;
        for (const auto& a : v) out.push_back(f(a));
        return out;
    };
    LstmParams<float> net;
    for (const auto& w : p.net.layers) net.layers.push_back({f(w.W_ih), f(w.W_hh), f(w.b_ih), f(w.b_hh)});
    net.head = {f(p.net.head.W), f(p.net.head.b), ActivationKind::identity, {}};
    const LstmResult<float> rf = bptt_lstm(net, f(p.X), fs(p.h0), fs(p.c0), f(p.Y), Loss::softmax_ce, LossAt::every_step);
    const LstmResult<double> rd = bptt_lstm(p.net, p.X, p.h0, p.c0, p.Y, Loss::softmax_ce, LossAt::every_step);
    EXPECT_NEAR(rf.loss, rd.loss, 1e-5);
    for (std::size_t k = 0; k < rd.layers[0].dW_hh.size(); ++k)
        EXPECT_NEAR(rf.layers[0].dW_hh.data()[k], rd.layers[0].dW_hh.data()[k], 1e-5);
}

TEST(BpttLstm, ErrorsNameWhatIsWrong) {
    std::mt19937_64 rng(31);
    const LstmProblem p = random_lstm_problem(rng, Loss::mse_half, LossAt::every_step, 2);
    LstmParams<double> bad = p.net;
    bad.layers[0].W_hh = random_array(rng, {3, 3}, 1.0);
    EXPECT_THROW_MSG(bptt_lstm(bad, p.X, p.h0, p.c0, p.Y, Loss::mse_half, LossAt::every_step), ShapeError,
                     "bptt_lstm: layer 1 W_hh has shape [3, 3], expected [4H, H]");
    std::vector<Array<double>> c0 = p.c0;
    c0[1] = random_array(rng, {7, 1}, 1.0);
    EXPECT_THROW_MSG(bptt_lstm_loss(p.net, p.X, p.h0, c0, p.Y, Loss::mse_half, LossAt::every_step), ShapeError,
                     "bptt_lstm_loss: c0 of layer 2 has shape [7, 1]");
    EXPECT_THROW_MSG(bptt_lstm(LstmParams<double>{}, p.X, {}, {}, p.Y, Loss::mse_half, LossAt::every_step), ValueError,
                     "bptt_lstm: the network has no layers");
}

}  // namespace
}  // namespace dg::reference
