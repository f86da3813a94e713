// The delta reference against central finite differences of its own loss (double), for every activation × every
// loss, with and without L2, depth 1–4 and random shapes; plus float vs double and the SGD step vs ΔW.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "nn/reference/delta_backprop.hpp"
#include "nn/reference/delta_sgd.hpp"
#include "reference/reference_test_util.hpp"

namespace dg::reference {
namespace {

using test::all_activations;
using test::central_difference;
using test::random_array;
using test::random_targets;
constexpr Loss all_losses[] = {Loss::mse_half, Loss::mse, Loss::softmax_ce, Loss::bce};

struct MlpProblem {
    MlpParams<double> net;
    Array<double> X, Y;
    Loss loss;
    double lambda;
};

// A random MLP of the given depth whose pre-activations all stay at least `margin` away from the kinks of
// relu / leaky_relu / elu / abs, so that ±ε in finite differences never crosses one (redrawn until so).
MlpProblem random_mlp_problem(std::mt19937_64& rng, ActivationKind f, Loss loss, double lambda, std::size_t depth) {
    std::uniform_int_distribution<std::size_t> size(1, 5);
    const double margin = 1e-3;
    for (int attempt = 0; attempt < 200; ++attempt) {
        MlpProblem p{{}, {}, {}, loss, lambda};
        const std::size_t m = size(rng);
        std::size_t n_in = size(rng);
        p.X = random_array(rng, {m, n_in}, 1.0);
        for (std::size_t l = 0; l < depth; ++l) {
            const bool last = l + 1 == depth;
            const std::size_t n_out = last && loss == Loss::softmax_ce ? size(rng) + 1 : size(rng);
            LayerParams<double> layer;
            layer.W = random_array(rng, {n_out, n_in}, 1.0 / std::sqrt(double(n_in)));
            layer.b = xt::view(random_array(rng, {1, n_out}, 0.5), 0, xt::all());
            layer.activation = f;
            if (last && loss == Loss::softmax_ce) layer.activation = ActivationKind::identity;
            if (last && loss == Loss::bce) layer.activation = depth % 2 ? ActivationKind::identity : ActivationKind::sigmoid;
            if (depth % 2 == 0 && f == ActivationKind::leaky_relu) layer.alpha = 0.2;  // a non-default alpha too
            if (depth % 2 == 0 && f == ActivationKind::elu) layer.alpha = 1.5;
            p.net.layers.push_back(layer);
            n_in = n_out;
        }
        p.Y = random_targets(rng, loss, m, n_in);
        const BackpropResult<double> r = delta_backprop(p.net, p.X, p.Y, loss, lambda);
        bool clear = true;
        for (std::size_t l = 0; l < depth; ++l) {
            if (!kinked(p.net.layers[l].activation)) continue;
            for (double z : r.layers[l].z) clear = clear && std::abs(z) >= margin;
        }
        if (clear) return p;
    }
    ADD_FAILURE() << "could not draw a network away from the kinks";
    return {};
}

double fd_tolerance(double analytic) { return 1e-7 + 1e-6 * std::abs(analytic); }

// Checks ΔW, Δb and δ of every layer against finite differences; returns how many numbers it compared.
std::size_t check_against_finite_differences(MlpProblem& p) {
    const BackpropResult<double> r = delta_backprop(p.net, p.X, p.Y, p.loss, p.lambda);
    EXPECT_NEAR(r.loss, delta_loss(p.net, p.X, p.Y, p.loss, p.lambda), 1e-12 * (1 + std::abs(r.loss)));
    auto loss = [&] { return delta_loss(p.net, p.X, p.Y, p.loss, p.lambda); };
    std::size_t compared = 0;
    for (std::size_t l = 0; l < p.net.layers.size(); ++l) {
        LayerParams<double>& layer = p.net.layers[l];
        const LayerResult<double>& got = r.layers[l];
        for (std::size_t k = 0; k < layer.W.size(); ++k, ++compared) {
            const double fd = central_difference(layer.W.data()[k], loss);
            EXPECT_NEAR(got.dW.data()[k], fd, fd_tolerance(fd)) << "dW of layer " << l + 1 << ", element " << k;
        }
        for (std::size_t k = 0; k < layer.b.size(); ++k, ++compared) {
            const double fd = central_difference(layer.b.data()[k], loss);
            EXPECT_NEAR(got.db.data()[k], fd, fd_tolerance(fd)) << "db of layer " << l + 1 << ", element " << k;
        }
        // δ(l) = ∂loss/∂z(l): the loss as a function of z(l) is the net that starts with an identity-weight layer
        // carrying f_l, fed with z(l) as its input, followed by layers l+1..L (λ = 0: the penalty has no z in it).
        MlpParams<double> rest;
        const std::size_t n = layer.W.shape()[0];
        rest.layers.push_back({xt::eye<double>(n), xt::zeros<double>({n}), layer.activation, layer.alpha});
        rest.layers.insert(rest.layers.end(), p.net.layers.begin() + l + 1, p.net.layers.end());
        Array<double> z = got.z;
        auto loss_of_z = [&] { return delta_loss(rest, z, p.Y, p.loss, 0.0); };
        for (std::size_t k = 0; k < z.size(); ++k, ++compared) {
            const double fd = central_difference(z.data()[k], loss_of_z);
            EXPECT_NEAR(got.delta.data()[k], fd, fd_tolerance(fd)) << "delta of layer " << l + 1 << ", element " << k;
        }
    }
    return compared;
}

TEST(DeltaGradcheck, EveryActivationEveryLossWithAndWithoutL2) {
    std::mt19937_64 rng(20240921);
    for (ActivationKind f : all_activations) {
        for (Loss loss : all_losses) {
            for (double lambda : {0.0, 0.7}) {
                for (std::size_t depth = 1; depth <= 4; ++depth) {
                    SCOPED_TRACE(std::string(activation_name(f)) + " / " + loss_name(loss) +
                                 " / lambda " + std::to_string(lambda) + " / depth " + std::to_string(depth));
                    MlpProblem p = random_mlp_problem(rng, f, loss, lambda, depth);
                    ASSERT_FALSE(p.net.layers.empty());
                    EXPECT_GT(check_against_finite_differences(p), 0u);
                }
            }
        }
    }
}

// softmax_ce with targets whose rows do not sum to 1 (δ = (p Σy − y)/m is then the exact gradient).
TEST(DeltaGradcheck, SoftmaxCrossEntropyWithUnnormalisedTargets) {
    std::mt19937_64 rng(7);
    MlpProblem p = random_mlp_problem(rng, ActivationKind::tanh, Loss::softmax_ce, 0.0, 2);
    for (double& y : p.Y) y *= 1.7;
    EXPECT_GT(check_against_finite_differences(p), 0u);
}

MlpParams<float> to_float(const MlpParams<double>& net) {
    MlpParams<float> out;
    for (const auto& l : net.layers) {
        std::optional<float> alpha;
        if (l.alpha) alpha = static_cast<float>(*l.alpha);
        out.layers.push_back({xt::cast<float>(l.W), xt::cast<float>(l.b), l.activation, alpha});
    }
    return out;
}

void expect_close(const Array<float>& f, const Array<double>& d, const char* what) {
    ASSERT_EQ(f.size(), d.size()) << what;
    for (std::size_t k = 0; k < d.size(); ++k) {
        EXPECT_NEAR(f.data()[k], d.data()[k], 2e-5 + 1e-3 * std::abs(d.data()[k])) << what << " element " << k;
    }
}

TEST(DeltaPrecision, FloatAgreesWithDouble) {
    std::mt19937_64 rng(99);
    for (ActivationKind f : all_activations) {
        for (Loss loss : all_losses) {
            SCOPED_TRACE(std::string(activation_name(f)) + " / " + loss_name(loss));
            MlpProblem p = random_mlp_problem(rng, f, loss, 0.3, 3);
            const BackpropResult<double> d = delta_backprop(p.net, p.X, p.Y, loss, p.lambda);
            const BackpropResult<float> s =
                delta_backprop(to_float(p.net), Array<float>(xt::cast<float>(p.X)), Array<float>(xt::cast<float>(p.Y)),
                               loss, static_cast<float>(p.lambda));
            EXPECT_NEAR(s.loss, d.loss, 1e-5 * (1 + std::abs(d.loss)));
            EXPECT_NEAR(s.penalty, d.penalty, 1e-5 * (1 + d.penalty));
            for (std::size_t l = 0; l < d.layers.size(); ++l) {
                expect_close(s.layers[l].a, d.layers[l].a, "a");
                expect_close(s.layers[l].delta, d.layers[l].delta, "delta");
                expect_close(s.layers[l].dW, d.layers[l].dW, "dW");
                expect_close(s.layers[l].db, d.layers[l].db, "db");
            }
        }
    }
}

// W − lr ΔW and b − lr Δb with ΔW, Δb from delta_backprop, compared with what delta_sgd_step left in net.
void expect_sgd_matches(const MlpParams<double>& before, const MlpParams<double>& after,
                        const BackpropResult<double>& grads, double lr) {
    for (std::size_t l = 0; l < before.layers.size(); ++l) {
        const Array<double> W = before.layers[l].W - lr * grads.layers[l].dW;
        const Array<double> b = before.layers[l].b - lr * grads.layers[l].db;
        ASSERT_EQ(after.layers[l].W.shape(), W.shape());
        for (std::size_t k = 0; k < W.size(); ++k) EXPECT_NEAR(after.layers[l].W.data()[k], W.data()[k], 1e-12);
        for (std::size_t k = 0; k < b.size(); ++k) EXPECT_NEAR(after.layers[l].b.data()[k], b.data()[k], 1e-12);
    }
}

TEST(DeltaSgd, StepEqualsWeightsMinusLearningRateTimesGradient) {
    std::mt19937_64 rng(5);
    const double lr = 0.3;
    for (ActivationKind f : all_activations) {
        for (Loss loss : all_losses) {
            for (double lambda : {0.0, 0.5}) {
                SCOPED_TRACE(std::string(activation_name(f)) + " / " + loss_name(loss) + " / lambda " +
                             std::to_string(lambda));
                MlpProblem p = random_mlp_problem(rng, f, loss, lambda, 3);
                MlpParams<double> net = p.net;
                SgdWorkspace<double> ws;
                // Two steps on one workspace: the second reuses the buffers of the first.
                for (int step = 0; step < 2; ++step) {
                    const MlpParams<double> before = net;
                    const BackpropResult<double> grads = delta_backprop(before, p.X, p.Y, loss, lambda);
                    const double value = delta_sgd_step(net, p.X, p.Y, loss, lr, lambda, ws);
                    EXPECT_NEAR(value, grads.loss, 1e-12 * (1 + std::abs(grads.loss)));
                    expect_sgd_matches(before, net, grads, lr);
                }
            }
        }
    }
}

TEST(DeltaSgd, ReusesBuffersAndFollowsABatchSizeChange) {
    std::mt19937_64 rng(11);
    MlpProblem p = random_mlp_problem(rng, ActivationKind::sigmoid, Loss::softmax_ce, 0.1, 3);
    SgdWorkspace<double> ws;
    delta_sgd_step(p.net, p.X, p.Y, p.loss, 0.1, p.lambda, ws);
    std::vector<const double*> buffers;
    for (std::size_t l = 0; l < 3; ++l) {
        buffers.insert(buffers.end(), {ws.z[l].data(), ws.a[l].data(), ws.delta[l].data(), ws.db[l].data()});
    }
    delta_sgd_step(p.net, p.X, p.Y, p.loss, 0.1, p.lambda, ws);
    for (std::size_t l = 0; l < 3; ++l) {
        EXPECT_EQ(ws.z[l].data(), buffers[4 * l]) << "z buffer of layer " << l + 1 << " was reallocated";
        EXPECT_EQ(ws.a[l].data(), buffers[4 * l + 1]) << "a buffer of layer " << l + 1 << " was reallocated";
        EXPECT_EQ(ws.delta[l].data(), buffers[4 * l + 2]) << "delta buffer of layer " << l + 1 << " was reallocated";
        EXPECT_EQ(ws.db[l].data(), buffers[4 * l + 3]) << "db buffer of layer " << l + 1 << " was reallocated";
    }
    // A larger batch on the same workspace: the buffers follow and the step is still exact.
    const std::size_t m = p.X.shape()[0] + 3;
    const Array<double> X = random_array(rng, {m, p.X.shape()[1]}, 1.0);
    const Array<double> Y = random_targets(rng, p.loss, m, p.Y.shape()[1]);
    const MlpParams<double> before = p.net;
    const BackpropResult<double> grads = delta_backprop(before, X, Y, p.loss, p.lambda);
    delta_sgd_step(p.net, X, Y, p.loss, 0.1, p.lambda, ws);
    EXPECT_EQ(ws.z[0].shape()[0], m);
    expect_sgd_matches(before, p.net, grads, 0.1);
}

TEST(DeltaSgd, TrainingLowersTheLoss) {
    std::mt19937_64 rng(3);
    MlpProblem p = random_mlp_problem(rng, ActivationKind::tanh, Loss::mse_half, 0.0, 2);
    SgdWorkspace<double> ws;
    const double first = delta_sgd_step(p.net, p.X, p.Y, p.loss, 0.05, 0.0, ws);
    double last = first;
    for (int i = 0; i < 200; ++i) last = delta_sgd_step(p.net, p.X, p.Y, p.loss, 0.05, 0.0, ws);
    EXPECT_LT(last, 0.9 * first);
}

}  // namespace
}  // namespace dg::reference
