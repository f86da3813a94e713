// The Elman BPTT reference: a two-step network worked out by hand (numbers written out), central finite differences
// of its own loss for every parameter, input and initial state (activations × losses × loss placement × depth),
// float against double, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "nn/reference/bptt_rnn.hpp"
#include "reference/bptt_test_util.hpp"
#include "support/expect_throw.hpp"

namespace dg::reference {
namespace {

using test::mat;
using test::random_array;

Array<double> scalar_seq(std::initializer_list<double> values) {
    Array<double> x = Array<double>::from_shape({values.size(), 1, 1});
    std::copy(values.begin(), values.end(), x.begin());
    return x;
}
/// A [1, 1] matrix and a [1] vector holding v.
Array<double> one(double v) { return xt::full_like(Array<double>::from_shape({1, 1}), v); }
Array<double> vec1(double v) { return xt::full_like(Array<double>::from_shape({1}), v); }

// T = 2, one sequence, one input, one hidden unit, tanh; head ŷ = 1.5 h + 0.2, mse_half.
//   z_1 = 0.8·0.5 − 0.5·0.3 + 0.1 − 0.2 = 0.15,  h_1 = tanh(z_1);  z_2 = 0.8·(−1) − 0.5·h_1 − 0.1,  h_2 = tanh(z_2)
RnnParams<double> two_step_net() {
    RnnParams<double> net;
    net.layers.push_back({one(0.8), one(-0.5), vec1(0.1), vec1(-0.2), ActivationKind::tanh});
    net.head = {one(1.5), vec1(0.2), ActivationKind::identity, {}};
    return net;
}

TEST(BpttRnnHandworked, LossAtEveryStepFollowsTheRecurrence) {
    const RnnParams<double> net = two_step_net();
    const Array<double> X = scalar_seq({0.5, -1.0}), Y = mat({{0.4}, {-0.3}});
    const RnnResult<double> r = bptt_rnn(net, X, {one(0.3)}, Y, Loss::mse_half, LossAt::every_step);
    const RnnLayerResult<double>& L = r.layers[0];

    const double h0 = 0.3, z1 = 0.15, h1 = std::tanh(z1), z2 = -0.8 - 0.5 * h1 - 0.1, h2 = std::tanh(z2);
    const double e1 = (1.5 * h1 + 0.2 - 0.4) / 2, e2 = (1.5 * h2 + 0.2 + 0.3) / 2;  // δ_out = (ŷ − y)/(T·N)
    const double d2 = e2 * 1.5 * (1 - h2 * h2);                                      // δ_2 = ∂l/∂h_2 ⊙ f'(z_2)
    const double d1 = (e1 * 1.5 + d2 * -0.5) * (1 - h1 * h1);                         // δ_1 = (∂l/∂h_1 + δ_2 W_hh) ⊙ f'(z_1)
    EXPECT_NEAR(L.z[0](0, 0), z1, 1e-15);
    EXPECT_NEAR(L.h[1](0, 0), h2, 1e-15);
    EXPECT_NEAR(L.delta[1](0, 0), d2, 1e-15);
    EXPECT_NEAR(L.delta[0](0, 0), d1, 1e-15);
    EXPECT_NEAR(L.dW_ih(0, 0), d1 * 0.5 + d2 * -1.0, 1e-15);  // Σ_t δ_t x_t
    EXPECT_NEAR(L.dW_hh(0, 0), d1 * h0 + d2 * h1, 1e-15);     // Σ_t δ_t h_{t−1}
    EXPECT_NEAR(L.db_ih(0), d1 + d2, 1e-15);
    EXPECT_NEAR(L.db_hh(0), d1 + d2, 1e-15);
    EXPECT_NEAR(L.dh0(0, 0), d1 * -0.5, 1e-15);  // ∂l/∂h_0 = δ_1 W_hh
    EXPECT_NEAR(r.dx[1](0, 0), d2 * 0.8, 1e-15);  // ∂l/∂x_2 = δ_2 W_ih
    // The same numbers as literals, computed independently (Python), so that a mistake shared by the formulas above
    // and the code cannot hide.
    EXPECT_NEAR(r.loss, 0.09809723306102862, 1e-15);
    EXPECT_NEAR(L.h[1](0, 0), -0.7506500303578769, 1e-15);
    EXPECT_NEAR(L.delta[0](0, 0), 0.11730646140319739, 1e-15);
    EXPECT_NEAR(L.delta[1](0, 0), -0.204940097811665, 1e-15);
    EXPECT_NEAR(L.dW_ih(0, 0), 0.26359332851326367, 1e-15);
    EXPECT_NEAR(L.dW_hh(0, 0), 0.00467942506750341, 1e-15);
    EXPECT_NEAR(L.db_ih(0), -0.08763363640846761, 1e-15);
    EXPECT_NEAR(L.dh0(0, 0), -0.058653230701598696, 1e-15);
    EXPECT_NEAR(r.head.dW(0, 0), 0.2366806550331725, 1e-15);
    EXPECT_NEAR(r.head.db(0), -0.3013237475509193, 1e-15);
}

TEST(BpttRnnHandworked, LossAtLastStepOnlySeesTheLastState) {
    const RnnParams<double> net = two_step_net();
    const RnnResult<double> r =
        bptt_rnn(net, scalar_seq({0.5, -1.0}), {one(0.3)}, mat({{-0.3}}), Loss::mse_half, LossAt::last_step);
    // ∂l/∂h_1 comes only through δ_2 W_hh: δ_1 = δ_2·(−0.5)·(1 − h_1²).
    EXPECT_NEAR(r.loss, 0.19592237881740904, 1e-15);
    EXPECT_NEAR(r.layers[0].delta[1](0, 0), -0.40988019562333, 1e-15);
    EXPECT_NEAR(r.layers[0].delta[0](0, 0), 0.20039724123510377, 1e-15);
    EXPECT_NEAR(r.layers[0].dW_hh(0, 0), -0.0009058543363804836, 1e-15);
    EXPECT_EQ(shape_of(r.head.z), (Shape{1, 1}));
}

// ---- finite differences ---------------------------------------------------------------------------------------

struct RnnProblem {
    RnnParams<double> net;
    Array<double> X, Y;
    std::vector<Array<double>> h0;
};

// A random network of `depth` layers whose pre-activations stay 1e-3 away from a kink (redrawn until so).
RnnProblem random_rnn_problem(std::mt19937_64& rng, ActivationKind f, Loss loss, LossAt at, std::size_t depth) {
    std::uniform_int_distribution<std::size_t> size(1, 3);
    for (int attempt = 0; attempt < 200; ++attempt) {
        RnnProblem p;
        const std::size_t T = size(rng) + 1, N = size(rng), C = size(rng);
        p.X = random_array(rng, {T, N, C}, 1.0);
        std::size_t in = C;
        for (std::size_t l = 0; l < depth; ++l) {
            const std::size_t H = size(rng) + 1;
            const double k = 0.8 / std::sqrt(double(H));
            p.net.layers.push_back({random_array(rng, {H, in}, k), random_array(rng, {H, H}, k),
                                    random_array(rng, {H}, 0.3), random_array(rng, {H}, 0.3), f});
            p.h0.push_back(random_array(rng, {N, H}, 0.5));
            in = H;
        }
        const std::size_t K = size(rng) + 1;
        p.net.head = {random_array(rng, {K, in}, 1.0), random_array(rng, {K}, 0.3), ActivationKind::identity, {}};
        p.Y = test::random_targets(rng, loss, at == LossAt::every_step ? T * N : N, K);
        const RnnResult<double> r = bptt_rnn(p.net, p.X, p.h0, p.Y, loss, at);
        bool clear = true;
        for (const auto& layer : r.layers)
            for (const auto& z : layer.z)
                for (double v : z) clear = clear && (!kinked(f) || std::abs(v) >= 1e-3);
        if (clear) return p;
    }
    ADD_FAILURE() << "no problem clear of the kinks";
    return {};
}

TEST(BpttRnnFiniteDifferences, EveryGradientMatchesTheReferencesOwnLoss) {
    std::mt19937_64 rng(19);
    for (ActivationKind f : {ActivationKind::tanh, ActivationKind::relu, ActivationKind::sigmoid})
        for (Loss loss : {Loss::mse_half, Loss::softmax_ce, Loss::bce})
            for (LossAt at : {LossAt::every_step, LossAt::last_step})
                for (std::size_t depth : {1, 2}) {
                    SCOPED_TRACE(std::string(activation_name(f)) + " " + loss_name(loss) + " " + loss_at_name(at) +
                                 " depth " + std::to_string(depth));
                    RnnProblem p = random_rnn_problem(rng, f, loss, at, depth);
                    const RnnResult<double> r = bptt_rnn(p.net, p.X, p.h0, p.Y, loss, at);
                    const auto l = [&] { return bptt_rnn_loss(p.net, p.X, p.h0, p.Y, loss, at); };
                    test::expect_gradients_match_differences(r, p.net, p.h0, p.X, l);
                }
}

TEST(BpttRnn, ZeroInitialStatesAreTheDefault) {
    std::mt19937_64 rng(5);
    RnnProblem p = random_rnn_problem(rng, ActivationKind::tanh, Loss::mse, LossAt::every_step, 2);
    for (auto& h : p.h0) h.fill(0.0);
    const RnnResult<double> given = bptt_rnn(p.net, p.X, p.h0, p.Y, Loss::mse, LossAt::every_step);
    const RnnResult<double> none = bptt_rnn(p.net, p.X, {}, p.Y, Loss::mse, LossAt::every_step);
    EXPECT_EQ(given.loss, none.loss);
    EXPECT_EQ(given.layers[0].dW_hh, none.layers[0].dW_hh);
}

TEST(BpttRnn, FloatAgreesWithDouble) {
    std::mt19937_64 rng(7);
    const RnnProblem p = random_rnn_problem(rng, ActivationKind::tanh, Loss::softmax_ce, LossAt::every_step, 2);
    auto f = [](const Array<double>& a) { return Array<float>(xt::cast<float>(a)); };
    RnnParams<float> net;
    for (const auto& w : p.net.layers) net.layers.push_back({f(w.W_ih), f(w.W_hh), f(w.b_ih), f(w.b_hh), w.activation});
    net.head = {f(p.net.head.W), f(p.net.head.b), ActivationKind::identity, {}};
    std::vector<Array<float>> h0;
    for (const auto& h : p.h0) h0.push_back(f(h));
    const RnnResult<float> rf = bptt_rnn(net, f(p.X), h0, f(p.Y), Loss::softmax_ce, LossAt::every_step);
    const RnnResult<double> rd = bptt_rnn(p.net, p.X, p.h0, p.Y, Loss::softmax_ce, LossAt::every_step);
    EXPECT_NEAR(rf.loss, rd.loss, 1e-5);
    for (std::size_t k = 0; k < rd.layers[0].dW_hh.size(); ++k)
        EXPECT_NEAR(rf.layers[0].dW_hh.data()[k], rd.layers[0].dW_hh.data()[k], 1e-5);
}

TEST(BpttRnn, ErrorsNameWhatIsWrong) {
    std::mt19937_64 rng(11);
    const RnnProblem p = random_rnn_problem(rng, ActivationKind::tanh, Loss::mse, LossAt::every_step, 2);
    const auto run = [&](const RnnParams<double>& net) { bptt_rnn(net, p.X, p.h0, p.Y, Loss::mse, LossAt::every_step); };
    const std::size_t H1 = p.net.layers[0].W_hh.shape()[0];
    RnnParams<double> bad = p.net;
    bad.layers[1].W_ih = random_array(rng, {2, H1 + 1}, 1.0);
    EXPECT_THROW_MSG(run(bad), ShapeError, "bptt_rnn: layer 2 W_ih has shape [2, ", "expected [");
    bad = p.net;
    bad.layers[0].b_hh = random_array(rng, {H1 + 2}, 1.0);
    EXPECT_THROW_MSG(bptt_rnn_loss(bad, p.X, p.h0, p.Y, Loss::mse, LossAt::every_step), ShapeError,
                     "bptt_rnn_loss: layer 1 b_hh");
    bad = p.net;
    bad.layers[0].activation = ActivationKind::softmax;
    EXPECT_THROW_MSG(run(bad), ValueError, "layer 1 activation is softmax", "no formula");
    EXPECT_THROW_MSG(run(RnnParams<double>{}), ValueError, "no layers");
    EXPECT_THROW_MSG(bptt_rnn(p.net, Array<double>(xt::zeros<double>({3, 2})), {}, p.Y, Loss::mse, LossAt::every_step),
                     ShapeError, "input X has shape [3, 2]", "expected [T, N, C]");
    EXPECT_THROW_MSG(bptt_rnn(p.net, p.X, {p.h0[0]}, p.Y, Loss::mse, LossAt::every_step), ShapeError,
                     "h0 has 1 arrays, expected 2 (one per layer)");
    EXPECT_THROW_MSG(bptt_rnn(p.net, p.X, p.h0, p.Y, Loss::mse, LossAt::last_step), ShapeError, "targets Y",
                     "for the loss at the last step");
    RnnParams<double> head = p.net;
    head.head.activation = ActivationKind::sigmoid;
    EXPECT_THROW_MSG(bptt_rnn(head, p.X, p.h0, p.Y, Loss::softmax_ce, LossAt::every_step), ValueError,
                     "the head's activation sigmoid does not go with loss softmax_ce");
}

}  // namespace
}  // namespace dg::reference
