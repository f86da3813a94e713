// The conv delta reference: hand-worked tiny networks (a 1-channel 3x3 input, a 2x2 kernel; the numbers computed from
// the definition by explicit sums and written out here), central finite differences of its own loss over random
// networks with every layer kind, float against double, and its errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "nn/reference/conv_backprop.hpp"
#include "reference/reference_test_util.hpp"
#include "support/expect_throw.hpp"

namespace dg::reference {
namespace {

using A = Array<double>;
using test::central_difference;
using Layer = ConvLayer<double>;

using test::mat;
using test::random_array;
using test::random_targets;

/// A plane [h, w] as a 4-d array [1, 1, h, w].
A image(A plane) {
    plane.reshape({1, 1, plane.shape()[0], plane.shape()[1]});
    return plane;
}

const A X = image(mat({{1, 0, 2}, {3, 1, 0}, {0, 2, 1}}));
const A K = image(mat({{1, 2}, {0, -1}}));  // one output channel, one input channel, 2x2
const A B = A({0.5});

// conv (2x2, stride 1) → flatten, loss ½‖a − y‖² (m = 1). z[i, j] = x[i, j] + 2 x[i, j+1] − x[i+1, j+1] + 0.5.
TEST(ConvBackprop, HandWorkedStrideOne) {
    const ConvNetParams<double> net{{Layer::conv(K, B, ActivationKind::identity), Layer::flatten()}};
    const ConvBackpropResult<double> r = conv_backprop(net, X, mat({{1, 3, 4, 2}}), Loss::mse_half);
    EXPECT_EQ(r.layers[0].z, image(mat({{0.5, 4.5}, {3.5, 0.5}})));
    EXPECT_DOUBLE_EQ(r.loss, 2.5);
    EXPECT_EQ(r.layers[1].delta, mat({{-0.5, 1.5, -0.5, -1.5}}));  // a − y
    EXPECT_EQ(r.layers[0].delta, image(mat({{-0.5, 1.5}, {-0.5, -1.5}})));  // flatten reshapes δ
    // ΔW = X correlated with δ: ΔW[u, v] = Σ_{i,j} x[i+u, j+v] δ[i, j].
    EXPECT_EQ(r.layers[0].dW, image(mat({{-3.5, 2.5}, {-3.0, -3.0}})));
    EXPECT_EQ(r.layers[0].db, A({-1.0}));
    // ∂l/∂X = δ padded by 1 correlated with the flipped kernel.
    EXPECT_EQ(r.input_grad, image(mat({{-0.5, 0.5, 3.0}, {-0.5, -2.0, -4.5}, {0.0, 0.5, 1.5}})));
    EXPECT_TRUE(r.layers[0].dW.dimension() == 4 && r.layers[1].dW.size() == 0);  // flatten has no weights
}

// The same kernel with stride 2 and padding 1: δ is dilated by 2 before the correlations.
TEST(ConvBackprop, HandWorkedStrideTwoPaddingOne) {
    const ConvNetParams<double> net{{Layer::conv(K, B, ActivationKind::identity, {2, 2}, {1, 1}), Layer::flatten()}};
    const ConvBackpropResult<double> r = conv_backprop(net, X, mat({{0, 1, -2, 1}}), Loss::mse_half);
    EXPECT_EQ(r.layers[0].z, image(mat({{-0.5, -1.5}, {6.5, 0.5}})));
    EXPECT_DOUBLE_EQ(r.loss, 39.5);
    EXPECT_EQ(r.layers[0].dW, image(mat({{-0.5, 25.5}, {-1.0, -6.0}})));
    EXPECT_EQ(r.layers[0].db, A({5.0}));
    EXPECT_EQ(r.input_grad, image(mat({{0.5, 0.0, 2.5}, {17.0, -0.5, -1.0}, {-8.5, 0.0, 0.5}})));
}

// conv → max pool 2 → flatten: the pool's one output is z's maximum 4.5 at (0, 1); δ goes there only.
// conv → avg pool 2 → flatten: the output is the mean 2.25, and δ/4 goes to all four.
TEST(ConvBackprop, HandWorkedPoolingRoutesAndSpreadsDelta) {
    const ConvNetParams<double> max_net{{Layer::conv(K, B, ActivationKind::identity), Layer::max_pool({2, 2}),
                                         Layer::flatten()}};
    const ConvBackpropResult<double> m = conv_backprop(max_net, X, mat({{4.0}}), Loss::mse_half);
    EXPECT_DOUBLE_EQ(m.layers[1].z(0, 0, 0, 0), 4.5);
    EXPECT_DOUBLE_EQ(m.loss, 0.125);
    EXPECT_EQ(m.layers[1].argmax, std::vector<std::size_t>{1});
    EXPECT_EQ(m.layers[0].delta, image(mat({{0.0, 0.5}, {0.0, 0.0}})));
    EXPECT_EQ(m.layers[0].dW, image(mat({{0.0, 1.0}, {0.5, 0.0}})));  // 0.5 · X[0:2, 1:3]

    const ConvNetParams<double> avg_net{{Layer::conv(K, B, ActivationKind::identity), Layer::avg_pool({2, 2}),
                                         Layer::flatten()}};
    const ConvBackpropResult<double> a = conv_backprop(avg_net, X, mat({{2.0}}), Loss::mse_half);
    EXPECT_DOUBLE_EQ(a.layers[1].z(0, 0, 0, 0), 2.25);
    EXPECT_EQ(a.layers[0].delta, image(mat({{0.0625, 0.0625}, {0.0625, 0.0625}})));
    EXPECT_DOUBLE_EQ(a.layers[0].db(0), 0.25);
}

// An activation between layers: δ(conv) = (routed δ) ⊙ f'(z), with tanh' = 1 − a².
TEST(ConvBackprop, ActivationDerivativeMultipliesTheRoutedDelta) {
    const ConvNetParams<double> net{{Layer::conv(K, B, ActivationKind::tanh), Layer::avg_pool({2, 2}),
                                     Layer::flatten()}};
    const ConvBackpropResult<double> r = conv_backprop(net, X, mat({{0.0}}), Loss::mse_half);
    const A z = image(mat({{0.5, 4.5}, {3.5, 0.5}}));
    double mean = 0;
    for (double v : z) mean += std::tanh(v) / 4;
    for (std::size_t k = 0; k < 4; ++k)
        EXPECT_NEAR(r.layers[0].delta.data()[k], mean / 4 * (1 - std::pow(std::tanh(z.data()[k]), 2)), 1e-15);
}

// ---- finite differences --------------------------------------------------------------------------------------

Layer random_conv(std::mt19937_64& rng, std::size_t c_out, std::size_t c_in, std::size_t kh, std::size_t kw,
                  ActivationKind f, Extent2 stride, Extent2 padding, Extent2 dilation = {1, 1}) {
    return Layer::conv(random_array(rng, {c_out, c_in, kh, kw}, 1.0 / std::sqrt(double(c_in * kh * kw))),
                       random_array(rng, {c_out}, 0.3), f, stride, padding, dilation);
}

Layer random_dense(std::mt19937_64& rng, std::size_t n_out, std::size_t n_in, ActivationKind f) {
    return Layer::dense(random_array(rng, {n_out, n_in}, 1.0 / std::sqrt(double(n_in))), random_array(rng, {n_out}, 0.3),
                        f);
}

/// Three networks covering every layer kind, stride, padding (including rows a stride skips), dilation and pooling
/// with padding, smooth activations (a ±1e-5 step never crosses a kink; max pooling's windows hold distinct values).
struct ConvProblem {
    ConvNetParams<double> net;
    A X;
    std::size_t outputs;
};

std::vector<ConvProblem> conv_problems(std::mt19937_64& rng, Loss loss) {
    const ActivationKind out = ActivationKind::identity;
    std::vector<ConvProblem> ps;
    // [2,2,7,6] → conv 3x3 pad 1 → [2,3,7,6] → max 2 → [2,3,3,3] → conv 2x2 stride 2 pad 1 → [2,2,2,2]
    // → avg 2 stride 1 pad 1 → [2,2,3,3] → flatten 18 → dense 3.
    ps.push_back({{{random_conv(rng, 3, 2, 3, 3, ActivationKind::tanh, {1, 1}, {1, 1}), Layer::max_pool({2, 2}),
                    random_conv(rng, 2, 3, 2, 2, ActivationKind::sigmoid, {2, 2}, {1, 1}),
                    Layer::avg_pool({2, 2}, {1, 1}, {1, 1}), Layer::flatten(), random_dense(rng, 3, 18, out)}},
                  random_array(rng, {2, 2, 7, 6}, 1.0), 3});
    // [3,1,6,7] → conv 3x2, dilation (2,1), stride (1,2), pad (2,1) → [3,2,6,4] → flatten 48 → dense 2.
    ps.push_back({{{random_conv(rng, 2, 1, 3, 2, ActivationKind::softplus, {1, 2}, {2, 1}, {2, 1}), Layer::flatten(),
                    random_dense(rng, 2, 48, out)}},
                  random_array(rng, {3, 1, 6, 7}, 1.0), 2});
    // [2,2,5,5] → conv 2x2 stride 2 (the last row and column are skipped) → [2,2,2,2] → max 3 stride 1 pad 1 → flatten.
    ps.push_back({{{random_conv(rng, 2, 2, 2, 2, ActivationKind::elu, {2, 2}, {0, 0}),
                    Layer::max_pool({3, 3}, {1, 1}, {1, 1}), Layer::flatten()}},
                  random_array(rng, {2, 2, 5, 5}, 1.0), 8});
    if (loss == Loss::bce) ps[1].net.layers.back().activation = ActivationKind::sigmoid;  // bce allows either
    return ps;
}

double tolerance(double fd) { return 1e-7 + 1e-6 * std::abs(fd); }

TEST(ConvBackprop, MatchesFiniteDifferencesOfItsOwnLoss) {
    std::mt19937_64 rng(18);
    for (Loss loss : {Loss::mse_half, Loss::mse, Loss::softmax_ce, Loss::bce}) {
        for (ConvProblem& p : conv_problems(rng, loss)) {
            SCOPED_TRACE(std::string(loss_name(loss)) + ", " + std::to_string(p.net.layers.size()) + " layers");
            const A Y = random_targets(rng, loss, p.X.shape()[0], p.outputs);
            const ConvBackpropResult<double> r = conv_backprop(p.net, p.X, Y, loss);
            auto f = [&] { return conv_loss(p.net, p.X, Y, loss); };
            EXPECT_NEAR(r.loss, f(), 1e-13);
            std::size_t compared = 0;
            for (std::size_t l = 0; l < p.net.layers.size(); ++l) {
                Layer& layer = p.net.layers[l];
                for (std::size_t k = 0; k < layer.W.size(); ++k, ++compared) {
                    const double fd = central_difference(layer.W.data()[k], f);
                    EXPECT_NEAR(r.layers[l].dW.data()[k], fd, tolerance(fd)) << "dW of layer " << l + 1 << " [" << k << "]";
                }
                for (std::size_t k = 0; k < layer.b.size(); ++k, ++compared) {
                    const double fd = central_difference(layer.b.data()[k], f);
                    EXPECT_NEAR(r.layers[l].db.data()[k], fd, tolerance(fd)) << "db of layer " << l + 1 << " [" << k << "]";
                }
            }
            for (std::size_t k = 0; k < p.X.size(); ++k, ++compared) {
                const double fd = central_difference(p.X.data()[k], f);
                EXPECT_NEAR(r.input_grad.data()[k], fd, tolerance(fd)) << "input_grad [" << k << "]";
            }
            EXPECT_GT(compared, 100u);
        }
    }
}

TEST(ConvBackprop, FloatAgreesWithDouble) {
    std::mt19937_64 rng(5);
    ConvProblem p = conv_problems(rng, Loss::softmax_ce)[0];
    const A Y = random_targets(rng, Loss::softmax_ce, 2, 3);
    const ConvNetParams<float> net = convert<float>(p.net);
    const ConvBackpropResult<double> d = conv_backprop(p.net, p.X, Y, Loss::softmax_ce);
    const ConvBackpropResult<float> s =
        conv_backprop(net, Array<float>(xt::cast<float>(p.X)), Array<float>(xt::cast<float>(Y)), Loss::softmax_ce);
    EXPECT_NEAR(s.loss, d.loss, 1e-5 * (1 + std::abs(d.loss)));
    for (std::size_t l = 0; l < d.layers.size(); ++l)
        for (std::size_t k = 0; k < d.layers[l].dW.size(); ++k)
            EXPECT_NEAR(s.layers[l].dW.data()[k], d.layers[l].dW.data()[k], 1e-5 + 1e-3 * std::abs(d.layers[l].dW.data()[k]));
}

TEST(ConvBackprop, Errors) {
    const A Y = mat({{0, 0, 0, 0}});
    using Net = ConvNetParams<double>;
    const auto identity = ActivationKind::identity;
    auto run = [&](const Net& net, const A& y) { return conv_backprop(net, X, y, Loss::mse_half); };
    EXPECT_THROW_MSG(run(Net{}, Y), ValueError, "conv_backprop: the network has no layers");
    EXPECT_THROW_MSG(run(Net{{Layer::conv(K, B, identity)}}, Y), ShapeError, "output has shape [1, 1, 2, 2]",
                     "expected [m, n]");
    EXPECT_THROW_MSG(run(Net{{Layer::conv(A::from_shape({1, 2, 2, 2}), B, identity), Layer::flatten()}}, Y), ShapeError,
                     "layer 1 (conv) weight has shape [1, 2, 2, 2], expected [C_out, 1, kH, kW]");
    EXPECT_THROW_MSG(run(Net{{Layer::conv(K, A({1.0, 2.0}), identity), Layer::flatten()}}, Y), ShapeError,
                     "layer 1 (conv) bias has shape [2], expected [1]");
    EXPECT_THROW_MSG(run(Net{{Layer::conv(K, B, identity, {1, 1}, {2, 2}), Layer::flatten()}}, Y), ValueError,
                     "padding (2, 2) must be at most the dilated kernel");
    EXPECT_THROW_MSG(run(Net{{Layer::conv(K, B, identity), Layer::max_pool({2, 2}, {1, 1}, {2, 2}), Layer::flatten()}}, Y),
                     ValueError, "padding at most half the kernel");
    EXPECT_THROW_MSG(run(Net{{Layer::conv(K, B, ActivationKind::softmax), Layer::flatten()}}, Y), ValueError, "no formula");
    EXPECT_THROW_MSG(run(Net{{Layer::conv(K, B, identity), Layer::flatten()}}, mat({{0, 0, 0}})), ShapeError,
                     "target Y has shape [1, 3], expected [1, 4]");
    EXPECT_THROW_MSG(run(Net{{Layer::flatten(), Layer::dense(A::from_shape({2, 5}), A({0.0, 0.0}), identity)}}, Y),
                     ShapeError, "layer 2 (dense) weight has shape [2, 5], expected [*, 9]");
}

}  // namespace
}  // namespace dg::reference
