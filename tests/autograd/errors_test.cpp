// Errors: each misuse throws its own type (ShapeError, GraphError, ValueError) with a message naming the
// op and the shapes or state. log/sqrt of a negative entry is NaN, not an error.
#include <cmath>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/expect_throw.hpp"
#include "support/random_tensor.hpp"

using namespace dg;

namespace {
Tensord m34() { return dg::test::randn({3, 4}, 1); }
}  // namespace

TEST(Errors, BroadcastMismatchNamesOpAndShapes) {
    const Tensord a = m34(), b = dg::test::randn({3}, 2);
    EXPECT_THROW_MSG(add(a, b), ShapeError, "add", "[3, 4]", "[3]", "do not broadcast");
    EXPECT_THROW_MSG(a - b, ShapeError, "sub", "[3, 4]", "[3]");
    EXPECT_THROW_MSG(a * b, ShapeError, "mul", "[3, 4]", "[3]");
    EXPECT_THROW_MSG(a / b, ShapeError, "div", "[3, 4]", "[3]");
    EXPECT_THROW_MSG(pow(a, b), ShapeError, "pow", "[3, 4]", "[3]");
    EXPECT_THROW_MSG(maximum(a, b), ShapeError, "maximum", "[3, 4]");
    EXPECT_THROW_MSG(minimum(a, b), ShapeError, "minimum", "[3, 4]");
    EXPECT_THROW_MSG(add(dg::test::randn({2, 3}, 3), dg::test::randn({3, 3}, 4)), ShapeError, "[2, 3]", "[3, 3]");
    EXPECT_THROW_MSG(broadcast_to(a, {4, 3}), ShapeError, "broadcast_to", "[3, 4]", "[4, 3]");
    EXPECT_THROW_MSG(sigmoid_backward(a, b), ShapeError, "sigmoid_backward");
}

TEST(Errors, MatmulMismatchNamesShapesAndExtents) {
    EXPECT_THROW_MSG(matmul(m34(), dg::test::randn({5, 2}, 2)), ShapeError, "matmul", "[3, 4]", "[5, 2]", "4 != 5");
    EXPECT_THROW_MSG(matmul(m34(), dg::test::randn({3}, 2)), ShapeError, "matmul", "[3, 4]", "[3]", "4 != 3");
    EXPECT_THROW_MSG(matmul(dg::test::randn({5}, 2), m34()), ShapeError, "matmul", "[5]", "[3, 4]");
    EXPECT_THROW_MSG(matmul(dg::test::randn({2, 3, 4}, 2), m34()), ShapeError, "matmul", "[2, 3, 4]");
    EXPECT_THROW_MSG(gemm(m34(), m34(), false, false), ShapeError, "gemm", "[3, 4]", "4 != 3");
    EXPECT_THROW_MSG(gemm(m34(), dg::test::randn({3, 5}, 2), true, true), ShapeError, "gemm", "[3, 4]ᵀ", "[3, 5]ᵀ",
                     "3 != 5");
    EXPECT_THROW_MSG(linear(m34(), dg::test::randn({2, 5}, 2)), ShapeError, "linear", "[3, 4]", "[2, 5]");
    EXPECT_THROW_MSG(linear(m34(), dg::test::randn({2, 4}, 2), dg::test::randn({3}, 3)), ShapeError, "linear", "bias",
                     "[3]", "[2]");
}

TEST(Errors, ConcatMismatch) {
    EXPECT_THROW_MSG(concat<double>({m34(), dg::test::randn({3, 5}, 2)}, 0), ShapeError, "concat", "[3, 5]",
                     "[3, 4]", "axis 0");
    EXPECT_THROW_MSG(concat<double>({m34(), dg::test::randn({4}, 2)}, 0), ShapeError, "concat", "[4]");
    EXPECT_THROW_MSG(concat<double>({}, 0), ValueError, "concat");
    EXPECT_THROW_MSG(concat<double>({m34()}, 2), ValueError, "concat", "axis 2");
}

TEST(Errors, ReshapeSize) {
    EXPECT_THROW_MSG(reshape(m34(), {5, 2}), ShapeError, "reshape", "[3, 4]", "12", "[5, 2]", "10");
}

TEST(Errors, BackwardOnNonScalarWithoutGradient) {
    Tensord x = m34();
    EXPECT_THROW_MSG((x * 2.0).backward(), GraphError, "non-scalar", "[3, 4]");
    EXPECT_THROW_MSG((x * 2.0).backward(Tensord::ones({4, 3})), ShapeError, "[4, 3]", "[3, 4]");
    EXPECT_FALSE(x.has_grad());
}

TEST(Errors, BackwardTwiceThroughAFreedGraph) {
    Tensord x = m34();
    const Tensord L = sum(exp(x));
    L.backward();
    EXPECT_THROW_MSG(L.backward(), GraphError, "already freed", "sum", "retain_graph");
    // An inner node that the first backward freed is refused too.
    const Tensord h = tanh(x);
    const Tensord L2 = sum(h);
    L2.backward();
    EXPECT_THROW_MSG(sum(h * 2.0).backward(), GraphError, "already freed", "tanh");
}

TEST(Errors, InPlaceChangeOfASavedInput) {
    Tensord x = m34();
    Tensord w = dg::test::randn({3, 4}, 5, false);
    const Tensord y = sum(x * w);  // mul saves both inputs
    {
        NoGradGuard ng;
        const std::uint64_t before = w.version();
        w.mutable_value()(0, 0) = 100.0;
        EXPECT_EQ(w.version(), before + 1);
    }
    EXPECT_THROW_MSG(y.backward(), GraphError, "mul", "modified in place", "[3, 4]");
    // The leaf x itself, changed under NoGradGuard as an optimizer would.
    Tensord z = m34();
    const Tensord y2 = sum(z * z);
    {
        NoGradGuard ng;
        z.mutable_value()(1, 1) += 1.0;
    }
    EXPECT_THROW_MSG(y2.backward(), GraphError, "mul", "modified in place");
}

TEST(Errors, InPlaceChangeOfASavedOutput) {
    Tensord x = m34();
    Tensord e = exp(x);  // exp's backward reads its output
    const Tensord L = sum(e);
    {
        NoGradGuard ng;
        e.mutable_value()(0, 0) = 0.0;
    }
    EXPECT_THROW_MSG(L.backward(), GraphError, "exp", "modified in place");
}

TEST(Errors, InPlaceChangeOfAValueNoBackwardNeedsIsAllowed) {
    // add saves nothing: changing its input afterwards does not invalidate the gradient.
    Tensord x({1.0, 2.0}, true);
    Tensord c({5.0, 5.0});
    const Tensord L = sum(x + c);
    {
        NoGradGuard ng;
        c.mutable_value()(0) = -1.0;
    }
    L.backward();
    EXPECT_DOUBLE_EQ(x.grad().at(0), 1.0);
    EXPECT_DOUBLE_EQ(x.grad().at(1), 1.0);
}

TEST(Errors, InPlaceChangeOfALeafThatRequiresGradWithGradOn) {
    Tensord x = m34();
    EXPECT_THROW_MSG(x.mutable_value(), GraphError, "in-place", "NoGradGuard");
}

TEST(Errors, GradOfATensorThatDoesNotRequireGrad) {
    const Tensord c({1.0, 2.0});
    EXPECT_THROW_MSG(c.grad(), GraphError, "does not require grad", "[2]");
    EXPECT_THROW_MSG(sum(c).backward(), GraphError, "does not require grad");
    Tensord x({1.0}, true);
    EXPECT_THROW_MSG(grad<double>({sum(x * 2.0)}, {x, c}), GraphError, "requires grad");
    const Tensord h = x * 2.0;
    EXPECT_THROW_MSG(h.grad(), GraphError, "non-leaf", "retain_grad");
    EXPECT_THROW_MSG(Tensord().value(), GraphError, "undefined");
}

TEST(Errors, OutOfRangeAxes) {
    const Tensord x = m34();
    EXPECT_THROW_MSG(sum(x, 2), ValueError, "sum", "axis 2", "2-d");
    EXPECT_THROW_MSG(sum(x, -3), ValueError, "sum", "axis -3");
    EXPECT_THROW_MSG(mean(x, 5), ValueError, "mean", "axis 5");
    EXPECT_THROW_MSG(max(x, -3), ValueError, "max", "axis -3");
    EXPECT_THROW_MSG(min(x, 2, true), ValueError, "min", "axis 2");
    EXPECT_THROW_MSG(softmax(x, 2), ValueError, "softmax", "axis 2");
    EXPECT_THROW_MSG(log_softmax(x, -3), ValueError, "log_softmax", "axis -3");
    EXPECT_THROW_MSG(transpose(x, 0, 2), ValueError, "transpose", "axis 2");
    EXPECT_THROW_MSG(narrow(x, 2, 0, 1), ValueError, "narrow", "axis 2");
    EXPECT_THROW_MSG(transpose(dg::test::randn({2, 3, 4}, 3)), ShapeError, "transpose", "[2, 3, 4]");
}

TEST(Errors, OutOfRangeIndices) {
    const Tensord x = m34();
    EXPECT_THROW_MSG(index_select(x, {0, 3}), ValueError, "index_select", "index 3", "axis 0", "extent 3");
    EXPECT_THROW_MSG(index_add<double>({3, 4}, {7}, dg::test::randn({1, 4}, 2)), ValueError, "index_add", "index 7");
    EXPECT_THROW_MSG(index_add<double>({3, 4}, {0, 1}, dg::test::randn({1, 4}, 2)), ShapeError, "index_add", "[1, 4]",
                     "[2, 4]");
    EXPECT_THROW_MSG(gather_rows(x, {0, 4, 1}), ValueError, "gather_rows", "index 4", "4 columns");
    EXPECT_THROW_MSG(gather_rows(x, {0, 1}), ShapeError, "gather_rows", "[3, 4]", "2 indices");
    EXPECT_THROW_MSG(scatter_rows<double>({3, 4}, {0, 9, 1}, dg::test::randn({3}, 2)), ValueError, "scatter_rows",
                     "index 9");
    EXPECT_THROW_MSG(narrow(x, 1, 3, 2), ShapeError, "narrow", "[3, 5)", "[3, 4]");
    EXPECT_THROW_MSG(softmax_cross_entropy(x, {0, 1, 4}), ValueError, "softmax_cross_entropy", "target 4", "4 classes");
    EXPECT_THROW_MSG(softmax_cross_entropy(x, {0, 1}), ShapeError, "softmax_cross_entropy", "2 targets", "batch of 3");
    EXPECT_THROW_MSG(x.at(12), ValueError, "at", "12");
    EXPECT_THROW_MSG(x.item(), ValueError, "item", "[3, 4]");
}

TEST(Errors, HookReturningAWrongShape) {
    Tensord x({1.0, 2.0}, true);
    x.register_hook([](const Tensord&) { return Tensord::ones({3}); });
    EXPECT_THROW_MSG(sum(x * 2.0).backward(), ShapeError, "hook", "[3]", "[2]");
}

TEST(Errors, ClampWithLowAboveHigh) {
    EXPECT_THROW_MSG(clamp(m34(), 1.0, -1.0), ValueError, "clamp");
}

TEST(Errors, LogAndSqrtOfNegativeGiveNaNNotAnError) {
    Tensord x({-1.0, 4.0}, true);
    Tensord l, s;
    EXPECT_NO_THROW(l = log(x));
    EXPECT_NO_THROW(s = sqrt(x));
    EXPECT_TRUE(std::isnan(l.at(0)));
    EXPECT_DOUBLE_EQ(l.at(1), std::log(4.0));
    EXPECT_TRUE(std::isnan(s.at(0)));
    EXPECT_DOUBLE_EQ(s.at(1), 2.0);
    EXPECT_NO_THROW(sum(l + s).backward());
    EXPECT_TRUE(std::isnan(x.grad().at(0)));  // sqrt's gradient at a NaN value is NaN
    EXPECT_DOUBLE_EQ(x.grad().at(1), 0.25 + 0.25);
}
