// One 2-2-1 sigmoid MLP at two granularities: one 0-d tensor per weight with every neuron sum written out
// (micrograd style), and matrices through dg::linear. Both give the same loss and gradients (to 1e-12), and
// both match the delta recurrences computed with plain doubles.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.hpp"

using namespace dg;

namespace {

// Fixed weights (W1 [2 out, 2 in], PyTorch's layout) and the four XOR points. The same numbers as
// examples/two_granularities.cpp, repeated on purpose: an edit of the example must not change what is tested.
const double W1[2][2] = {{0.15, -0.25}, {0.35, 0.45}};
const double B1[2] = {0.1, -0.2};
const double W2[2] = {0.6, -0.4};
const double B2 = 0.05;
const double X[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
const double Y[4] = {0, 1, 1, 0};

struct ScalarNet {
    Tensord w1[2][2], b1[2], w2[2], b2;
    ScalarNet() {
        for (int j = 0; j < 2; ++j) {
            for (int i = 0; i < 2; ++i) w1[j][i] = Tensord::scalar(W1[j][i], true);
            b1[j] = Tensord::scalar(B1[j], true);
            w2[j] = Tensord::scalar(W2[j], true);
        }
        b2 = Tensord::scalar(B2, true);
    }
    // Σ over the samples of ½(o − y)², each neuron's weighted sum written out term by term.
    Tensord loss() const {
        Tensord total = Tensord::scalar(0.0);
        for (int s = 0; s < 4; ++s) {
            const Tensord x1 = Tensord::scalar(X[s][0]), x2 = Tensord::scalar(X[s][1]);
            const Tensord h0 = sigmoid(w1[0][0] * x1 + w1[0][1] * x2 + b1[0]);
            const Tensord h1 = sigmoid(w1[1][0] * x1 + w1[1][1] * x2 + b1[1]);
            const Tensord o = sigmoid(w2[0] * h0 + w2[1] * h1 + b2);
            const Tensord d = o - Tensord::scalar(Y[s]);
            total = total + 0.5 * d * d;
        }
        return total;
    }
};

struct MatrixNet {
    Tensord w1 = Tensord({{W1[0][0], W1[0][1]}, {W1[1][0], W1[1][1]}}, true);
    Tensord b1 = Tensord({B1[0], B1[1]}, true);
    Tensord w2 = Tensord({{W2[0], W2[1]}}, true);
    Tensord b2 = Tensord({B2}, true);
    Tensord loss() const {
        const Tensord x({{X[0][0], X[0][1]}, {X[1][0], X[1][1]}, {X[2][0], X[2][1]}, {X[3][0], X[3][1]}});
        const Tensord y = reshape(Tensord({Y[0], Y[1], Y[2], Y[3]}), {4, 1});
        const Tensord h = sigmoid(linear(x, w1, b1));
        const Tensord d = sigmoid(linear(h, w2, b2)) - y;
        return 0.5 * sum(d * d);
    }
};

double sig(double z) { return 1 / (1 + std::exp(-z)); }

}  // namespace

TEST(TwoGranularities, ScalarAndMatrixGraphsGiveIdenticalGradients) {
    ScalarNet sn;
    MatrixNet mn;
    const Tensord ls = sn.loss(), lm = mn.loss();
    EXPECT_NEAR(ls.item(), lm.item(), 1e-12);
    ls.backward();
    lm.backward();
    for (int j = 0; j < 2; ++j) {
        for (int i = 0; i < 2; ++i)
            EXPECT_NEAR(sn.w1[j][i].grad().item(), mn.w1.grad().at(2 * j + i), 1e-12) << "w1[" << j << "][" << i << "]";
        EXPECT_NEAR(sn.b1[j].grad().item(), mn.b1.grad().at(j), 1e-12) << "b1[" << j << "]";
        EXPECT_NEAR(sn.w2[j].grad().item(), mn.w2.grad().at(j), 1e-12) << "w2[" << j << "]";
    }
    EXPECT_NEAR(sn.b2.grad().item(), mn.b2.grad().item(), 1e-12);
}

TEST(TwoGranularities, BothMatchTheDeltaRecurrences) {
    // δ2 = (o − y)·o(1−o); δ1_j = w2_j·δ2·h_j(1−h_j); ΔW2_j = Σ δ2 h_j; ΔW1_ji = Σ δ1_j x_i; Δb = Σ δ.
    double gw1[2][2] = {}, gb1[2] = {}, gw2[2] = {}, gb2 = 0, loss = 0;
    for (int s = 0; s < 4; ++s) {
        double h[2];
        for (int j = 0; j < 2; ++j) h[j] = sig(W1[j][0] * X[s][0] + W1[j][1] * X[s][1] + B1[j]);
        const double o = sig(W2[0] * h[0] + W2[1] * h[1] + B2);
        loss += 0.5 * (o - Y[s]) * (o - Y[s]);
        const double d2 = (o - Y[s]) * o * (1 - o);
        gb2 += d2;
        for (int j = 0; j < 2; ++j) {
            gw2[j] += d2 * h[j];
            const double d1 = W2[j] * d2 * h[j] * (1 - h[j]);
            gb1[j] += d1;
            for (int i = 0; i < 2; ++i) gw1[j][i] += d1 * X[s][i];
        }
    }
    ScalarNet sn;
    MatrixNet mn;
    const Tensord ls = sn.loss(), lm = mn.loss();
    EXPECT_NEAR(ls.item(), loss, 1e-12);
    ls.backward();
    lm.backward();
    for (int j = 0; j < 2; ++j) {
        for (int i = 0; i < 2; ++i) {
            EXPECT_NEAR(sn.w1[j][i].grad().item(), gw1[j][i], 1e-12);
            EXPECT_NEAR(mn.w1.grad().at(2 * j + i), gw1[j][i], 1e-12);
        }
        EXPECT_NEAR(sn.b1[j].grad().item(), gb1[j], 1e-12);
        EXPECT_NEAR(mn.b1.grad().at(j), gb1[j], 1e-12);
        EXPECT_NEAR(sn.w2[j].grad().item(), gw2[j], 1e-12);
        EXPECT_NEAR(mn.w2.grad().at(j), gw2[j], 1e-12);
    }
    EXPECT_NEAR(sn.b2.grad().item(), gb2, 1e-12);
    EXPECT_NEAR(mn.b2.grad().item(), gb2, 1e-12);
    // Not a degenerate case: the gradients are far from zero.
    EXPECT_GT(std::abs(gw1[1][1]), 1e-4);
    EXPECT_GT(std::abs(gw2[0]), 1e-3);
}
