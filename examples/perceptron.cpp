// Example 2 (notes 001, 004): the perceptron rule θ ← θ + α·y·x on each misclassified point (y·θᵀx ≤ 0).
// It converges on linearly separable data (within Novikoff's (R/γ)² mistakes), and provably cycles on XOR.
#include <cmath>
#include <iostream>
#include <set>

#include "common/example.hpp"

using namespace dg;
using examples::Series;

// Samples are augmented with a constant 1 in front, x = (1, x1, x2), so θ = (b, w1, w2) — the order of the other
// examples' parameter vectors (linear and logistic regression); labels are ±1.
struct Data { std::vector<std::array<double, 3>> x; std::vector<int> y; };
using Theta = std::array<double, 3>;
double dot(const Theta& t, const std::array<double, 3>& x) { return t[0] * x[0] + t[1] * x[1] + t[2] * x[2]; }

// One pass over the data in order; returns the number of mistakes (updates). `path` collects θ after each update.
int epoch(Theta& theta, const Data& d, std::vector<Theta>* path = nullptr) {
    int mistakes = 0;
    for (std::size_t i = 0; i < d.x.size(); ++i) {
        if (d.y[i] * dot(theta, d.x[i]) > 0) continue;  // correct: no change
        for (int k = 0; k < 3; ++k) theta[k] += d.y[i] * d.x[i][k];  // α = 1, as in the notes
        ++mistakes;
        if (path) path->push_back(theta);
    }
    return mistakes;
}

int main(int argc, char** argv) {
    examples::Example ex("perceptron", "the perceptron algorithm: converges when separable, cycles on XOR");
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    Generator gen(ex.seed);

    // 1. Separable data: points in [-1, 1]² labelled by the side of the line x2 = 0.5·x1 + 0.1, keeping only
    //    points at distance ≥ 0.05 from it (a positive margin γ).
    const Theta truth{-0.1, -0.5, 1.0};  // x2 - 0.5·x1 - 0.1 > 0  ⇔  class +1
    const double norm = std::sqrt(0.25 + 1.0 + 0.01);
    Data d;
    double R = 0, gamma = 1e9;
    while (d.x.size() < (ex.smoke ? 40u : 100u)) {
        const double x1 = gen.uniform(-1, 1), x2 = gen.uniform(-1, 1);
        const std::array<double, 3> x{1.0, x1, x2};
        const double margin = dot(truth, x) / norm;  // signed distance in the augmented space
        if (std::abs(margin) < 0.05) continue;
        d.x.push_back(x);
        d.y.push_back(margin > 0 ? 1 : -1);
        R = std::max(R, std::sqrt(1.0 + x1 * x1 + x2 * x2));
        gamma = std::min(gamma, std::abs(margin));
    }
    Theta theta{0, 0, 0};  // the notes: start from 0 with step 1
    int total = 0, epochs = 0;
    for (int m = -1; m != 0 && epochs < 10000; ++epochs) total += m = epoch(theta, d);
    const double bound = (R / gamma) * (R / gamma);
    std::printf("separable data (%zu points): converged after %d epochs, %d updates; θ = (b, w1, w2) = (%.0f, %.0f, %.0f)\n",
                d.x.size(), epochs, total, theta[0], theta[1], theta[2]);
    std::printf("  Novikoff: updates ≤ (R/γ)² = (%.3f/%.3f)² = %.0f\n", R, gamma, bound);
    int wrong = 0;
    for (std::size_t i = 0; i < d.x.size(); ++i) wrong += d.y[i] * dot(theta, d.x[i]) <= 0;
    ex.check(wrong == 0 && total <= bound, "perceptron separates the data within Novikoff's bound",
             std::to_string(wrong) + " misclassified");

    std::vector<double> flat, labels;
    for (std::size_t i = 0; i < d.x.size(); ++i) flat.insert(flat.end(), {d.x[i][1], d.x[i][2]}), labels.push_back(d.y[i] > 0);
    examples::Chart chart{"Perceptron on separable data", "x1", "x2", false, examples::class_points(flat, 2, labels, "y = −1", "y = +1"), {"set size ratio -1", "set xrange [-1:1]", "set yrange [-1:1]"}};
    chart.series.push_back(examples::line_in_square("learned: b + w1·x1 + w2·x2 = 0", theta[1], theta[2], theta[0], -1, 1,
                                                    "lines lw 2 lc rgb 'black'"));
    chart.series.push_back(examples::line_in_square("generating line", truth[1], truth[2], truth[0], -1, 1,
                                                    "lines dt 2 lw 2 lc rgb 'gray40'"));
    ex.plot(chart, "separable.png", 640, 720);

    // 2. XOR, labels ±1. The pass is deterministic (fixed order, α = 1, integer inputs), so θ at the start of an
    //    epoch decides everything after it: once a start-of-epoch θ repeats, the same epochs repeat forever.
    Data x;
    x.x = {{1, 0, 0}, {1, 0, 1}, {1, 1, 0}, {1, 1, 1}};
    x.y = {-1, 1, 1, -1};
    theta = {0, 0, 0};
    std::set<Theta> seen;
    std::vector<Theta> path{theta};
    int e = 0, cycle_start = -1;
    std::vector<Theta> starts;
    for (; e < 1000; ++e) {
        if (!seen.insert(theta).second) break;
        starts.push_back(theta);
        if (epoch(theta, x, &path) == 0) break;  // would mean XOR was separated (it never is)
    }
    for (std::size_t k = 0; k < starts.size(); ++k) if (starts[k] == theta) cycle_start = int(k);
    const bool cycled = cycle_start >= 0;
    std::printf("\nXOR: θ = (b, w1, w2) at the start of epoch %d = (%.0f, %.0f, %.0f) equals θ at the start of epoch %d.\n", e,
                theta[0], theta[1], theta[2], cycle_start);
    std::printf("  Epochs %d..%d repeat forever, each with mistakes: the perceptron never converges.\n", cycle_start, e - 1);
    std::cout << "  Why no θ can work: (0,0)→-1 needs b ≤ 0; (1,1)→-1 needs w1+w2+b ≤ 0; (0,1),(1,0)→+1 need\n"
                 "  w2+b > 0 and w1+b > 0. Adding the last two: w1+w2+2b > 0; adding the first two: w1+w2+2b ≤ 0.\n";
    ex.check(cycled, "the perceptron cycles on XOR (a start-of-epoch θ repeats)");
    std::cout << "  θ after each update of the cycle:";
    for (std::size_t k = 1; k < path.size(); ++k) std::printf(" (%.0f, %.0f, %.0f)", path[k][0], path[k][1], path[k][2]);
    std::cout << "\n";
    for (int more = 0; more < 4; ++more) epoch(theta, x, &path);  // a few more turns of the cycle for the picture

    // One panel per component: on one chart the three integer-valued paths would hide each other.
    const char* names[] = {"b", "w1", "w2"};
    const char* colors[] = {"#1b9e77", "#d95f02", "#7570b3"};
    std::vector<examples::Chart> panels;
    for (int c = 0; c < 3; ++c) {
        Series s{names[c], {}, {}, std::string("linespoints lw 2 pt 7 ps 0.8 lc rgb '") + colors[c] + "'"};
        for (std::size_t k = 0; k < path.size(); ++k) s.x.push_back(k), s.y.push_back(path[k][c]);
        panels.push_back({"", "update", names[c], false, {s}, {"set ytics 1", "set yrange [-1.5:1.5]"}, true});
    }
    ex.panels("Perceptron on XOR: θ = (b, w1, w2) after each update repeats with a period", panels, "xor_cycle.png",
              900, 620);
    return ex.finish();
}
