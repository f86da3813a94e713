// The notes' two hand-derived graphs (000, the chain rule): the chain l = h(w3 g(w2 f(w1 x + b))) and the
// diamond l = f(w4 f(w2 a1 + b2) + w5 f(w3 a1 + b3) + b) with a1 = f(w1 x + b1) shared. Each δ is computed
// from the formula written out by hand, printed next to what autograd computed, then the backward trace and
// the graph pictures (DOT + PNG). --smoke checks hand == autograd to 1e-12 (exit 1 otherwise).
#include <cmath>
#include <cstdio>
#include <iostream>

#include "autograd/inspect/trace.hpp"
#include "common/example.hpp"

using namespace dg;

namespace {

double sigmoid_d(double z) { return 1 / (1 + std::exp(-z)); }

Tensord param(double v, const char* name) { return Tensord::scalar(v, true).set_label(name); }
// An intermediate z or a: labelled for the trace and the picture, and kept after backward so its δ = ∂l/∂z
// can be read from .grad.
Tensord named(Tensord t, const char* name) {
    t.set_label(name);
    t.retain_grad();
    return t;
}

struct Row {
    std::string what, formula;
    double hand, autograd;
};

// Pads to `width` terminal columns (printf's %-10s counts bytes, and δ, ·, ² take two each).
std::string pad(const std::string& s, std::size_t width) {
    std::size_t shown = 0;
    for (char c : s) shown += (c & 0xC0) != 0x80;
    return s + std::string(width > shown ? width - shown : 0, ' ');
}

// Prints the rows and checks every hand value against autograd.
void report(examples::Example& ex, const std::string& graph, const std::vector<Row>& rows) {
    std::printf("\n%s %16s %16s %9s\n", pad("quantity  formula (written out by hand)", 57).c_str(), "hand", "autograd",
                "|diff|");
    double worst = 0;
    for (const Row& r : rows) {
        const double diff = std::abs(r.hand - r.autograd);
        if (!(diff <= worst)) worst = diff;  // a NaN sticks, so it fails the check
        std::printf("%s%s %16.12f %16.12f %9.1e\n", pad(r.what, 10).c_str(), pad(r.formula, 47).c_str(), r.hand,
                    r.autograd, diff);
    }
    char detail[64];
    std::snprintf(detail, sizeof detail, "worst |diff| %.1e", worst);
    ex.check(worst <= 1e-12, graph + ": every hand-derived δ and gradient equals autograd's (1e-12)", detail);
}

void chain(examples::Example& ex) {
    std::cout << "\n== The chain l = h(w3·g(w2·f(w1·x + b))), with f = sigmoid, g = tanh, h = sigmoid ==\n"
              << "   x = 1.5, w1 = 0.8, b = -0.3, w2 = -1.2, w3 = 2.0\n";
    const double xv = 1.5, w1v = 0.8, bv = -0.3, w2v = -1.2, w3v = 2.0;
    // By hand: the forward pass, then the δs of the notes, δ3 = ∂l/∂z3, δ2 = δ3·w3·g'(z2), δ1 = δ2·w2·f'(z1).
    const double z1 = w1v * xv + bv, a1 = sigmoid_d(z1), z2 = w2v * a1, a2 = std::tanh(z2), z3 = w3v * a2,
                 lv = sigmoid_d(z3);
    const double d3 = lv * (1 - lv);
    const double d2 = d3 * w3v * (1 - a2 * a2);
    const double d1 = d2 * w2v * a1 * (1 - a1);

    const Tensord x = Tensord::scalar(xv).set_label("x");
    const Tensord w1 = param(w1v, "w1"), b = param(bv, "b"), w2 = param(w2v, "w2"), w3 = param(w3v, "w3");
    const Tensord tz1 = named(w1 * x + b, "z1");
    const Tensord ta1 = named(sigmoid(tz1), "a1");
    const Tensord tz2 = named(w2 * ta1, "z2");
    const Tensord ta2 = named(tanh(tz2), "a2");
    const Tensord tz3 = named(w3 * ta2, "z3");
    const Tensord l = sigmoid(tz3).set_label("l");
    std::printf("forward: z1 = %.6f, a1 = %.6f, z2 = %.6f, a2 = %.6f, z3 = %.6f, l = %.6f (autograd l = %.6f)\n", z1, a1,
                z2, a2, z3, lv, l.item());

    // retain_graph: the graph is drawn after backward, with the gradients in it.
    BackwardTrace<double> trace;
    {
        ObserverGuard<double> guard(trace);
        l.backward(/*retain_graph=*/true);
    }
    report(ex, "chain",
           {{"δ3", "h'(z3) = l(1 - l)", d3, tz3.grad().item()},
            {"δ2", "δ3 · w3 · g'(z2) = δ3 · w3 · (1 - a2²)", d2, tz2.grad().item()},
            {"δ1", "δ2 · w2 · f'(z1) = δ2 · w2 · a1(1 - a1)", d1, tz1.grad().item()},
            {"∂l/∂w3", "δ3 · a2", d3 * a2, w3.grad().item()},
            {"∂l/∂w2", "δ2 · a1", d2 * a1, w2.grad().item()},
            {"∂l/∂w1", "δ1 · x", d1 * xv, w1.grad().item()},
            {"∂l/∂b", "δ1", d1, b.grad().item()}});
    std::cout << "\nbackward trace (the engine's visit order; #k names the node step k visited):\n" << trace.table();
    ex.graph(l, "chain", "chain l = h(w3·g(w2·f(w1·x + b))), f = sigmoid, g = tanh, h = sigmoid", &trace);
}

void diamond(examples::Example& ex) {
    std::cout << "\n== The diamond l = f(w4·f(w2·a1 + b2) + w5·f(w3·a1 + b3) + b), a1 = f(w1·x + b1), f = sigmoid ==\n"
              << "   x = 0.5, w1 = 1.2, b1 = -0.4, w2 = 0.7, b2 = 0.1, w3 = -1.1, b3 = 0.3, w4 = 1.5, w5 = -0.8, b = 0.2\n";
    const double xv = 0.5, w1v = 1.2, b1v = -0.4, w2v = 0.7, b2v = 0.1, w3v = -1.1, b3v = 0.3, w4v = 1.5, w5v = -0.8,
                 bv = 0.2;
    const double z1 = w1v * xv + b1v, a1 = sigmoid_d(z1);
    const double z2 = w2v * a1 + b2v, a2 = sigmoid_d(z2);
    const double z3 = w3v * a1 + b3v, a3 = sigmoid_d(z3);
    const double z4 = w4v * a2 + w5v * a3 + bv, lv = sigmoid_d(z4);
    // The notes: δ4 = f'(z4), δ2 = δ4 w4 f'(z2), δ3 = δ4 w5 f'(z3), and a1 feeds both paths, so
    // δ1 = (δ2 w2 + δ3 w3) f'(z1): the two contributions add.
    const double d4 = lv * (1 - lv);
    const double d2 = d4 * w4v * a2 * (1 - a2);
    const double d3 = d4 * w5v * a3 * (1 - a3);
    const double da1 = d2 * w2v + d3 * w3v;
    const double d1 = da1 * a1 * (1 - a1);

    const Tensord x = Tensord::scalar(xv).set_label("x");
    const Tensord w1 = param(w1v, "w1"), b1 = param(b1v, "b1"), w2 = param(w2v, "w2"), b2 = param(b2v, "b2"),
                  w3 = param(w3v, "w3"), b3 = param(b3v, "b3"), w4 = param(w4v, "w4"), w5 = param(w5v, "w5"),
                  b = param(bv, "b");
    const Tensord tz1 = named(w1 * x + b1, "z1");
    const Tensord ta1 = named(sigmoid(tz1), "a1");
    const Tensord tz2 = named(w2 * ta1 + b2, "z2");
    const Tensord tz3 = named(w3 * ta1 + b3, "z3");
    const Tensord tz4 = named(w4 * sigmoid(tz2).set_label("a2") + w5 * sigmoid(tz3).set_label("a3") + b, "z4");
    const Tensord l = sigmoid(tz4).set_label("l");
    std::printf("forward: z1 = %.6f, a1 = %.6f, z2 = %.6f, z3 = %.6f, z4 = %.6f, l = %.6f (autograd l = %.6f)\n", z1,
                a1, z2, z3, z4, lv, l.item());

    BackwardTrace<double> trace;
    {
        ObserverGuard<double> guard(trace);
        l.backward(/*retain_graph=*/true);
    }
    report(ex, "diamond",
           {{"δ4", "f'(z4) = l(1 - l)", d4, tz4.grad().item()},
            {"δ2", "δ4 · w4 · f'(z2)", d2, tz2.grad().item()},
            {"δ3", "δ4 · w5 · f'(z3)", d3, tz3.grad().item()},
            {"∂l/∂a1", "δ2 · w2 + δ3 · w3   (the two paths add)", da1, ta1.grad().item()},
            {"δ1", "(δ2 · w2 + δ3 · w3) · f'(z1)", d1, tz1.grad().item()},
            {"∂l/∂w4", "δ4 · a2", d4 * a2, w4.grad().item()},
            {"∂l/∂w5", "δ4 · a3", d4 * a3, w5.grad().item()},
            {"∂l/∂b", "δ4", d4, b.grad().item()},
            {"∂l/∂w2", "δ2 · a1", d2 * a1, w2.grad().item()},
            {"∂l/∂b2", "δ2", d2, b2.grad().item()},
            {"∂l/∂w3", "δ3 · a1", d3 * a1, w3.grad().item()},
            {"∂l/∂b3", "δ3", d3, b3.grad().item()},
            {"∂l/∂w1", "δ1 · x", d1 * xv, w1.grad().item()},
            {"∂l/∂b1", "δ1", d1, b1.grad().item()}});
    std::cout << "\nbackward trace (a1's sigmoid is visited once, after both paths have added into its gradient):\n"
              << trace.table();
    ex.graph(l, "diamond", "diamond l = f(w4·f(w2·a1 + b2) + w5·f(w3·a1 + b3) + b), a1 = f(w1·x + b1), f = sigmoid",
             &trace);
}

}  // namespace

int main(int argc, char** argv) {
    examples::Example ex("hand_derived_graphs", "the notes' hand-derived chain and diamond graphs vs. autograd");
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    chain(ex);
    diamond(ex);
    return ex.finish();
}
