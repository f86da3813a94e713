// Example 7 (notes 000): curve fitting. A one-hidden-layer tanh MLP fits y = x + 0.3·sin(2πx) + ε, ε ~ U(-0.1, 0.1),
// x ∈ [0, 1], by minimising the notes' loss l = ½(h(x) − y)² averaged over the data.
#include <cmath>
#include <iostream>

#include "common/example.hpp"
#include "nn/nn.hpp"
#include "nn/optim/adam.hpp"

using namespace dg;
using examples::Series;

double truth(double x) { return x + 0.3 * std::sin(2 * M_PI * x); }

int main(int argc, char** argv) {
    examples::Example ex("curve_fit", "curve fitting y = x + 0.3 sin(2 pi x) + noise with a 1-10-1 tanh MLP");
    std::size_t n = 50;
    int steps = 3000;
    ex.app.add_option("--points", n, "noisy samples")->capture_default_str()
        ->check(examples::whole_number(2));
    ex.app.add_option("--steps", steps, "full-batch Adam steps")->capture_default_str()
        ->check(examples::whole_number(1));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    if (ex.smoke) steps = 1500;
    Generator gen(ex.seed);

    std::vector<double> xs, ys;
    for (std::size_t i = 0; i < n; ++i) {
        xs.push_back(gen.uniform(0, 1));
        ys.push_back(truth(xs.back()) + gen.uniform(-0.1, 0.1));
    }
    const Tensord x = examples::matrix(xs, n, 1), y = examples::matrix(ys, n, 1);

    // 1-10-1 with tanh hidden units and a linear output (regression). Plain gradient descent gets there too,
    // but slowly on this curve; Adam reaches the fit in a few thousand steps.
    nn::Mlp<double> net("1-10-1:tanh", gen);
    optim::Adam<double> adam(net.parameters(), optim::AdamOptions(0.01));
    std::vector<double> its, losses;
    for (int s = 0; s < steps; ++s) {
        adam.zero_grad();
        const Tensord loss = nn::mse_half(net(x), y);  // (1/n) Σ ½(h(x) − y)²
        if (s % 10 == 0) its.push_back(s), losses.push_back(loss.item());
        loss.backward();
        adam.step();
    }

    // Compare with the noise-free curve on a fine grid: the noise is ±0.1, so a good fit stays well inside it.
    NoGradGuard ng;
    const auto grid = examples::linspace(0, 1, 201);
    const auto fit = examples::values(net(examples::matrix(grid, grid.size(), 1)));
    double rmse = 0, max_err = 0;
    std::vector<double> true_y;
    for (std::size_t i = 0; i < grid.size(); ++i) {
        true_y.push_back(truth(grid[i]));
        rmse += std::pow(fit[i] - true_y[i], 2);
        max_err = std::max(max_err, std::abs(fit[i] - true_y[i]));
    }
    rmse = std::sqrt(rmse / grid.size());
    std::printf("after %d steps: training loss (1/n) Σ ½(h − y)² = %.5f (noise alone gives about %.5f)\n", steps,
                losses.back(), 0.5 * 0.2 * 0.2 / 12);
    std::printf("fit vs the noise-free curve on [0, 1]: RMSE %.4f, max error %.4f\n", rmse, max_err);
    ex.check(rmse < 0.05, "the fit follows the noise-free curve (RMSE < 0.05)", std::to_string(rmse));

    ex.plot({"Curve fit: y = x + 0.3·sin(2πx) + ε, ε ~ U(−0.1, 0.1)", "x", "y", false,
             {{"data", xs, ys, "points pt 7 ps 0.8 lc rgb '#4d4d4d'"},
              {"truth", grid, true_y, "lines dt 2 lw 2 lc rgb '#1b9e77'"},
              {"1-10-1 tanh fit", grid, fit, "lines lw 2 lc rgb '#d95f02'"}}, {}}, "fit.png");
    ex.plot({"Curve fit: training loss", "step", "loss", true, {{"(1/n) Σ ½(h(x) − y)²", its, losses, "lines lw 2"}}, {}},
            "loss.png");
    return ex.finish();
}
