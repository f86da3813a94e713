// The GRU BPTT reference: one step of one unit worked out with the formulas written out, central finite differences of
// its own loss for every parameter, input and initial state (losses, depths, the loss at every step or the last), and
// the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "nn/reference/bptt_gru.hpp"
#include "reference/bptt_test_util.hpp"
#include "support/expect_throw.hpp"

namespace dg::reference {
namespace {

using test::random_array;
using test::sigma;
using test::vec;

Array<double> column(std::initializer_list<double> values) {  // [n, 1]
    Array<double> x = Array<double>::from_shape({values.size(), 1});
    std::copy(values.begin(), values.end(), x.begin());
    return x;
}

// One step, one sequence, one input, one unit: W_ih = [0.5, −0.3, 0.8]ᵀ, W_hh = [0.1, 0.4, −0.6]ᵀ (blocks r, z, n),
// b_ih = [0.05, 0.1, −0.05], b_hh = [0, 0.2, 0.1], h_0 = 0.2, x = 1; head ŷ = 0.7 h − 0.1, mse_half against y = 0.3.
TEST(BpttGruHandworked, OneStepFollowsTheFormulas) {
    GruParams<double> net;
    net.layers.push_back({column({0.5, -0.3, 0.8}), column({0.1, 0.4, -0.6}), vec({0.05, 0.1, -0.05}),
                          vec({0.0, 0.2, 0.1})});
    net.head = {column({0.7}), vec({-0.1}), ActivationKind::identity, {}};
    const Array<double> X = xt::ones<double>({1, 1, 1}), Y = column({0.3});
    const std::vector<Array<double>> h0{column({0.2})};
    const GruResult<double> r = bptt_gru(net, X, h0, Y, Loss::mse_half, LossAt::every_step);

    const double x = 1, hp = 0.2;
    const double r_ = sigma(0.5 * x + 0.05 + 0.1 * hp + 0.0), z = sigma(-0.3 * x + 0.1 + 0.4 * hp + 0.2);
    const double hn = -0.6 * hp + 0.1, n = std::tanh(0.8 * x - 0.05 + r_ * hn);
    const double h = (1 - z) * n + z * hp, out = 0.7 * h - 0.1;
    EXPECT_NEAR(r.layers[0].r[0](0, 0), r_, 1e-15);
    EXPECT_NEAR(r.layers[0].z[0](0, 0), z, 1e-15);
    EXPECT_NEAR(r.layers[0].n[0](0, 0), n, 1e-15);
    EXPECT_NEAR(r.layers[0].h[0](0, 0), h, 1e-15);
    EXPECT_NEAR(r.loss, 0.5 * (out - 0.3) * (out - 0.3), 1e-15);
    // Backward: e = ∂l/∂h = (ŷ − y)·0.7; δn = e(1 − z)(1 − n²), δz = e(h_0 − n)z(1 − z), δr = δn·hn·r(1 − r).
    const double e = (out - 0.3) * 0.7;
    const double dn = e * (1 - z) * (1 - n * n), dz = e * (hp - n) * z * (1 - z), dr = dn * hn * r_ * (1 - r_);
    const Array<double>& d = r.layers[0].delta[0];
    EXPECT_NEAR(d(0, 0), dr, 1e-15);
    EXPECT_NEAR(d(0, 1), dz, 1e-15);
    EXPECT_NEAR(d(0, 2), dn, 1e-15);
    EXPECT_NEAR(r.layers[0].delta_h[0](0, 2), dn * r_, 1e-15);
    EXPECT_NEAR(r.layers[0].dW_hh(2, 0), dn * r_ * hp, 1e-15);  // through hp_n, scaled by r
    EXPECT_NEAR(r.layers[0].db_hh(2), dn * r_, 1e-15);
    EXPECT_NEAR(r.layers[0].db_ih(2), dn, 1e-15);
    // ∂l/∂h_0 = e·z + δh W_hh: the interpolation's direct path and the three blocks of hp.
    EXPECT_NEAR(r.layers[0].dh0(0, 0), e * z + dr * 0.1 + dz * 0.4 + dn * r_ * -0.6, 1e-15);
}

using GruProblem = test::GatedProblem<GruParams<double>>;

GruProblem random_gru_problem(std::mt19937_64& rng, Loss loss, LossAt at, std::size_t depth) {
    return test::random_gated_problem<GruParams<double>>(rng, 3, false, loss, at, depth);
}

TEST(BpttGruFiniteDifferences, EveryGradientMatchesTheReferencesOwnLoss) {
    std::mt19937_64 rng(31);
    for (Loss loss : {Loss::mse_half, Loss::mse, Loss::softmax_ce, Loss::bce})
        for (LossAt at : {LossAt::every_step, LossAt::last_step})
            for (std::size_t depth : {1, 2}) {
                SCOPED_TRACE(std::string(loss_name(loss)) + " " + loss_at_name(at) + " depth " + std::to_string(depth));
                GruProblem p = random_gru_problem(rng, loss, at, depth);
                const GruResult<double> r = bptt_gru(p.net, p.X, p.h0, p.Y, loss, at);
                const auto l = [&] { return bptt_gru_loss(p.net, p.X, p.h0, p.Y, loss, at); };
                test::expect_gradients_match_differences(r, p.net, p.h0, p.X, l);
            }
}

TEST(BpttGru, ErrorsNameWhatIsWrong) {
    std::mt19937_64 rng(37);
    GruProblem p = random_gru_problem(rng, Loss::mse_half, LossAt::every_step, 1);
    GruParams<double> bad = p.net;
    bad.layers[0].W_hh = random_array(rng, {4, 1}, 1.0);  // 4 rows: neither 3H for H = 1 nor a GRU's
    EXPECT_THROW_MSG(bptt_gru(bad, p.X, p.h0, p.Y, Loss::mse_half, LossAt::every_step), ShapeError, "bptt_gru");
    EXPECT_THROW_MSG(bptt_gru(GruParams<double>{}, p.X, p.h0, p.Y, Loss::mse_half, LossAt::every_step), ValueError,
                     "bptt_gru: the network has no layers");
}

}  // namespace
}  // namespace dg::reference
