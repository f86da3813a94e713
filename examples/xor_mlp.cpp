// Example 5 (notes 000, 001): XOR learned by gradient descent instead of set by hand: 2-2-1 and 2-4-1 sigmoid
// MLPs from many random starts. The minimal 2-2-1 net often gets stuck; the wider 2-4-1 almost never does.
#include <cmath>
#include <limits>
#include <iostream>

#include "common/example.hpp"
#include "nn/nn.hpp"
#include "nn/optim/sgd.hpp"

using namespace dg;

const Tensord inputs({{0., 0.}, {0., 1.}, {1., 0.}, {1., 1.}});
const Tensord targets = examples::matrix({0, 1, 1, 0}, 4, 1);

struct Run { std::shared_ptr<nn::Mlp<double>> net; double loss; bool converged; };

// Full-batch gradient descent on the notes' ½-squared error. Converged: every output within 0.2 of its target.
Run train(const std::string& spec, std::uint64_t seed, int epochs, double lr) {
    Generator gen(seed);
    auto net = std::make_shared<nn::Mlp<double>>(spec, gen, nn::MlpOptions{{true, nn::Init::uniform(1.0)}});
    optim::SGD<double> sgd(net->parameters(), optim::SGDOptions(lr));
    for (int e = 0; e < epochs; ++e) {
        sgd.zero_grad();
        nn::mse_half((*net)(inputs), targets).backward();
        sgd.step();
    }
    NoGradGuard ng;
    const Tensord out = (*net)(inputs);
    bool ok = true;
    for (std::size_t i = 0; i < 4; ++i) ok = ok && std::abs(out.at(i) - targets.at(i)) < 0.2;
    return {net, nn::mse_half(out, targets).item(), ok};
}

int main(int argc, char** argv) {
    examples::Example ex("xor_mlp", "XOR learned by 2-2-1 and 2-4-1 sigmoid MLPs from random starts");
    int seeds = 20, epochs = 5000;
    double lr = 2.0;
    ex.app.add_option("--seeds", seeds, "random starts per network")->capture_default_str()
        ->check(examples::whole_number(1));
    ex.app.add_option("--epochs", epochs, "full-batch gradient descent steps")->capture_default_str()
        ->check(examples::whole_number(1));
    ex.app.add_option("--lr", lr, "learning rate")->capture_default_str()
        ->check(examples::real_number(0, std::numeric_limits<double>::infinity(), true));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    if (ex.smoke) seeds = 6, epochs = 3000;

    std::printf("%d seeds each, %d full-batch steps of lr %g on (1/4) Σ ½(ŷ − y)², weights U(-1, 1)\n", seeds, epochs, lr);
    std::vector<int> wins;
    for (const std::string spec : {"2-2-1:sigmoid:sigmoid-out", "2-4-1:sigmoid:sigmoid-out"}) {
        int converged = 0;
        std::shared_ptr<nn::Mlp<double>> shown, stuck;  // the first converged net (for the picture), the first stuck one
        std::string losses;
        for (int s = 0; s < seeds; ++s) {
            const Run r = train(spec, ex.seed * 1000 + s, epochs, lr);
            converged += r.converged;
            if (r.converged && !shown) shown = r.net;
            if (!r.converged && !stuck) stuck = r.net;
            char buf[16];
            std::snprintf(buf, sizeof buf, "%s%.3f", r.converged ? " " : " *", r.loss);
            losses += buf;
        }
        const std::string name = spec.substr(0, 5);
        std::printf("%s: converged %d / %d   final losses (* = stuck):%s\n", name.c_str(), converged, seeds, losses.c_str());
        wins.push_back(converged);
        NoGradGuard ng;
        for (const auto& [what, net] : {std::pair{"a converged", shown}, {"a stuck", stuck}}) {
            if (!net) continue;
            const Tensord out = (*net)(inputs);
            std::printf("  %s %s net on (0,0), (0,1), (1,0), (1,1) (targets 0 1 1 0): %.3f %.3f %.3f %.3f\n", what,
                        name.c_str(), out.at(0), out.at(1), out.at(2), out.at(3));
        }
        if (!shown) continue;
        const auto grid = examples::evaluate_grid([&](const Tensord& x) { return examples::values((*shown)(x)); },
                                                  -0.5, 1.5, ex.smoke ? 40 : 120);
        ex.heatmap("XOR learned by a " + name + " sigmoid MLP: output over the plane", grid.xs, grid.ys, grid.z,
                   examples::class_points({0, 0, 0, 1, 1, 0, 1, 1}, 2, {0, 1, 1, 0}, "XOR = 0", "XOR = 1", 2.0),
                   "regions_" + name + ".png");
    }
    ex.check(wins[1] >= wins[0] && wins[1] * 10 >= seeds * 8, "2-4-1 converges at least as often as 2-2-1, in ≥ 80 % of starts",
             std::to_string(wins[0]) + " vs " + std::to_string(wins[1]));
    return ex.finish();
}
