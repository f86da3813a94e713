// Example 6 (notes 003): the diamond |x1| + |x2| < 1 learned by the notes' 3-4-1 sigmoid network. The 3 inputs
// are (x1, x2, 1): the constant column is the bias ("偏置位"), and neither layer has a separate bias vector.
#include <cmath>
#include <limits>
#include <iostream>

#include "common/example.hpp"
#include "nn/nn.hpp"
#include "nn/optim/sgd.hpp"

using namespace dg;
using examples::Series;

struct Data { Tensord x, y; std::vector<double> plane, labels; };

// n points uniform in [-1, 1]², augmented with the constant 1; label 1 inside the diamond.
Data make(std::size_t n, Generator& gen) {
    Data d;
    std::vector<double> xv;
    for (std::size_t i = 0; i < n; ++i) {
        const double x1 = gen.uniform(-1, 1), x2 = gen.uniform(-1, 1);
        xv.insert(xv.end(), {x1, x2, 1.0});
        d.plane.insert(d.plane.end(), {x1, x2});
        d.labels.push_back(std::abs(x1) + std::abs(x2) < 1);
    }
    d.x = examples::matrix(xv, n, 3);
    d.y = examples::matrix(d.labels, n, 1);
    return d;
}

double accuracy(const Tensord& p, const std::vector<double>& labels) {
    std::size_t ok = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) ok += (p.at(i) >= 0.5) == (labels[i] > 0.5);
    return double(ok) / labels.size();
}

int main(int argc, char** argv) {
    examples::Example ex("diamond", "the diamond |x1| + |x2| < 1 with a 3-4-1 sigmoid network");
    std::size_t n = 500;
    int iterations = 5000;
    double lr = 0.001;
    ex.app.add_option("--points", n, "training points (the notes: 50, or 500)")->capture_default_str()
        ->check(examples::whole_number(2));
    ex.app.add_option("--iterations", iterations, "full-batch steps (the notes: 5000)")->capture_default_str()
        ->check(examples::whole_number(1));
    ex.app.add_option("--lr", lr, "learning rate on the summed loss (the notes: 0.001)")->capture_default_str()
        ->check(examples::real_number(0, std::numeric_limits<double>::infinity(), true));
    ex.seed = 2;  // 7 of seeds 1..8 reach ≥ 95 %; seed 1 stalls in a local minimum at 75 % (try --seed 1)
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    Generator gen(ex.seed);
    const Data train = make(n, gen), test = make(2000, gen);

    // W_1 3×4 and W_2 4×1 ~ U(-1, 1), no bias vectors: the notes' np.random.uniform(-1, 1, size=(3, 4)) and (4).
    nn::MlpOptions opts{{false, nn::Init::uniform(1.0)}};
    nn::Mlp<double> net("3-4-1:sigmoid:sigmoid-out", gen, opts);
    optim::SGD<double> sgd(net.parameters(), optim::SGDOptions(lr));

    // Loss: the summed log loss Σ −y log ŷ − (1−y) log(1−ŷ), whose gradient at z(3) is the notes' ŷ − y
    // (J_z_3_grad = -y + y_pred, summed over the batch by np.dot). Printed as the mean, like the notes' log loss.
    std::vector<double> its, losses, accs;
    for (int it = 0; it < iterations; ++it) {
        sgd.zero_grad();
        const Tensord p = net(train.x);
        const Tensord loss = nn::bce(p, train.y, nn::Reduction::sum);
        its.push_back(it), losses.push_back(loss.item() / n), accs.push_back(accuracy(p, train.labels));
        if (it % 1000 == 0 || it == 200) std::printf("iteration %d, log loss is %.4f, accuracy is %.3f\n", it, losses.back(), accs.back());
        loss.backward();
        sgd.step();
    }
    NoGradGuard ng;
    const double train_acc = accuracy(net(train.x), train.labels), test_acc = accuracy(net(test.x), test.labels);
    std::printf("after %d iterations: log loss %.4f, training accuracy %.1f %%, accuracy on 2000 new points %.1f %%\n",
                iterations, nn::bce(net(train.x), train.y).item(), 100 * train_acc, 100 * test_acc);
    ex.check(train_acc >= 0.95, "training accuracy ≥ 95 %", std::to_string(train_acc));

    ex.plot({"Diamond, 3-4-1 sigmoid: mean log loss", "iteration", "log loss", false, {{"training", its, losses, "lines lw 2"}}, {}},
            "loss.png");
    ex.plot({"Diamond, 3-4-1 sigmoid: accuracy", "iteration", "accuracy", false, {{"training", its, accs, "lines lw 2"}},
             {"set yrange [0.4:1]"}}, "accuracy.png");
    // The network's output over the plane: append the constant 1 to each grid point before the forward pass.
    const auto grid = examples::evaluate_grid(
        [&](const Tensord& xy) { return examples::values(net(concat<double>({xy, Tensord::ones({xy.shape()[0], 1})}, 1))); },
        -1, 1, ex.smoke ? 40 : 150);
    auto points = examples::class_points(train.plane, 2, train.labels, "outside", "inside");
    points.push_back({"|x1| + |x2| = 1", {1, 0, -1, 0, 1}, {0, 1, 0, -1, 0}, "lines lw 2 dt 2 lc rgb 'black'"});
    ex.heatmap("Diamond: output of the 3-4-1 network, true boundary dashed", grid.xs, grid.ys, grid.z, points,
               "decision_boundary.png");
    return ex.finish();
}
