// The notes' fixed 3-layer forward pass (seeds/003: W_1 3x4, W_2 4x4, W_3 4x3, a 7x3 batch):
// z2 = x·W1, a2 = sigmoid(z2), z3 = a2·W2, a3 = sigmoid(z3), z4 = a3·W3, y = softmax(z4) per row,
// reproduced with the library's ops and compared with the printed values; then backpropagated (against
// the hand-written delta recurrences) and gradchecked.
#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/gradcheck_assert.hpp"

using namespace dg;
using dg::test::all_close;

namespace {

// The weights and inputs exactly as the notes print them (no bias terms in this example).
Tensord notes_W1() { return Tensord({{2, -1, 1, 4}, {-1, 2, -3, 1}, {3, -2, -1, 5}}, true); }
Tensord notes_W2() { return Tensord({{3, 1, -2, 1}, {-2, 4, 1, -4}, {-1, -3, 2, -5}, {3, 1, 1, 1}}, true); }
Tensord notes_W3() { return Tensord({{-1, 3, -2}, {1, -1, -3}, {3, -2, 2}, {1, 2, 1}}, true); }
Tensord x_in() { return Tensord({.5, .8, .2}); }
Tensord x_mat_in() {
    return Tensord({{.5, .8, .2}, {.1, .9, .6}, {.2, .2, .3}, {.6, .1, .9}, {.5, .5, .4}, {.9, .1, .9}, {.1, .8, .7}});
}

struct Forward {
    Tensord z2, a2, z3, a3, z4, y;
};

Forward forward(const Tensord& x, const Tensord& w1, const Tensord& w2, const Tensord& w3) {
    Forward f;
    f.z2 = matmul(x, w1);
    f.a2 = sigmoid(f.z2);
    f.z3 = matmul(f.a2, w2);
    f.a3 = sigmoid(f.z3);
    f.z4 = matmul(f.a3, w3);
    f.y = softmax(f.z4, -1);  // soft_max_mat: one distribution per row
    return f;
}

}  // namespace

TEST(NotesForward, SingleVectorIntermediatesAsPrinted) {
    const Forward f = forward(x_in(), notes_W1(), notes_W2(), notes_W3());
    EXPECT_TRUE(all_close(f.z2, {4}, {0.8, 0.7, -2.1, 3.8}, 1e-14));
    EXPECT_TRUE(all_close(f.a2, {4}, {0.68997448, 0.66818777, 0.10909682, 0.97811873}, 1e-8));
    EXPECT_TRUE(all_close(f.y, {3}, {0.72780576, 0.26927918, 0.00291506}, 1e-8));
}

TEST(NotesForward, BatchFirstRowTo1e7AndEveryPrintedRow) {
    const Forward f = forward(x_mat_in(), notes_W1(), notes_W2(), notes_W3());
    EXPECT_TRUE(all_close(f.z2, {7, 4},
                         {0.8, 0.7, -2.1, 3.8, 1.1, 0.5, -3.2, 4.3, 1.1, -0.4, -0.7, 2.5, 3.8, -2.2, -0.6, 7.0,
                          1.7, -0.3, -1.4, 4.5, 4.4, -2.5, -0.3, 8.2, 1.5, 0.1, -3.0, 4.7},
                         1e-14));
    ASSERT_EQ(f.y.shape(), (Shape{7, 3}));
    EXPECT_NEAR(f.y.value()(0, 0), 0.72780576, 1e-7);
    EXPECT_NEAR(f.y.value()(0, 1), 0.26927918, 1e-7);
    EXPECT_NEAR(f.y.value()(0, 2), 0.00291506, 1e-7);
    EXPECT_TRUE(all_close(f.y, {7, 3},
                         {0.72780576, 0.26927918, 0.00291506, 0.62054212, 0.37682531, 0.00263257,
                          0.69267581, 0.30361576, 0.00370844, 0.36618794, 0.63016955, 0.00364252,
                          0.57199769, 0.4251982,  0.00280411, 0.38373781, 0.61163804, 0.00462415,
                          0.52510443, 0.4725011,  0.00239447},
                         1e-8));
}

TEST(NotesForward, BackwardMatchesTheDeltaRecurrences) {
    // Loss: mean cross-entropy against fixed classes. δ4 = (y - onehot)/batch, δ3 = δ4·W3ᵀ ⊙ a3(1-a3),
    // δ2 = δ3·W2ᵀ ⊙ a2(1-a2); ΔW3 = a3ᵀδ4, ΔW2 = a2ᵀδ3, ΔW1 = xᵀδ2 — computed here with plain arrays.
    Tensord w1 = notes_W1(), w2 = notes_W2(), w3 = notes_W3();
    const Tensord x = x_mat_in();
    const std::vector<std::size_t> target = {0, 1, 0, 1, 2, 1, 0};
    const Forward f = forward(x, w1, w2, w3);
    const Tensord loss = softmax_cross_entropy(f.z4, target);
    // The fused loss is -mean log y[target] of the printed distribution.
    EXPECT_NEAR(loss.item(), -mean(log(gather_rows(f.y, target))).item(), 1e-14);
    loss.backward();

    using xt::linalg::dot;
    Array<double> onehot = xt::zeros<double>({7, 3});
    for (std::size_t i = 0; i < 7; ++i) onehot(i, target[i]) = 1.0;
    const Array<double>& a2 = f.a2.value();
    const Array<double>& a3 = f.a3.value();
    const Array<double> d4 = (f.y.value() - onehot) / 7.0;
    const Array<double> d3 = dot(d4, xt::transpose(w3.value())) * a3 * (1.0 - a3);
    const Array<double> d2 = dot(d3, xt::transpose(w2.value())) * a2 * (1.0 - a2);
    EXPECT_TRUE(all_close(w3.grad().value(), Array<double>(dot(xt::transpose(a3), d4)), 1e-15, 1e-12));
    EXPECT_TRUE(all_close(w2.grad().value(), Array<double>(dot(xt::transpose(a2), d3)), 1e-15, 1e-12));
    EXPECT_TRUE(all_close(w1.grad().value(), Array<double>(dot(xt::transpose(x.value()), d2)), 1e-15, 1e-12));
}

TEST(NotesForward, GradcheckOfTheWholeNetwork) {
    const std::vector<std::size_t> target = {2, 1, 0, 1, 2, 1, 0};
    const auto net = [target](const std::vector<Tensord>& v) {
        return softmax_cross_entropy(forward(v[0], v[1], v[2], v[3]).z4, target);
    };
    Tensord x = x_mat_in();
    x.set_requires_grad();
    EXPECT_GRADCHECK(net, x, notes_W1(), notes_W2(), notes_W3());
    // The softmax output itself (a non-scalar: gradcheck projects it on a fixed random matrix).
    EXPECT_GRADCHECK([](const std::vector<Tensord>& v) { return forward(v[0], v[1], v[2], v[3]).y; }, x, notes_W1(), notes_W2(),
                     notes_W3());
    EXPECT_GRADGRADCHECK(net, x, notes_W1(), notes_W2(), notes_W3());
}
