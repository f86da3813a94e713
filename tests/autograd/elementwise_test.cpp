// Elementwise ops: forward values and gradcheck / gradgradcheck in double for every binary op (with the
// broadcast shapes [3,4]∘[4], [3,1]∘[1,4], scalar∘matrix, [4]∘[3,4]), the scalar operators on either side,
// every unary op (inputs kept away from kinks) and the fused backward helpers.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/make_tensor.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

namespace {

struct ShapePair {
    Shape a, b;
};
const std::vector<ShapePair> kBroadcastPairs = {
    {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{3, 1}, {1, 4}}, {{}, {3, 4}}, {{3, 4}, {}}, {{4}, {3, 4}}};

std::string shape_pair_name(const ShapePair& p) { return shape_str(p.a) + " o " + shape_str(p.b); }

/// Expected value of a binary op: both operands broadcast explicitly, then `f` applied per element.
Array<double> expected_binary(const Tensord& a, const Tensord& b, double (*f)(double, double)) {
    const Shape out = broadcast_shape(a.shape(), b.shape());
    const Array<double> av = xt::broadcast(a.value(), out);
    const Array<double> bv = xt::broadcast(b.value(), out);
    Array<double> r = Array<double>::from_shape(out);
    for (std::size_t i = 0; i < r.size(); ++i) r.data()[i] = f(av.data()[i], bv.data()[i]);
    return r;
}

struct BinaryCase {
    const char* name;
    Tensord (*op)(const Tensord&, const Tensord&);
    double (*ref)(double, double);
    // Inputs that keep the op smooth: positive bases for pow, divisors away from 0, no ties for max/min.
    std::function<Tensord(const Shape&, std::uint64_t)> make_a, make_b;
};

Tensord normal(const Shape& s, std::uint64_t seed) { return dg::test::randn(s, seed); }

std::vector<BinaryCase> binary_cases() {
    return {
        {"add", [](const Tensord& a, const Tensord& b) { return add(a, b); }, [](double x, double y) { return x + y; },
         normal, normal},
        {"sub", [](const Tensord& a, const Tensord& b) { return sub(a, b); }, [](double x, double y) { return x - y; },
         normal, normal},
        {"mul", [](const Tensord& a, const Tensord& b) { return mul(a, b); }, [](double x, double y) { return x * y; },
         normal, normal},
        {"div", [](const Tensord& a, const Tensord& b) { return div(a, b); }, [](double x, double y) { return x / y; },
         normal, [](const Shape& s, std::uint64_t seed) { return dg::test::away_from_zero(s, seed, 0.5); }},
        {"pow", [](const Tensord& a, const Tensord& b) { return pow(a, b); },
         [](double x, double y) { return std::pow(x, y); },
         [](const Shape& s, std::uint64_t seed) { return dg::test::uniform(s, seed, 0.5, 2.0); },
         [](const Shape& s, std::uint64_t seed) { return dg::test::uniform(s, seed, -1.5, 1.5); }},
        {"maximum", [](const Tensord& a, const Tensord& b) { return maximum(a, b); },
         [](double x, double y) { return std::max(x, y); },
         [](const Shape& s, std::uint64_t seed) { return dg::test::distinct(s, seed, 0.013); },
         [](const Shape& s, std::uint64_t seed) { return dg::test::distinct(s, seed, 0.063); }},
        {"minimum", [](const Tensord& a, const Tensord& b) { return minimum(a, b); },
         [](double x, double y) { return std::min(x, y); },
         [](const Shape& s, std::uint64_t seed) { return dg::test::distinct(s, seed, 0.013); },
         [](const Shape& s, std::uint64_t seed) { return dg::test::distinct(s, seed, 0.063); }},
    };
}

}  // namespace

TEST(Elementwise, BinaryForwardMatchesScalarFormulaOnBroadcastShapes) {
    for (const auto& c : binary_cases())
        for (const auto& p : kBroadcastPairs) {
            SCOPED_TRACE(std::string(c.name) + " " + shape_pair_name(p));
            const Tensord a = c.make_a(p.a, 1), b = c.make_b(p.b, 2);
            const Tensord y = c.op(a, b);
            EXPECT_TRUE(all_close(y.value(), expected_binary(a, b, c.ref)));
            EXPECT_TRUE(y.requires_grad());
            EXPECT_FALSE(y.is_leaf());
        }
}

TEST(Elementwise, BinaryGradcheckOnBroadcastShapes) {
    for (const auto& c : binary_cases())
        for (const auto& p : kBroadcastPairs) {
            SCOPED_TRACE(std::string(c.name) + " " + shape_pair_name(p));
            auto op = c.op;
            EXPECT_GRADCHECK([op](const std::vector<Tensord>& x) { return op(x[0], x[1]); }, c.make_a(p.a, 3),
                             c.make_b(p.b, 4));
        }
}

TEST(Elementwise, BinaryGradgradcheckOnBroadcastShapes) {
    for (const auto& c : binary_cases())
        for (const auto& p : kBroadcastPairs) {
            SCOPED_TRACE(std::string(c.name) + " " + shape_pair_name(p));
            auto op = c.op;
            EXPECT_GRADGRADCHECK([op](const std::vector<Tensord>& x) { return op(x[0], x[1]); }, c.make_a(p.a, 5),
                                 c.make_b(p.b, 6));
        }
}

TEST(Elementwise, OnlyOneOperandRequiringGradGetsItsGradient) {
    // The other operand is a constant: gradcheck of each side alone, on a broadcast pair.
    for (const auto& c : binary_cases()) {
        SCOPED_TRACE(c.name);
        auto op = c.op;
        const Tensord a = c.make_a({3, 1}, 7), b = c.make_b({1, 4}, 8);
        const Tensord a_const = a.detach(), b_const = b.detach();  // gradcheck takes constants captured in f
        const Fn of_a = [op, b_const](const std::vector<Tensord>& x) { return op(x[0], b_const); };
        const Fn of_b = [op, a_const](const std::vector<Tensord>& x) { return op(a_const, x[0]); };
        EXPECT_GRADCHECK(of_a, a);
        EXPECT_GRADCHECK(of_b, b);
    }
}

TEST(Elementwise, BroadcastMulGradientByHand) {
    // y = a[3,1] * b[1,4]; d(sum y)/da_i = Σ_j b_j, d(sum y)/db_j = Σ_i a_i.
    Tensord a = dg::test::make_tensor({3, 1}, {1.0, 2.0, 3.0}, true);
    Tensord b = dg::test::make_tensor({1, 4}, {0.5, -1.0, 2.0, 4.0}, true);
    sum(a * b).backward();
    EXPECT_TRUE(all_close(a.grad(), {3, 1}, {5.5, 5.5, 5.5}));
    EXPECT_TRUE(all_close(b.grad(), {1, 4}, {6.0, 6.0, 6.0, 6.0}));
}

TEST(Elementwise, TensorOperatorsMatchNamedOps) {
    const Tensord a = dg::test::randn({3, 4}, 11), b = dg::test::away_from_zero({4}, 12, 0.5);
    EXPECT_TRUE(all_close(a + b, add(a, b)));
    EXPECT_TRUE(all_close(a - b, sub(a, b)));
    EXPECT_TRUE(all_close(a * b, mul(a, b)));
    EXPECT_TRUE(all_close(a / b, div(a, b)));
    EXPECT_TRUE(all_close(-a, neg(a)));
    EXPECT_DOUBLE_EQ((a / b).at(5), a.at(5) / b.at(1));
}

TEST(Elementwise, ScalarOperatorsOnEitherSideForwardValues) {
    const Tensord a({{1.0, -2.0}, {4.0, 0.5}}, true);
    EXPECT_TRUE(all_close(a + 3.0, {2, 2}, {4, 1, 7, 3.5}));
    EXPECT_TRUE(all_close(3.0 + a, {2, 2}, {4, 1, 7, 3.5}));
    EXPECT_TRUE(all_close(a - 3.0, {2, 2}, {-2, -5, 1, -2.5}));
    EXPECT_TRUE(all_close(3.0 - a, {2, 2}, {2, 5, -1, 2.5}));
    EXPECT_TRUE(all_close(a * 3.0, {2, 2}, {3, -6, 12, 1.5}));
    EXPECT_TRUE(all_close(3.0 * a, {2, 2}, {3, -6, 12, 1.5}));
    EXPECT_TRUE(all_close(a / 4.0, {2, 2}, {0.25, -0.5, 1, 0.125}));
    EXPECT_TRUE(all_close(4.0 / a, {2, 2}, {4, -2, 1, 8}));
    EXPECT_TRUE(all_close(pow(a, 3.0), {2, 2}, {1, -8, 64, 0.125}));
    EXPECT_TRUE(all_close(pow(a, 2.0), {2, 2}, {1, 4, 16, 0.25}));
}

TEST(Elementwise, ScalarOperatorsGradcheckAndGradgradcheck) {
    const std::vector<std::pair<const char*, Fn>> cases = {
        {"a+s", [](const std::vector<Tensord>& x) { return x[0] + 1.5; }},
        {"s+a", [](const std::vector<Tensord>& x) { return 1.5 + x[0]; }},
        {"a-s", [](const std::vector<Tensord>& x) { return x[0] - 1.5; }},
        {"s-a", [](const std::vector<Tensord>& x) { return 1.5 - x[0]; }},
        {"a*s", [](const std::vector<Tensord>& x) { return x[0] * -2.5; }},
        {"s*a", [](const std::vector<Tensord>& x) { return -2.5 * x[0]; }},
        {"a/s", [](const std::vector<Tensord>& x) { return x[0] / 0.75; }},
        {"s/a", [](const std::vector<Tensord>& x) { return 0.75 / x[0]; }},
        {"-a", [](const std::vector<Tensord>& x) { return -x[0]; }},
        {"pow2", [](const std::vector<Tensord>& x) { return pow(x[0], 2.0); }},
        {"pow3", [](const std::vector<Tensord>& x) { return pow(x[0], 3.0); }},
        {"pow-1.5", [](const std::vector<Tensord>& x) { return pow(abs(x[0]), -1.5); }},
        {"pow0.5", [](const std::vector<Tensord>& x) { return pow(abs(x[0]), 0.5); }},
    };
    for (const auto& [name, fn] : cases) {
        SCOPED_TRACE(name);
        EXPECT_GRADCHECK(fn, dg::test::away_from_zero({3, 4}, 21, 0.3));
        EXPECT_GRADGRADCHECK(fn, dg::test::away_from_zero({3, 4}, 22, 0.3));
    }
}

TEST(Elementwise, ScalarOperatorGradientsByHand) {
    Tensord a({2.0, -4.0}, true);
    sum((3.0 - a) * 2.0 + 6.0 / a).backward();  // d/da = -2 - 6/a^2
    EXPECT_TRUE(all_close(a.grad(), {2}, {-2 - 6.0 / 4, -2 - 6.0 / 16}));
}

namespace {
struct UnaryCase {
    const char* name;
    Fn fn;
    double (*ref)(double);
    std::function<Tensord(std::uint64_t)> make;
};

Tensord kinkless(std::uint64_t seed) { return dg::test::away_from_zero({3, 4}, seed, 0.2); }
Tensord positive(std::uint64_t seed) { return dg::test::uniform({3, 4}, seed, 0.3, 2.5); }
double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }

std::vector<UnaryCase> unary_cases() {
    return {
        {"neg", [](const std::vector<Tensord>& x) { return neg(x[0]); }, [](double x) { return -x; }, kinkless},
        {"exp", [](const std::vector<Tensord>& x) { return exp(x[0]); }, [](double x) { return std::exp(x); }, kinkless},
        {"log", [](const std::vector<Tensord>& x) { return log(x[0]); }, [](double x) { return std::log(x); }, positive},
        {"sqrt", [](const std::vector<Tensord>& x) { return sqrt(x[0]); }, [](double x) { return std::sqrt(x); },
         positive},
        {"abs", [](const std::vector<Tensord>& x) { return abs(x[0]); }, [](double x) { return std::abs(x); }, kinkless},
        {"sigmoid", [](const std::vector<Tensord>& x) { return sigmoid(x[0]); }, sigmoid_ref, kinkless},
        {"tanh", [](const std::vector<Tensord>& x) { return tanh(x[0]); }, [](double x) { return std::tanh(x); },
         kinkless},
        {"relu", [](const std::vector<Tensord>& x) { return relu(x[0]); }, [](double x) { return x > 0 ? x : 0.0; },
         kinkless},
        {"leaky_relu", [](const std::vector<Tensord>& x) { return leaky_relu(x[0], 0.1); },
         [](double x) { return x > 0 ? x : 0.1 * x; }, kinkless},
        {"elu", [](const std::vector<Tensord>& x) { return elu(x[0], 0.7); },
         [](double x) { return x > 0 ? x : 0.7 * (std::exp(x) - 1); }, kinkless},
        {"softplus", [](const std::vector<Tensord>& x) { return softplus(x[0]); },
         [](double x) { return std::log1p(std::exp(x)); }, kinkless},
        {"clamp", [](const std::vector<Tensord>& x) { return clamp(x[0], -1.0, 1.0); },
         [](double x) { return std::min(1.0, std::max(-1.0, x)); },
         // away from both clamp edges: magnitudes in [0.2, 0.9] or [1.1, 2]
         [](std::uint64_t seed) {
             Tensord t = dg::test::away_from_zero({3, 4}, seed, 0.2);
             NoGradGuard ng;
             for (auto& v : t.mutable_value())
                 if (std::abs(std::abs(v) - 1.0) < 0.1) v *= 1.3;
             return t;
         }},
    };
}
}  // namespace

TEST(Elementwise, UnaryForwardMatchesStdFormulas) {
    for (const auto& c : unary_cases()) {
        SCOPED_TRACE(c.name);
        const Tensord x = c.make(31);
        Array<double> expected = x.value();
        for (auto& v : expected) v = c.ref(v);
        EXPECT_TRUE(all_close(c.fn({x}).value(), expected, 1e-14, 1e-13));
    }
    // sign: piecewise constant, no gradient.
    Tensord x({-2.0, 0.0, 3.0}, true);
    EXPECT_TRUE(all_close(sign(x), {3}, {-1, 0, 1}));
}

TEST(Elementwise, UnaryGradcheck) {
    for (const auto& c : unary_cases()) {
        SCOPED_TRACE(c.name);
        EXPECT_GRADCHECK(c.fn, c.make(32));
    }
}

TEST(Elementwise, UnaryGradgradcheck) {
    for (const auto& c : unary_cases()) {
        SCOPED_TRACE(c.name);
        EXPECT_GRADGRADCHECK(c.fn, c.make(33));
    }
}

TEST(Elementwise, KinkConventions) {
    // Exactly at the kink the library picks a documented subgradient: relu' = 0, abs' = 0, clamp' = 1 at the edges.
    Tensord x({0.0, 0.0, 1.0}, true);
    sum(relu(x) + abs(x) + clamp(x, -1.0, 1.0) + sign(x)).backward();
    EXPECT_TRUE(all_close(x.grad(), {3}, {1.0, 1.0, 1.0 + 1.0 + 1.0}));
}

TEST(Elementwise, StableForLargeInputs) {
    Tensord x({-800.0, 800.0}, true);
    EXPECT_TRUE(all_close(sigmoid(x), {2}, {0.0, 1.0}));
    EXPECT_TRUE(all_close(softplus(x), {2}, {0.0, 800.0}));
    sum(softplus(x)).backward();
    EXPECT_TRUE(all_close(x.grad(), {2}, {0.0, 1.0}));
}

TEST(Elementwise, FloatSigmoidIsAccurateOverItsWholeRange) {
    // The vectorised exp under sigmoid, against the double formula: a few ulp from -87 to 87 (where e^x still
    // fits a float), 0 and 1 beyond, never NaN.
    std::vector<float> xs;
    for (float v = -87.0f; v <= 87.0f; v += 0.37f) xs.push_back(v);
    for (float v : {-1e30f, -1000.0f, -88.5f, 88.5f, 1000.0f, 1e30f}) xs.push_back(v);
    Array<float> a = Array<float>::from_shape({xs.size()});
    std::copy(xs.begin(), xs.end(), a.begin());
    const Tensorf y = sigmoid(Tensorf(a));
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double expect = 1.0 / (1.0 + std::exp(-static_cast<double>(xs[i])));
        const double got = y.at(i);
        ASSERT_FALSE(std::isnan(got)) << "x = " << xs[i];
        if (expect < 1e-37) EXPECT_LE(got, 1e-37) << "x = " << xs[i];  // below float's normal range
        else EXPECT_NEAR(got, expect, 4e-7 * expect) << "x = " << xs[i];
    }
}

TEST(Elementwise, FusedBackwardHelpersForwardValues) {
    const Tensord g({2.0, -1.0, 0.5}), y({0.25, 0.5, -0.8}), x({-1.0, 2.0, 0.0});
    EXPECT_TRUE(all_close(sigmoid_backward(g, y), {3}, {2 * 0.25 * 0.75, -0.25, 0.5 * -0.8 * 1.8}));
    EXPECT_TRUE(all_close(tanh_backward(g, y), {3}, {2 * (1 - 0.0625), -0.75, 0.5 * (1 - 0.64)}));
    EXPECT_TRUE(all_close(mask_grad(g, x, 0.1, 1.0), {3}, {0.2, -1.0, 0.05}));
}

TEST(Elementwise, FusedBackwardHelpersGradcheck) {
    const Tensord g = dg::test::randn({3, 4}, 41);
    const Tensord y = dg::test::uniform({3, 4}, 42, -0.9, 0.9);
    const Tensord x = dg::test::away_from_zero({3, 4}, 43, 0.2);
    const Fn sb = [](const std::vector<Tensord>& v) { return sigmoid_backward(v[0], v[1]); };
    const Fn tb = [](const std::vector<Tensord>& v) { return tanh_backward(v[0], v[1]); };
    // mask_grad is differentiable in g only; the mask input is a constant (captured: gradcheck takes none).
    const Tensord mask = x.detach();
    const Fn mg = [mask](const std::vector<Tensord>& v) { return mask_grad(v[0], mask, 0.1, 1.0); };
    EXPECT_GRADCHECK(sb, g, y);
    EXPECT_GRADCHECK(tb, g, y);
    EXPECT_GRADGRADCHECK(sb, g, y);
    EXPECT_GRADGRADCHECK(tb, g, y);
    EXPECT_GRADCHECK(mg, g);
    EXPECT_GRADGRADCHECK(mg, g);
    // Broadcast: a [4] gradient against a [3,4] output.
    EXPECT_GRADCHECK(sb, dg::test::randn({4}, 44), y);
}

TEST(Elementwise, ActivationSecondDerivativesByHand) {
    // d²/dx² sigmoid = s(1-s)(1-2s); d²/dx² tanh = -2 t (1-t²), via create_graph.
    for (double v : {-1.3, 0.4, 2.0}) {
        Tensord x = Tensord::scalar(v, true);
        auto g1 = grad<double>({sigmoid(x)}, {x}, {}, true)[0];
        auto g2 = grad<double>({g1}, {x})[0];
        const double s = sigmoid_ref(v);
        EXPECT_NEAR(g1.item(), s * (1 - s), 1e-15);
        EXPECT_NEAR(g2.item(), s * (1 - s) * (1 - 2 * s), 1e-15);
        Tensord z = Tensord::scalar(v, true);
        auto h1 = grad<double>({tanh(z)}, {z}, {}, true)[0];
        auto h2 = grad<double>({h1}, {z})[0];
        const double t = std::tanh(v);
        EXPECT_NEAR(h2.item(), -2 * t * (1 - t * t), 1e-15);
    }
}
