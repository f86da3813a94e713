// UpdateInBackward (nn/optim/update_in_backward.hpp): the SGD update applied during backward, an observer of the
// engine. Every result is compared with the unfused computation (backward, then value ← decay·value − lr·grad written
// out here), on the linear op's direct path (the update is its weight-gradient GEMM, also split over threads, and its
// bias's rows), on the engine's path (tied weights, hooks, matmul), and where the guard must be ignored (grad(),
// create_graph, after the guard is gone).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/optim/update_in_backward.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/random_tensor.hpp"
#include "support/with_threads.hpp"

namespace dg {
namespace {

using test::all_close;
using test::randn;
using optim::UpdateInBackward;

constexpr double lr = 0.1;
constexpr double decay = 0.99;

/// A two-layer network's loss: sum(sigmoid(x·W1ᵀ + b1)·W2ᵀ + b2)² / batch.
struct Net {
    Tensor<double> w1, b1, w2, b2;
    explicit Net(std::size_t in = 5, std::size_t hidden = 4, std::size_t out = 3)
        : w1(randn({hidden, in}, 1)), b1(randn({hidden}, 2)), w2(randn({out, hidden}, 3)), b2(randn({out}, 4)) {}
    std::vector<Tensor<double>> params() const { return {w1, b1, w2, b2}; }
    Tensor<double> loss(const Tensor<double>& x) const {
        const Tensor<double> y = linear(sigmoid(linear(x, w1, b1)), w2, b2);
        return mean(mul(y, y));
    }
};

/// The unfused result: each parameter after backward and value ← decay·value − lr·grad.
std::vector<Array<double>> unfused_step(const Net& net, const Tensor<double>& x) {
    std::vector<Tensor<double>> copies;
    for (const auto& p : net.params()) copies.push_back(Tensor<double>(Array<double>(p.value()), true));
    Net n = net;
    n.w1 = copies[0], n.b1 = copies[1], n.w2 = copies[2], n.b2 = copies[3];
    n.loss(x).backward();
    std::vector<Array<double>> out;
    for (const auto& p : copies) out.push_back(Array<double>(decay * p.value() - lr * p.grad().value()));
    return out;
}

TEST(UpdateInBackward, LinearLayersEqualBackwardThenUpdate) {
    // Batch 1: each bias is updated from its one row of gradient; batch 6: from the rows' sums.
    for (const std::size_t batch : {1, 6}) {
        const Net net;
        const Tensor<double> x = randn({batch, 5}, 5, false);
        const auto expected = unfused_step(net, x);
        {
            UpdateInBackward<double> in_backward;
            for (const auto& p : net.params()) in_backward.add(p, lr, decay);
            net.loss(x).backward();
        }
        const auto params = net.params();
        for (std::size_t i = 0; i < params.size(); ++i) {
            EXPECT_TRUE(all_close(params[i].value(), expected[i], 1e-14, 1e-12))
                << "parameter " << i << ", batch " << batch;
            EXPECT_FALSE(params[i].has_grad()) << "parameter " << i << " kept a .grad";
        }
    }
}

TEST(UpdateInBackward, SplitOverThreadsEqualsBackwardThenUpdate) {
    // 256·784·100 multiply-adds: the weight-gradient GEMM is split over the threads, each writing its part of W.
    const dg::test::WithThreads two(2);
    const Net net(784, 100, 10);
    const Tensor<double> x = randn({256, 784}, 6, false);
    const auto expected = unfused_step(net, x);
    {
        UpdateInBackward<double> in_backward;
        for (const auto& p : net.params()) in_backward.add(p, lr, decay);
        net.loss(x).backward();
    }
    const auto params = net.params();
    for (std::size_t i = 0; i < params.size(); ++i)
        EXPECT_TRUE(all_close(params[i].value(), expected[i], 1e-14, 1e-12)) << "parameter " << i;
}

TEST(UpdateInBackward, TiedWeightIsUpdatedOnceWithTheWholeGradient) {
    // W feeds two linear ops: neither may write it, and the second must see the old W. The engine applies
    // the summed gradient when it reaches the leaf.
    const Tensor<double> w = randn({4, 4}, 7);
    const Tensor<double> x = randn({3, 4}, 8, false);
    const Tensor<double> ref(Array<double>(w.value()), true);
    sum(linear(tanh(linear(x, ref)), ref)).backward();
    const Array<double> expected = decay * ref.value() - lr * ref.grad().value();

    UpdateInBackward<double> in_backward;
    in_backward.add(w, lr, decay);
    sum(linear(tanh(linear(x, w)), w)).backward();
    EXPECT_TRUE(all_close(w.value(), expected, 1e-14, 1e-12));
}

TEST(UpdateInBackward, HookSeesTheGradientAndCanReplaceIt) {
    Tensor<double> w = randn({3, 2}, 9);
    const Tensor<double> x = randn({4, 2}, 10, false);
    const Array<double> before = w.value();
    Array<double> seen;
    w.register_hook([&seen](const Tensor<double>& g) {
        seen = g.value();
        return mul(g, Scalar<double>(2.0));
    });
    UpdateInBackward<double> in_backward;
    in_backward.add(w, lr, decay);
    sum(linear(x, w)).backward();
    ASSERT_EQ(seen.size(), w.numel());
    EXPECT_TRUE(all_close(w.value(), Array<double>(decay * before - lr * 2.0 * seen), 1e-14, 1e-12));
}

TEST(UpdateInBackward, MatmulOperandUpdatedByTheEngine) {
    const Tensor<double> a = randn({3, 4}, 11);
    const Tensor<double> b = randn({4, 2}, 12);
    const Tensor<double> ra(Array<double>(a.value()), true), rb(Array<double>(b.value()), true);
    sum(matmul(ra, rb)).backward();
    UpdateInBackward<double> in_backward;
    in_backward.add(a, lr);  // decay defaults to 1
    sum(matmul(a, b)).backward();
    EXPECT_TRUE(all_close(a.value(), Array<double>(ra.value() - lr * ra.grad().value()), 1e-14, 1e-12));
    EXPECT_FALSE(a.has_grad());
    EXPECT_TRUE(all_close(b.grad().value(), rb.grad().value(), 1e-14, 1e-12));  // not registered: a .grad as usual
}

TEST(UpdateInBackward, GemmRightOperandEqualsBackwardThenUpdate) {
    // linear without bias and matmul are the gemm op: its right operand may take the update in its GEMM.
    for (const bool transposed : {false, true}) {
        const Tensor<double> a = randn({3, 4}, 21);
        const Tensor<double> b = transposed ? randn({2, 4}, 22) : randn({4, 2}, 22);
        const Tensor<double> ra(Array<double>(a.value()), true), rb(Array<double>(b.value()), true);
        auto loss = [transposed](const Tensor<double>& x, const Tensor<double>& w) {
            const Tensor<double> y = transposed ? linear(x, w) : matmul(x, w);
            return sum(mul(y, y));
        };
        loss(ra, rb).backward();
        UpdateInBackward<double> in_backward;
        in_backward.add(b, lr, decay);
        loss(a, b).backward();
        EXPECT_TRUE(all_close(b.value(), Array<double>(decay * rb.value() - lr * rb.grad().value()), 1e-14, 1e-12));
        EXPECT_TRUE(all_close(a.grad().value(), ra.grad().value(), 1e-14, 1e-12));  // computed with the old b
    }
}

TEST(UpdateInBackward, GradAndCreateGraphIgnoreTheGuard) {
    const Tensor<double> w = randn({3, 2}, 13);
    const Tensor<double> x = randn({4, 2}, 14, false);
    const Array<double> before = w.value();
    UpdateInBackward<double> in_backward;
    in_backward.add(w, lr, decay);
    const auto g = grad<double>({sum(linear(x, w))}, {w});
    EXPECT_TRUE(all_close(w.value(), before, 0, 0));
    sum(linear(x, w)).backward(false, true);
    EXPECT_TRUE(all_close(w.value(), before, 0, 0));
    EXPECT_TRUE(all_close(w.grad().value(), g[0].value(), 1e-14, 1e-12));
}

TEST(UpdateInBackward, GuardEndsTheUpdatesEvenAfterAThrow) {
    Tensor<double> w = randn({3, 2}, 15);
    const Tensor<double> x = randn({4, 2}, 16, false);
    {
        UpdateInBackward<double> in_backward;
        in_backward.add(w, lr, decay);
        const Tensor<double> y = sum(linear(x, w));
        {
            NoGradGuard no_grad;
            w.mutable_value()(0, 0) += 1.0;  // invalidates the saved W: backward throws
        }
        EXPECT_THROW(y.backward(), GraphError);
    }
    const Array<double> before = w.value();
    sum(linear(x, w)).backward();
    EXPECT_TRUE(all_close(w.value(), before, 0, 0));
    EXPECT_TRUE(w.has_grad());
}

TEST(UpdateInBackward, RetainedGraphCannotBackwardThroughTheUpdatedLeaf) {
    const Tensor<double> w = randn({3, 2}, 17);
    const Tensor<double> x = randn({4, 2}, 18, false);
    UpdateInBackward<double> in_backward;
    in_backward.add(w, lr, decay);
    const Tensor<double> y = sum(linear(x, w));
    y.backward(true);
    EXPECT_TRUE(test::throws_with<GraphError>([&] { y.backward(); }, {"modified in place"}));
}

TEST(UpdateInBackward, RejectsWhatItCannotUpdate) {
    const Tensor<double> w = randn({3, 2}, 19);
    UpdateInBackward<double> in_backward;
    EXPECT_TRUE(test::throws_with<GraphError>([&] { in_backward.add(randn({2}, 20, false), lr); }, {"requires grad"}));
    EXPECT_TRUE(test::throws_with<GraphError>([&] { in_backward.add(mul(w, w), lr); }, {"leaf"}));
    EXPECT_TRUE(test::throws_with<GraphError>([&] { in_backward.add(Tensor<double>(), lr); }, {"leaf"}));
    EXPECT_TRUE(test::throws_with<ValueError>([&] { in_backward.add(w, std::numeric_limits<double>::quiet_NaN()); }, {"finite"}));
    in_backward.add(w, lr);
    EXPECT_TRUE(test::throws_with<GraphError>([&] { in_backward.add(w, lr); }, {"registered already"}));
    // Rows offered as a gradient need one column per element of the leaf (w has 6).
    const Array<double> rows = xt::ones<double>({2, 5});
    EXPECT_TRUE(test::throws_with<ShapeError>([&] { in_backward.take_leaf_grad_row_sum(*w.node(), rows); },
                                              {"one column per element"}));
}

}  // namespace
}  // namespace dg
