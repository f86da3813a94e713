// Example 8 (notes 000): the universal approximation theorem in practice. One hidden layer of 10, 100 and 300
// sigmoid units (linear output) fits the same wiggly 1-D function; more units, smaller error.
#include <cmath>
#include <iostream>

#include "common/example.hpp"
#include "nn/nn.hpp"
#include "nn/optim/adam.hpp"

using namespace dg;
using examples::Series;

// A target on [-1, 1] with features at several scales: a slow wave, a fast wave and a kink.
double target(double x) { return std::sin(2 * M_PI * x) + 0.3 * std::sin(6 * M_PI * x) + 0.5 * std::abs(x - 0.3); }

int main(int argc, char** argv) {
    examples::Example ex("universal_approximation", "one hidden layer of 10, 100 and 300 sigmoid units fitting one function");
    int steps = 6000;
    ex.app.add_option("--steps", steps, "full-batch Adam steps per network")->capture_default_str()
        ->check(examples::whole_number(1));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    if (ex.smoke) steps = 1500;
    Generator gen(ex.seed);

    const auto xs = examples::linspace(-1, 1, 200);
    std::vector<double> ys;
    for (double x : xs) ys.push_back(target(x));
    const Tensord x = examples::matrix(xs, xs.size(), 1), y = examples::matrix(ys, ys.size(), 1);
    const auto grid = examples::linspace(-1, 1, 801);  // evaluate between the training points too
    std::vector<double> true_y;
    for (double g : grid) true_y.push_back(target(g));

    std::vector<Series> fits{{"target", grid, true_y, "lines lw 3 lc rgb 'black'"}}, errors;
    std::vector<double> rmses;
    for (int hidden : {10, 100, 300}) {
        nn::Mlp<double> net("1-" + std::to_string(hidden) + "-1:sigmoid", gen);
        // Hidden units σ(w·x + b) with w, b ~ U(-20, 20): steps of many steepnesses, spread over [-1, 1]. The
        // default U(±1/√fan_in) = U(±1) gives only gentle slopes, and training must then first sharpen them.
        nn::init::uniform_(net.layers()[0].weight(), gen, -20, 20);
        nn::init::uniform_(net.layers()[0].bias(), gen, -20, 20);
        // Adam with a decaying rate: the same budget for each width, so the comparison is the width's.
        optim::Adam<double> adam(net.parameters(), optim::AdamOptions(0.01));
        for (int s = 0; s < steps; ++s) {
            if (s == steps / 2 || s == 3 * steps / 4) adam.set_lr(0, adam.lr(0) * 0.3);
            adam.zero_grad();
            nn::mse_half(net(x), y).backward();
            adam.step();
        }
        NoGradGuard ng;
        const auto fit = examples::values(net(examples::matrix(grid, grid.size(), 1)));
        double se = 0, worst = 0;
        Series err{"|error|, " + std::to_string(hidden) + " hidden", grid, {}, "lines lw 2"};
        for (std::size_t i = 0; i < grid.size(); ++i) {
            const double e = std::abs(fit[i] - true_y[i]);
            se += e * e, worst = std::max(worst, e);
            err.y.push_back(std::max(e, 1e-6));  // log scale: keep exact crossings visible
        }
        rmses.push_back(std::sqrt(se / grid.size()));
        std::printf("hidden %3d (%4zu parameters): RMSE %.4f, max error %.4f\n", hidden, net.num_parameters(),
                    rmses.back(), worst);
        fits.push_back({std::to_string(hidden) + " hidden", grid, fit, "lines lw 2"});
        errors.push_back(err);
    }
    ex.check(rmses[2] < 0.5 * rmses[0] && rmses[1] < rmses[0], "100 units fit better than 10, 300 at least halve its error");
    ex.check(rmses[2] < 0.05, "300 units: RMSE < 0.05", std::to_string(rmses[2]));

    ex.plot({"One hidden layer of sigmoid units: the fits", "x", "y", false, fits, {}}, "fits.png");
    ex.plot({"One hidden layer of sigmoid units: absolute error", "x", "|h(x) − f(x)|", true, errors,
             {"set yrange [1e-5:2]"}}, "errors.png");
    return ex.finish();
}
