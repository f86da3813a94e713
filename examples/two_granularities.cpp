// One model at two granularities: the same 2-2-1 sigmoid MLP (fixed weights, the four XOR points, loss
// Σ ½(o − y)²) built from 0-d tensors micrograd style — one tensor per weight, every neuron sum written out —
// and from matrices with dg::linear. Autograd gives identical gradients for both (checked to 1e-12); the
// graphs differ only in how many nodes carry the same arithmetic. Pictures of both graphs for one sample.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <unordered_set>

#include "autograd/inspect/trace.hpp"
#include "common/example.hpp"

using namespace dg;

namespace {

// W1 [2 out, 2 in] (PyTorch's layout), b1, W2 [1, 2], b2, and the four XOR points.
const double W1[2][2] = {{0.15, -0.25}, {0.35, 0.45}};
const double B1[2] = {0.1, -0.2};
const double W2[2] = {0.6, -0.4};
const double B2 = 0.05;
const double X[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
const double Y[4] = {0, 1, 1, 0};

std::string name(const char* base, int j, int i = -1) {
    return std::string(base) + std::to_string(j + 1) + (i >= 0 ? std::to_string(i + 1) : "");
}

// micrograd style: nine 0-d parameters, and for each sample the sums w·x + b spelled out term by term.
struct ScalarNet {
    Tensord w1[2][2], b1[2], w2[2], b2;
    ScalarNet() {
        for (int j = 0; j < 2; ++j) {
            for (int i = 0; i < 2; ++i) w1[j][i] = Tensord::scalar(W1[j][i], true).set_label(name("W1_", j, i));
            b1[j] = Tensord::scalar(B1[j], true).set_label(name("b1_", j));
            w2[j] = Tensord::scalar(W2[j], true).set_label(name("W2_1", j));
        }
        b2 = Tensord::scalar(B2, true).set_label("b2");
    }
    /// Σ ½(o − y)² over the samples [first, first + count).
    Tensord loss(int first, int count) const {
        Tensord total;
        for (int s = first; s < first + count; ++s) {
            const Tensord x1 = Tensord::scalar(X[s][0]).set_label("x1"), x2 = Tensord::scalar(X[s][1]).set_label("x2");
            const Tensord h1 = sigmoid(w1[0][0] * x1 + w1[0][1] * x2 + b1[0]).set_label("h1");
            const Tensord h2 = sigmoid(w1[1][0] * x1 + w1[1][1] * x2 + b1[1]).set_label("h2");
            const Tensord o = sigmoid(w2[0] * h1 + w2[1] * h2 + b2).set_label("o");
            const Tensord d = o - Tensord::scalar(Y[s]).set_label("y");
            const Tensord l = 0.5 * d * d;
            total = s == first ? l : total + l;
        }
        return total.set_label("loss");
    }
};

// The same network as matrices: two dg::linear calls over the batch.
struct MatrixNet {
    Tensord w1 = Tensord({{W1[0][0], W1[0][1]}, {W1[1][0], W1[1][1]}}, true).set_label("W1");
    Tensord b1 = Tensord({B1[0], B1[1]}, true).set_label("b1");
    Tensord w2 = Tensord({{W2[0], W2[1]}}, true).set_label("W2");
    Tensord b2 = Tensord({B2}, true).set_label("b2");
    Tensord loss(int first, int count) const {
        std::vector<double> xs, ys;
        for (int s = first; s < first + count; ++s) xs.insert(xs.end(), {X[s][0], X[s][1]}), ys.push_back(Y[s]);
        const Tensord x = examples::matrix(xs, count, 2).set_label("X");
        const Tensord y = examples::matrix(ys, count, 1).set_label("Y");
        const Tensord h = sigmoid(linear(x, w1, b1)).set_label("H");
        const Tensord d = sigmoid(linear(h, w2, b2)).set_label("O") - y;
        return (0.5 * sum(d * d)).set_label("loss");
    }
};

// The number of op nodes in a graph (iterative walk).
std::size_t op_count(const Tensord& root) {
    std::unordered_set<const Node<double>*> seen;
    std::vector<Tensord> stack{root};
    std::size_t ops = 0;
    while (!stack.empty()) {
        Tensord t = stack.back();
        stack.pop_back();
        if (!seen.insert(t.node()).second) continue;
        ops += !t.is_leaf();
        for (const auto& in : t.node()->inputs) stack.push_back(in);
    }
    return ops;
}

}  // namespace

int main(int argc, char** argv) {
    examples::Example ex("two_granularities", "one 2-2-1 sigmoid MLP as scalar tensors and as matrices: same gradients");
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;

    ScalarNet sn;
    MatrixNet mn;
    const Tensord ls = sn.loss(0, 4), lm = mn.loss(0, 4);
    std::printf("loss Σ ½(o − y)² over the 4 XOR points: scalar graph %.15f, matrix graph %.15f\n", ls.item(), lm.item());
    std::printf("op nodes: scalar graph %zu, matrix graph %zu (the same arithmetic, grouped differently)\n",
                op_count(ls), op_count(lm));
    ls.backward();
    BackwardTrace<double> trace;
    {
        ObserverGuard<double> guard(trace);
        lm.backward();
    }

    std::printf("\n%-9s %20s %20s %9s\n", "parameter", "scalar graph", "matrix graph", "|diff|");
    double worst = 0;
    auto row = [&](const std::string& what, double a, double b) {
        if (!(std::abs(a - b) <= worst)) worst = std::abs(a - b);  // a NaN sticks, so it fails the check
        std::printf("%-9s %20.15f %20.15f %9.1e\n", what.c_str(), a, b, std::abs(a - b));
    };
    for (int j = 0; j < 2; ++j)
        for (int i = 0; i < 2; ++i) row(name("W1_", j, i), sn.w1[j][i].grad().item(), mn.w1.grad().at(2 * j + i));
    for (int j = 0; j < 2; ++j) row(name("b1_", j), sn.b1[j].grad().item(), mn.b1.grad().at(j));
    for (int j = 0; j < 2; ++j) row(name("W2_1", j), sn.w2[j].grad().item(), mn.w2.grad().at(j));
    row("b2", sn.b2.grad().item(), mn.b2.grad().item());
    char detail[64];
    std::snprintf(detail, sizeof detail, "worst |diff| %.1e", worst);
    ex.check(worst <= 1e-12, "scalar and matrix graphs give the same gradients (1e-12)", detail);
    ex.check(std::abs(ls.item() - lm.item()) <= 1e-12, "scalar and matrix graphs give the same loss (1e-12)");

    std::cout << "\nbackward trace of the matrix graph (each step moves a whole layer's gradient):\n" << trace.table(4, 4);

    // Pictures for one sample, x = (0, 1), y = 1 (four samples make the scalar graph four times as wide), drawn
    // after a traced backward that keeps the graph: every node shows its value and its gradient.
    const auto picture = [&](const Tensord& loss, const std::string& file, const std::string& title) {
        BackwardTrace<double> one;
        {
            ObserverGuard<double> guard(one);
            loss.backward(/*retain_graph=*/true);
        }
        ex.graph(loss, file, title, &one);
    };
    ScalarNet s1;
    MatrixNet m1;
    picture(s1.loss(1, 1), "scalar_graph", "2-2-1 sigmoid MLP, one sample: one 0-d tensor per weight");
    picture(m1.loss(1, 1), "matrix_graph", "the same MLP, one sample: matrices and dg::linear");
    return ex.finish();
}
