// Example 1 (notes 003): one sigmoid neuron σ(w1·x1 + w2·x2 + b) with hand-set weights is an OR, AND or NAND
// gate; no single neuron is an XOR, but three of them are: XOR(a, b) = AND(OR(a, b), NAND(a, b)).
#include <cmath>
#include <iostream>

#include "common/example.hpp"

using namespace dg;
using dg::examples::Example;

// A gate is one neuron: it maps a batch of inputs [m, 2] to σ(x·w + b), shape [m].
struct Gate {
    std::string name;
    double w1, w2, b;
    Tensord operator()(const Tensord& x) const { return sigmoid(matmul(x, Tensord({w1, w2})) + b); }
};

// The two inputs of a gate fed from two other gates' outputs (each [m]).
Tensord pair(const Tensord& a, const Tensord& b) {
    return concat<double>({reshape(a, {a.numel(), 1}), reshape(b, {b.numel(), 1})}, 1);
}

int main(int argc, char** argv) {
    Example ex("gates", "sigmoid neurons as logic gates, and XOR from three of them");
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;

    // The notes' weights: OR (20, 20, -10) and NAND (-10, -10, 14). The notes use and_gate without printing its
    // weights; (10, 10, -15) is the usual choice: only 1 + 1 gets over the threshold.
    const Gate or_gate{"OR", 20, 20, -10}, and_gate{"AND", 10, 10, -15}, nand_gate{"NAND", -10, -10, 14};
    auto xor_gate = [&](const Tensord& x) { return and_gate(pair(or_gate(x), nand_gate(x))); };

    const Tensord inputs({{0., 0.}, {0., 1.}, {1., 0.}, {1., 1.}});
    struct Row { std::string name; Tensord out; std::vector<int> expected; };
    const std::vector<Row> rows = {{"OR   (20, 20, -10)", or_gate(inputs), {0, 1, 1, 1}},
                                   {"AND  (10, 10, -15)", and_gate(inputs), {0, 0, 0, 1}},
                                   {"NAND (-10, -10, 14)", nand_gate(inputs), {1, 1, 1, 0}},
                                   {"XOR = AND(OR, NAND)", xor_gate(inputs), {0, 1, 1, 0}}};

    bool all_exact = true;
    for (const auto& row : rows) {
        std::cout << "\n" << row.name << "\n  a b | sigma(z)     round\n";
        for (std::size_t i = 0; i < 4; ++i) {
            const double y = row.out.at(i);
            const int bit = static_cast<int>(std::lround(y));
            all_exact = all_exact && bit == row.expected[i];
            std::printf("  %d %d | %.6f  %d%s\n", int(inputs.at(2 * i)), int(inputs.at(2 * i + 1)), y, bit,
                        bit == row.expected[i] ? "" : "   <- wrong");
        }
    }
    std::cout << "\n";
    ex.check(all_exact, "OR, AND, NAND and XOR reproduce their truth tables");

    // XOR's output over the whole square: the two hidden neurons cut the plane along two parallel lines
    // (x1 + x2 = 0.5 and x1 + x2 = 1.4), and the AND keeps the band between them.
    const auto grid = examples::evaluate_grid([&](const Tensord& x) { return examples::values(xor_gate(x)); },
                                              -0.25, 1.25, ex.smoke ? 40 : 150);
    examples::Series ones{"XOR = 1", {0, 1}, {1, 0}, "points pt 7 ps 2 lc rgb '#2166ac'"};
    examples::Series zeros{"XOR = 0", {0, 1}, {0, 1}, "points pt 6 ps 2 lw 2 lc rgb '#b2182b'"};
    ex.heatmap("XOR = AND(OR, NAND): output of the three-neuron network", grid.xs, grid.ys, grid.z, {ones, zeros},
               "xor_network.png");
    return ex.finish();
}
