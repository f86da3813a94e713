// Graph behaviour of the engine: accumulation (a tensor used twice, a diamond, two backward calls),
// a 10^6-long chain, freeing the graph, no_grad, retain_graph, create_graph (second derivatives, a
// Hessian-vector product), dg::grad and allow_unused, retain_grad, hooks, detach / clone, aliasing.
#include <cmath>
#include <memory>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;

TEST(Graph, TensorUsedTwiceAccumulates) {
    Tensord x({1.0, -2.0, 3.0}, true);
    sum(x * x + x).backward();  // d/dx = 2x + 1
    EXPECT_TRUE(all_close(x.grad(), {3}, {3, -3, 7}));
    Tensord y({2.0}, true);
    sum(y + y + y).backward();
    EXPECT_TRUE(all_close(y.grad(), {1}, {3}));
}

TEST(Graph, AGradientSharedBetweenSlotsIsSummedOutOfPlace) {
    // add's backward hands one tensor to both inputs, so x's slot and z's share it when x's second contribution
    // comes: the engine adds in place only into a tensor its slot alone holds (else z's hook, and y, would see 2).
    Tensord x({1.0, 2.0}, true), y({3.0, 4.0}, true);
    Tensord z = x + y;
    Tensord kept;
    z.register_hook([&](const Tensord& g) {
        kept = g;  // the handle itself, not a copy
        return Tensord();
    });
    sum(z + x).backward();
    EXPECT_TRUE(all_close(x.grad(), {2}, {2, 2}));
    EXPECT_TRUE(all_close(y.grad(), {2}, {1, 1}));
    EXPECT_TRUE(all_close(kept, {2}, {1, 1}));
}

TEST(Graph, AWeightUsedManyTimesAccumulatesEveryUse) {
    // The tiny-op chain: w's slot receives 50 contributions, added in place after the first.
    Tensord w({0.5}, true), b({0.25}, true);
    Tensord x({1.0}, true);
    double value = 1.0, dvalue_dw = 0.0, dvalue_db = 0.0;
    for (int i = 0; i < 50; ++i) {
        x = x * w + b;
        dvalue_dw = dvalue_dw * 0.5 + value;  // d(v·w + b)/dw = dv/dw·w + v
        dvalue_db = dvalue_db * 0.5 + 1.0;
        value = value * 0.5 + 0.25;
    }
    sum(x).backward();
    EXPECT_NEAR(w.grad().item(), dvalue_dw, 1e-12);
    EXPECT_NEAR(b.grad().item(), dvalue_db, 1e-12);
}

TEST(Graph, DiamondFanOutFanIn) {
    // x -> a = exp(x), b = x^2 -> c = a * b + sin-free mix -> L = sum(c)
    // dL/dx = d(e^x · x²)/dx + d(3x)/dx = e^x·x² + 2x·e^x + 3
    Tensord x({0.5, -1.0}, true);
    const Tensord a = exp(x);
    const Tensord b = x * x;
    const Tensord c = a * b + x * 3.0;
    sum(c).backward();
    for (std::size_t i = 0; i < 2; ++i) {
        const double v = x.at(i);
        EXPECT_NEAR(x.grad().at(i), std::exp(v) * v * v + 2 * v * std::exp(v) + 3, 1e-14);
    }
}

TEST(Graph, DiamondWithSharedInnerNode) {
    // h = tanh(w·x) is used by two branches: L = sum(h*2) + sum(h*h). dL/dh = 2 + 2h; dL/dw = Σ (2+2h)(1-h²) x
    Tensord w = Tensord::scalar(0.7, true);
    const Tensord x({0.3, -0.5, 1.2});
    const Tensord h = tanh(w * x);
    const Tensord L = sum(h * 2.0) + sum(h * h);
    L.backward();
    double expected = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const double hv = std::tanh(0.7 * x.at(i));
        expected += (2 + 2 * hv) * (1 - hv * hv) * x.at(i);
    }
    EXPECT_NEAR(w.grad().item(), expected, 1e-14);
}

TEST(Graph, GradientsAccumulateAcrossBackwardCalls) {
    Tensord x({1.0, 2.0}, true);
    sum(x * 3.0).backward();
    sum(x * x).backward();  // second graph: adds 2x
    EXPECT_TRUE(all_close(x.grad(), {2}, {5, 7}));
    x.zero_grad();
    EXPECT_FALSE(x.has_grad());
    sum(x * 3.0).backward();
    EXPECT_TRUE(all_close(x.grad(), {2}, {3, 3}));
}

TEST(Graph, MillionLongChainBackwardsAndFrees) {
    // y = ((x + 1) * 1 + 1)... : the engine's sort, sweep and the node destructor must not recurse.
    constexpr int kLength = 1'000'000;
    Tensord x({0.5, -0.5}, true);
    std::weak_ptr<Node<double>> inner;
    {
        Tensord y = x;
        for (int i = 0; i < kLength; ++i) {
            y = add(y, 1e-6);
            if (i == kLength / 2) inner = y.node_ptr();
        }
        EXPECT_NEAR(y.at(0), 1.5, 1e-6);
        EXPECT_FALSE(inner.expired());
        sum(y).backward();
        // Backward frees the graph as it goes: the chain is gone although y is still alive.
        EXPECT_TRUE(inner.expired());
        EXPECT_NEAR(y.at(1), 0.5, 1e-6);
    }
    EXPECT_TRUE(all_close(x.grad(), {2}, {1, 1}));
}

TEST(Graph, MillionLongMulAddChainWithRetainGraph) {
    // The retained 10^6-deep graph is freed by the iterative Node destructor when the last handle goes.
    // x = x * w + b for 10^6 steps with w = 1, b = 1e-6: dL/dx0 = 1, dL/dw = Σ x_k, dL/db = 10^6.
    constexpr int kLength = 1'000'000;
    Tensord x0 = Tensord::scalar(0.0, true);
    Tensord w = Tensord::scalar(1.0, true), b = Tensord::scalar(1e-6, true);
    std::weak_ptr<Node<double>> inner;
    {
        Tensord y = x0;
        for (int i = 0; i < kLength; ++i) {
            y = y * w + b;
            if (i == 10) inner = y.node_ptr();
        }
        y.backward(/*retain_graph=*/true);
        EXPECT_NEAR(x0.grad().item(), 1.0, 1e-12);
        EXPECT_NEAR(b.grad().item(), 1e6, 1e-6);
        // Σ_{k=0}^{n-1} k·1e-6 = 1e-6 · n(n-1)/2
        EXPECT_NEAR(w.grad().item(), 1e-6 * kLength * (kLength - 1.0) / 2, 1e-3);
    }
    EXPECT_TRUE(inner.expired());
}

TEST(Graph, GraphIsFreedAfterBackward) {
    Tensord x({1.0, 2.0}, true);
    std::weak_ptr<Node<double>> inner_node;
    Tensord L;
    {
        const Tensord h = tanh(x * 2.0);
        inner_node = h.node_ptr();
        L = sum(h * h);
    }
    EXPECT_FALSE(inner_node.expired());  // L's node holds h until backward frees the graph
    L.backward();
    EXPECT_TRUE(inner_node.expired());
    EXPECT_TRUE(L.defined());
    EXPECT_FALSE(L.is_leaf());
}

TEST(Graph, GraphIsFreedWhenHandlesGoWithoutBackward) {
    Tensord x({1.0, 2.0}, true);
    std::weak_ptr<Node<double>> inner_node, root_node;
    {
        const Tensord h = exp(x);
        inner_node = h.node_ptr();
        const Tensord L = sum(h);
        root_node = L.node_ptr();
    }
    EXPECT_TRUE(inner_node.expired());
    EXPECT_TRUE(root_node.expired());
}

TEST(Graph, NoGradGuardBuildsNoGraph) {
    Tensord x({1.0, 2.0}, true);
    Tensord y;
    {
        NoGradGuard ng;
        EXPECT_FALSE(grad_enabled());
        y = exp(x) * x + 1.0;
    }
    EXPECT_TRUE(grad_enabled());
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    EXPECT_STREQ(y.op(), "add_scalar");  // the op is still named, but nothing was recorded
    EXPECT_EQ(y.node()->inputs.size(), 0u);
    EXPECT_NEAR(y.at(1), std::exp(2.0) * 2 + 1, 1e-12);
    // Nested guards restore the previous mode.
    {
        NoGradGuard a;
        {
            NoGradGuard b;
        }
        EXPECT_FALSE(grad_enabled());
    }
    EXPECT_TRUE(grad_enabled());
}

TEST(Graph, RetainGraphAllowsSecondBackwardAndDoublesLeafGrads) {
    Tensord x({1.0, -2.0}, true);
    const Tensord L = sum(x * x * x);  // 3x²
    L.backward(/*retain_graph=*/true);
    EXPECT_TRUE(all_close(x.grad(), {2}, {3, 12}));
    L.backward();
    EXPECT_TRUE(all_close(x.grad(), {2}, {6, 24}));
}

TEST(Graph, CreateGraphSecondDerivativeOfCube) {
    for (double v : {-1.5, 0.5, 2.0}) {
        Tensord x = Tensord::scalar(v, true);
        const Tensord y = x * x * x;
        const Tensord dy = grad<double>({y}, {x}, {}, /*create_graph=*/true)[0];
        EXPECT_NEAR(dy.item(), 3 * v * v, 1e-13);
        EXPECT_TRUE(dy.requires_grad());
        const Tensord d2y = grad<double>({dy}, {x}, {}, true)[0];
        EXPECT_NEAR(d2y.item(), 6 * v, 1e-13);
        const Tensord d3y = grad<double>({d2y}, {x})[0];
        EXPECT_NEAR(d3y.item(), 6.0, 1e-13);
    }
}

TEST(Graph, CreateGraphThroughBackwardIntoGrad) {
    // backward(create_graph) stores a differentiable .grad; backward of that gives the second derivative.
    Tensord x = Tensord::scalar(1.5, true);
    pow(x, 4.0).backward(/*retain_graph=*/false, /*create_graph=*/true);
    EXPECT_NEAR(x.grad().item(), 4 * std::pow(1.5, 3), 1e-12);
    const Tensord g = x.grad();
    x.zero_grad();
    g.backward();
    EXPECT_NEAR(x.grad().item(), 12 * 1.5 * 1.5, 1e-12);
}

TEST(Graph, HessianVectorProductViaGradTwice) {
    // f(x) = Σ_i x_i² x_{i+1} + Σ exp(x): H is tridiagonal plus diag(exp(x)); check H·v against it.
    const Array<double> xv = {0.3, -0.7, 1.1, 0.4};
    const Array<double> vv = {1.0, -2.0, 0.5, 3.0};
    Tensord x{Array<double>(xv), true};
    const Tensord v{Array<double>(vv)};
    Tensord f = sum(exp(x));
    for (std::size_t i = 0; i + 1 < 4; ++i)
        f = f + narrow(x, 0, i, 1) * narrow(x, 0, i, 1) * narrow(x, 0, i + 1, 1);
    const Tensord g = grad<double>({sum(f)}, {x}, {}, true)[0];
    const Tensord hv = grad<double>({sum(g * v)}, {x})[0];
    Array<double> H = xt::zeros<double>({4, 4});
    for (std::size_t i = 0; i < 4; ++i) H(i, i) = std::exp(xv(i));
    for (std::size_t i = 0; i + 1 < 4; ++i) {
        H(i, i) += 2 * xv(i + 1);
        H(i, i + 1) += 2 * xv(i);
        H(i + 1, i) += 2 * xv(i);
    }
    const Array<double> expected = xt::linalg::dot(H, vv);
    EXPECT_TRUE(all_close(hv.value(), expected, 1e-13, 1e-12));
    EXPECT_FALSE(x.has_grad());
}

TEST(Graph, GradReturnsWithoutTouchingDotGrad) {
    Tensord a({1.0, 2.0}, true), b({3.0, 4.0}, true);
    const Tensord L = sum(a * b);
    const auto gs = grad<double>({L}, {a, b});
    EXPECT_TRUE(all_close(gs[0], {2}, {3, 4}));
    EXPECT_TRUE(all_close(gs[1], {2}, {1, 2}));
    EXPECT_FALSE(a.has_grad());
    EXPECT_FALSE(b.has_grad());
    // Without create_graph the results are plain values.
    EXPECT_FALSE(gs[0].requires_grad());
}

TEST(Graph, GradWithRespectToAnInnerNode) {
    Tensord x({1.0, 2.0}, true);
    const Tensord h = x * 3.0;
    const Tensord L = sum(h * h);
    const auto gh = grad<double>({L}, {h});
    EXPECT_TRUE(all_close(gh[0], {2}, {6, 12}));  // 2h
}

TEST(Graph, GradAllowUnused) {
    Tensord a({1.0}, true), unused({5.0}, true);
    const Tensord L = sum(a * 2.0);
    const auto gs = grad<double>({L}, {a, unused}, {}, false, /*allow_unused=*/true);
    EXPECT_TRUE(all_close(gs[0], {1}, {2}));
    EXPECT_FALSE(gs[1].defined());
    const Tensord L2 = sum(a * 2.0);
    EXPECT_THROW(grad<double>({L2}, {a, unused}), GraphError);
}

TEST(Graph, GradWithExplicitOutputGradient) {
    Tensord x({1.0, 2.0, 3.0}, true);
    const Tensord y = x * x;
    const auto g = grad<double>({y}, {x}, {Tensord({1.0, 0.0, -1.0})});
    EXPECT_TRUE(all_close(g[0], {3}, {2, 0, -6}));
}

TEST(Graph, RetainGradOnANonLeaf) {
    Tensord x({1.0, 2.0}, true);
    Tensord h = x * 3.0;
    h.retain_grad();
    Tensord k = x * 2.0;  // does not retain
    sum(h * h + k).backward();
    EXPECT_TRUE(all_close(h.grad(), {2}, {6, 12}));
    EXPECT_TRUE(all_close(x.grad(), {2}, {18 + 2, 36 + 2}));
    EXPECT_THROW(k.grad(), GraphError);
}

TEST(Graph, HookObservesTheGradient) {
    Tensord x({1.0, 2.0}, true);
    Tensord seen;
    int calls = 0;
    x.register_hook([&](const Tensord& g) {
        seen = g.detach();
        ++calls;
        return Tensord();  // keep the gradient
    });
    sum(x * x).backward();
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(all_close(seen, {2}, {2, 4}));
    EXPECT_TRUE(all_close(x.grad(), {2}, {2, 4}));
}

TEST(Graph, HookReplacesTheGradientAndItFlowsOn) {
    // A hook on an inner node scales the gradient by 10 before it reaches x.
    Tensord x({1.0, 2.0}, true);
    Tensord h = x * 2.0;
    h.register_hook([](const Tensord& g) { return g * 10.0; });
    sum(h * h).backward();  // dL/dh = 2h = [4, 8] -> hooked [40, 80] -> dx = 2 * that
    EXPECT_TRUE(all_close(x.grad(), {2}, {80, 160}));
    // A hook on a leaf replaces what is accumulated.
    Tensord y({3.0}, true);
    y.register_hook([](const Tensord& g) { return g * 0.0 + 7.0; });
    sum(y * y).backward();
    EXPECT_TRUE(all_close(y.grad(), {1}, {7}));
}

TEST(Graph, DetachCopiesAndLeavesTheGraph) {
    Tensord x({1.0, 2.0}, true);
    const Tensord h = x * 2.0;
    Tensord d = h.detach();
    EXPECT_TRUE(d.is_leaf());
    EXPECT_FALSE(d.requires_grad());
    EXPECT_TRUE(all_close(d, {2}, {2, 4}));
    // detach copies the value: changing it does not reach h (unlike PyTorch, which shares storage).
    d.mutable_value()(0) = 99.0;
    EXPECT_DOUBLE_EQ(h.at(0), 2.0);
    // A detached branch contributes no gradient.
    sum(x * h.detach()).backward();
    EXPECT_TRUE(all_close(x.grad(), {2}, {2, 4}));
}

TEST(Graph, CloneIsADifferentiableCopy) {
    Tensord x({1.0, 2.0}, true);
    Tensord c = x.clone();
    EXPECT_FALSE(c.same(x));
    EXPECT_FALSE(c.is_leaf());
    EXPECT_STREQ(c.op(), "clone");
    sum(c * c).backward();
    EXPECT_TRUE(all_close(x.grad(), {2}, {2, 4}));
    {
        NoGradGuard ng;
        c.mutable_value()(1) = -5.0;
    }
    EXPECT_DOUBLE_EQ(x.at(1), 2.0);
}

TEST(Graph, CopyingATensorAliases) {
    // Tensor is a handle: a copy shares value and grad with the original.
    Tensord a({1.0, 2.0}, true);
    Tensord b = a;
    EXPECT_TRUE(b.same(a));
    {
        NoGradGuard ng;
        b.mutable_value()(0) = 42.0;
    }
    EXPECT_DOUBLE_EQ(a.at(0), 42.0);
    sum(b * 3.0).backward();
    EXPECT_TRUE(all_close(a.grad(), {2}, {3, 3}));
    EXPECT_GT(a.version(), 0u);
    EXPECT_EQ(a.version(), b.version());
}

TEST(Graph, LeafRequiresGradBookkeeping) {
    Tensord c({1.0, 2.0});
    EXPECT_FALSE(c.requires_grad());
    EXPECT_TRUE(c.is_leaf());
    const Tensord y = c * 2.0;
    EXPECT_FALSE(y.requires_grad());  // no input requires grad: nothing recorded
    EXPECT_TRUE(y.is_leaf());
    c.set_requires_grad();
    const Tensord z = c * 2.0;
    EXPECT_TRUE(z.requires_grad());
    EXPECT_FALSE(z.is_leaf());
    EXPECT_FALSE(c.has_grad());
    EXPECT_FALSE(c.grad().defined());
}

TEST(Graph, BackwardWithExplicitGradientOnNonScalar) {
    Tensord x({{1.0, 2.0}, {3.0, 4.0}}, true);
    (x * x).backward(Tensord({{1.0, 0.5}, {0.0, -1.0}}));
    EXPECT_TRUE(all_close(x.grad(), {2, 2}, {2, 2, 0, -8}));
}

TEST(Graph, MultipleRootsInOneBackward) {
    Tensord x({1.0, 2.0}, true);
    const Tensord a = sum(x * x), b = sum(x * 5.0);
    backward<double>({a, b}, {Tensord(), Tensord::scalar(2.0)});
    EXPECT_TRUE(all_close(x.grad(), {2}, {2 + 10, 4 + 10}));
}

TEST(Graph, FloatTensorsWorkToo) {
    Tensorf x({1.0f, 2.0f}, true);
    sum(sigmoid(x) * 2.0f).backward();
    const float s0 = 1 / (1 + std::exp(-1.0f)), s1 = 1 / (1 + std::exp(-2.0f));
    EXPECT_NEAR(x.grad().at(0), 2 * s0 * (1 - s0), 1e-6);
    EXPECT_NEAR(x.grad().at(1), 2 * s1 * (1 - s1), 1e-6);
}

TEST(Graph, AccumulatingIntoAGradThatCarriesAGraphDoesNotMutateIt) {
    // Gradient-penalty pattern: backward(create_graph) leaves a differentiable x.grad; a later backward
    // without zero_grad must add out of place (x.grad = x.grad + g), leaving the earlier handle intact.
    Tensord x = Tensord::scalar(1.5, true);
    pow(x, 4.0).backward(false, true);
    const Tensord g = x.grad();  // 4x³ = 13.5, a graph tensor
    ASSERT_TRUE(g.requires_grad());
    g.backward();  // adds d(4x³)/dx = 12x² = 27
    EXPECT_NEAR(x.grad().item(), 13.5 + 27.0, 1e-12);
    EXPECT_NEAR(g.item(), 13.5, 1e-12);
    EXPECT_FALSE(x.grad().same(g));
}
