// The backward trace: every op records its rule (found by running every op of ops.hpp), and the trace of
// small graphs lists the expected steps, gradients and table text.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "autograd/ops.hpp"
#include "autograd/inspect/trace.hpp"

using namespace dg;

namespace {

// One graph through every public op of ops.hpp (and Tensor::clone, sum_to, gemm), with create_graph so the
// fused backward helpers (sigmoid_backward, tanh_backward, mask_grad) are recorded too.
std::vector<Tensord> every_op_graph() {
    Tensord a({{0.5, -1.5, 2.0}, {1.0, 0.25, -0.75}}, true);
    Tensord b({{1.5, 0.5, 1.25}, {-2.0, 3.0, 0.5}}, true);
    Tensord p({{0.5, 1.5, 2.0}, {1.0, 0.25, 0.75}}, true);  // positive, for log / sqrt / pow
    Tensord w({{0.1, 0.2, 0.3}, {0.4, 0.5, 0.6}}, true);
    Tensord bias({0.1, -0.1}, true);
    std::vector<Tensord> r;
    r.push_back(sum(add(a, b)) + sum(sub(a, b)) + sum(mul(a, b)) + sum(div(a, b)) + sum(pow(p, b)));
    r.push_back(sum(maximum(a, b)) + sum(minimum(a, b)));
    r.push_back(sum(add(a, 1.0)) + sum(mul(a, 2.0)) + sum(pow(p, 3.0)) + sum(rsub(1.0, a)) + sum(rdiv(1.0, p)));
    r.push_back(sum(neg(a)) + sum(exp(a)) + sum(log(p)) + sum(sqrt(p)) + sum(abs(a)) + sum(sign(a)));
    r.push_back(sum(sigmoid(a)) + sum(tanh(a)) + sum(relu(a)) + sum(leaky_relu(a)) + sum(elu(a)) +
                sum(softplus(a)) + sum(clamp(a, -1.0, 1.0)));
    r.push_back(sum(sigmoid_backward(a, p)) + sum(tanh_backward(a, p)) + sum(mask_grad(a, b, 0.0, 1.0)));
    r.push_back(sum(sum(a, 0)) + mean(a) + sum(mean(a, 1)) + max(a) + sum(max(a, 0)) + min(a) + sum(min(a, 1)));
    r.push_back(sum(matmul(a, transpose(b))) + sum(gemm(a, b, true, false)) + sum(linear(a, w, bias)) +
                sum(linear(a, w)));
    r.push_back(sum(transpose(a, 0, 1)) + sum(reshape(a, {3, 2})) + sum(broadcast_to(bias, {3, 2})) +
                sum(concat<double>({a, b}, 0)) + sum(narrow(a, 1, 1, 2)));
    r.push_back(sum(index_select(a, {1, 0, 1})) + sum(gather_rows(a, {2, 0})) + sum(index_add({3, 3}, {0, 2}, a)) +
                sum(scatter_rows({2, 4}, {3, 1}, bias)));
    r.push_back(sum(matmul(stack<double>({a, b}), stack<double>({transpose(w), transpose(b)}))) +
                sum(permute(a, {1, 0})) + sum(squeeze(unsqueeze(a, 0))) + sum(squeeze(unsqueeze(a, -1), 2)));
    r.push_back(sum(slice(a, 1, 0, 3, 2)) + sum(split(a, 2, 1)[1]) + sum(split(a, {1, 2}, 1)[0]) +
                sum(chunk(a, 2, 0)[1]));
    r.push_back(sum(index_select(a, 1, {2, 0})) + sum(index_add({2, 4}, 1, {3, 0, 3}, a)) +
                sum(gather(a, 1, Indices{{2, 1}, {0, 0}})) +
                sum(scatter_add({3, 3}, 1, Indices{{2, 0, 1}, {0, 0, 0}}, a)) + sum(where(p, a, b)));
    r.push_back(sum(softmax(a)) + sum(log_softmax(a, 0)) + softmax_cross_entropy(a, {0, 2}));
    r.push_back(sum(a.clone()) + sum(sum_to(a, {3})));
    // Gradients of gradients record the fused backward ops themselves.
    const auto g = grad<double>({sum(sigmoid(a) * tanh(b) * relu(a))}, {a, b}, {}, true);
    r.push_back(sum(g[0]) + sum(g[1]));
    return r;
}

}  // namespace

TEST(TraceRules, EveryOpRecordsTheRuleWrittenBesideItsForward) {
    // Every node of a graph through every op carries a rule, and one op name always carries the same rule.
    std::map<std::string, std::string> rules;
    std::unordered_set<const Node<double>*> seen;
    std::vector<Tensord> stack = every_op_graph();
    while (!stack.empty()) {
        Tensord t = stack.back();
        stack.pop_back();
        if (!seen.insert(t.node()).second) continue;
        for (const auto& in : t.node()->inputs) stack.push_back(in);
        if (t.is_leaf()) continue;
        const std::string rule = t.node()->op.rule;
        EXPECT_NE(rule.find("grad"), std::string::npos) << t.op() << ": " << rule;
        const auto [it, fresh] = rules.emplace(t.op(), rule);
        EXPECT_EQ(it->second, rule) << "op " << t.op() << " records two rules";
    }
    EXPECT_GE(rules.size(), 45u);
}

TEST(TraceRules, ATensorShowsItsOpsRule) {
    Tensord x({0.5, -1.0}, true);
    EXPECT_STREQ(tanh(x).node()->op.rule, "grad_in = grad_out * (1 - y^2)");
    EXPECT_STREQ(mul(x, x).node()->op.rule, "grad_a = grad_out * b; grad_b = grad_out * a");
    EXPECT_STREQ(x.op(), "leaf");
}

TEST(Preview, ScalarsShortVectorsAndLongOnes) {
    EXPECT_EQ(preview(Array<double>(xt::xscalar<double>(0.46211715726))), "0.4621");
    EXPECT_EQ(preview(Array<double>{1.0, -2.5}), "[1, -2.5]");
    EXPECT_EQ(preview(Array<double>{1, 2, 3, 4, 5, 6}), "[1, 2, 3, 4, …] (6)");
    EXPECT_EQ(preview(Array<double>{1, 2, 3}, 2, 2), "[1, 2, …] (3)");
}

TEST(BackwardTrace, ChainListsStepsRulesAndGradients) {
    // l = 3·tanh(w·x + b) at w = 0.5, x = 2, b = 0.1: the engine visits mul_scalar, tanh, add, mul.
    Tensord w = Tensord::scalar(0.5, true).set_label("w");
    Tensord x = Tensord::scalar(2.0).set_label("x");
    Tensord b = Tensord::scalar(0.1, true).set_label("b");
    BackwardTrace<double> trace;
    Tensord z, l;
    {
        z = (w * x + b).set_label("z");
        l = tanh(z) * 3.0;
        ObserverGuard<double> guard(trace);
        l.backward();
    }
    const auto& s = trace.steps();
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s[0].op, "mul_scalar");
    EXPECT_EQ(s[1].op, "tanh");
    EXPECT_EQ(s[2].op, "add");
    EXPECT_EQ(s[2].label, "z");
    EXPECT_EQ(s[3].op, "mul");
    const double t = std::tanh(1.1), dz = 3 * (1 - t * t);
    EXPECT_DOUBLE_EQ(s[0].grad_out(), 1.0);
    EXPECT_DOUBLE_EQ(s[0].sent[0].grad(), 3.0);
    EXPECT_DOUBLE_EQ(s[1].grad_out(), 3.0);
    EXPECT_NEAR(s[1].sent[0].grad(), dz, 1e-15);
    ASSERT_EQ(s[2].sent.size(), 2u);
    EXPECT_NEAR(s[2].sent[0].grad(), dz, 1e-15);  // to w·x
    EXPECT_NEAR(s[2].sent[1].grad(), dz, 1e-15);  // to b
    EXPECT_NEAR(s[3].sent[0].grad(), dz * 2.0, 1e-14);  // to w: grad_out * x
    EXPECT_FALSE(s[3].sent[1].defined);                 // x does not require grad
    EXPECT_NEAR(w.grad().item(), dz * 2.0, 1e-14);
    EXPECT_EQ(trace.name_of(w), "w (param)");
    EXPECT_EQ(trace.name_of(x), "x (leaf)");
    EXPECT_EQ(trace.name_of(z), "#3 z");
    EXPECT_EQ(trace.name_of(Tensord::scalar(1.0)), "leaf []");
}

TEST(BackwardTrace, TableIsAlignedAndNamesTheRules) {
    Tensord w = Tensord::scalar(0.5, true).set_label("w");
    Tensord x = Tensord::scalar(2.0).set_label("x");
    BackwardTrace<double> trace;
    {
        Tensord l = sigmoid(w * x);
        ObserverGuard<double> guard(trace);
        l.backward();
    }
    // sigmoid(1) = 0.7310585786, y(1-y) = 0.1966119332; mul sends 0.19661·2 to w and nothing to x.
    const std::string expected =
        "step  label  op       shape  local rule                                    grad_out  input      grad sent\n"
        "---------------------------------------------------------------------------------------------------------\n"
        "#1           sigmoid  []     grad_in = grad_out * y * (1 - y)              1         #2 mul     0.1966\n"
        "#2           mul      []     grad_a = grad_out * b; grad_b = grad_out * a  0.1966    w (param)  0.3932\n"
        "                                                                                     x (leaf)   —\n";
    EXPECT_EQ(trace.table(), expected);
}

TEST(BackwardTrace, BroadcastGradientIsShownBeforeSumTo) {
    Tensord x = Tensord::ones({2, 3}, true);
    Tensord bias({1.0, 2.0, 3.0}, true);
    BackwardTrace<double> trace;
    {
        Tensord l = sum(x + bias);
        ObserverGuard<double> guard(trace);
        l.backward();
    }
    ASSERT_EQ(trace.steps().size(), 2u);
    const auto& add_step = trace.steps()[1];
    EXPECT_EQ(add_step.op, "add");
    EXPECT_EQ(shape_of(add_step.sent[1].grad), (Shape{2, 3}));
    EXPECT_NE(trace.table().find("[1, 1, 1, 1, …] (6) (summed to [3])"), std::string::npos) << trace.table();
    EXPECT_DOUBLE_EQ(bias.grad().at(0), 2.0);
}

TEST(BackwardTrace, RecordedGradientsAreCopies) {
    // A second backward accumulates into w.grad; the first trace keeps what was sent the first time.
    Tensord w = Tensord::scalar(1.5, true);
    Tensord l = w * w;
    BackwardTrace<double> trace;
    {
        ObserverGuard<double> guard(trace);
        l.backward(true);
        EXPECT_DOUBLE_EQ(trace.steps()[0].sent[0].grad(), 1.5);
        l.backward();
    }
    ASSERT_EQ(trace.steps().size(), 2u);
    EXPECT_DOUBLE_EQ(trace.steps()[0].sent[0].grad(), 1.5);
    EXPECT_DOUBLE_EQ(trace.steps()[0].sent[1].grad(), 1.5);
    EXPECT_DOUBLE_EQ(w.grad().item(), 6.0);
    trace.clear();
    EXPECT_TRUE(trace.steps().empty());
}
