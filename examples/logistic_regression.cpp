// Example 4 (notes 003): logistic regression P(y=1|x) = σ(kᵀx) on two Gaussian blobs, by gradient descent on the
// negative log-likelihood C(k); autograd's gradient is checked against the notes' closed form Σ(σ(kᵀx) − y)x.
#include <cmath>
#include <limits>
#include <iostream>

#include "common/example.hpp"
#include "nn/loss.hpp"
#include "nn/optim/sgd.hpp"

using namespace dg;
using examples::Series;

int main(int argc, char** argv) {
    examples::Example ex("logistic_regression", "logistic regression on two Gaussian blobs");
    double lr = 0.002;
    int iterations = 2000;
    ex.app.add_option("--lr", lr, "learning rate on the summed loss")->capture_default_str()
        ->check(examples::real_number(0, std::numeric_limits<double>::infinity(), true));
    ex.app.add_option("--iterations", iterations, "gradient descent steps")->capture_default_str()
        ->check(examples::whole_number(1));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    if (ex.smoke) iterations = 300;
    Generator gen(ex.seed);

    // Two blobs of 100 points, σ = 1, centred at (-1, -1) (class 0) and (1.5, 1) (class 1); x = (1, x1, x2).
    const std::size_t n = 200;
    std::vector<double> xv, yv, plane;
    for (std::size_t i = 0; i < n; ++i) {
        const bool one = i % 2;
        const double x1 = gen.normal(one ? 1.5 : -1, 1), x2 = gen.normal(one ? 1 : -1, 1);
        xv.insert(xv.end(), {1.0, x1, x2});
        plane.insert(plane.end(), {x1, x2});
        yv.push_back(one);
    }
    const Tensord X = examples::matrix(xv, n, 3), y(Array<double>(xt::adapt(yv, std::vector<std::size_t>{n})));

    // C(k) = Σᵢ −yᵢ log σ(kᵀxᵢ) − (1 − yᵢ) log(1 − σ(kᵀxᵢ)): the notes' sum, computed stably from the logits kᵀx.
    Tensord k({0.5, -0.5, 0.5}, true);  // an arbitrary start ("随机初始化 k")
    auto cost = [&] { return nn::bce_with_logits(matmul(X, k), y, nn::Reduction::sum); };

    // The gradient two ways at the starting point: autograd, and the notes' Σ(σ(kᵀx) − y)x = Xᵀ(σ(Xk) − y).
    cost().backward();
    const Array<double> autograd_grad = k.grad().value();
    const Array<double> notes_grad = xt::linalg::dot(xt::transpose(X.value()), sigmoid(matmul(X, k.detach())).value() - y.value());
    const double diff = xt::amax(xt::abs(autograd_grad - notes_grad))();
    std::printf("k = (k0, k1, k2) multiplies x = (1, x1, x2): k0 is the bias\n"
                "gradient at k = (0.5, -0.5, 0.5)\n  autograd            (%.6f, %.6f, %.6f)\n"
                "  Σ(σ(kᵀx) − y)x      (%.6f, %.6f, %.6f)\n  max difference %.2e\n",
                autograd_grad(0), autograd_grad(1), autograd_grad(2), notes_grad(0), notes_grad(1), notes_grad(2), diff);
    ex.check(diff < 1e-9, "autograd gradient equals the notes' Σ(σ(kᵀx) − y)x");

    // Gradient descent: k ← k − α ∇C (the notes write it as k + α·g with g = −∇C).
    optim::SGD<double> sgd({k}, optim::SGDOptions(lr));
    std::vector<double> its, losses;
    for (int it = 0; it <= iterations; ++it) {
        sgd.zero_grad();
        Tensord c = cost();
        if (it % 10 == 0) its.push_back(it), losses.push_back(c.item() / n);
        c.backward();
        sgd.step();
    }
    const Array<double> p = sigmoid(matmul(X, k.detach())).value();
    std::size_t correct = 0;
    for (std::size_t i = 0; i < n; ++i) correct += (p(i) >= 0.5) == (yv[i] > 0.5);
    const double acc = double(correct) / n;
    std::printf("after %d steps (lr %g): k = (k0, k1, k2) = (%.3f, %.3f, %.3f), mean log loss %.4f, accuracy %.1f %%\n", iterations,
                lr, k.at(0), k.at(1), k.at(2), losses.back(), 100 * acc);
    std::printf("decision boundary kᵀx = 0:  x2 = %.3f·x1 + %.3f\n", -k.at(1) / k.at(2), -k.at(0) / k.at(2));
    ex.check(acc >= 0.9, "training accuracy ≥ 90 %", std::to_string(acc));

    // σ(kᵀx) over the plane, the points and the line kᵀx = 0.
    const double k0 = k.at(0), k1 = k.at(1), k2 = k.at(2);
    const auto grid = examples::evaluate_grid(
        [&](const Tensord& xy) {
            return examples::values(sigmoid(matmul(xy, Tensord({k1, k2})) + k0));
        }, -4.5, 4.5, ex.smoke ? 40 : 150);
    auto points = examples::class_points(plane, 2, yv);
    points.push_back(examples::line_in_square("kᵀx = 0", k1, k2, k0, -4.5, 4.5, "lines lw 2 lc rgb 'black'"));
    ex.heatmap("Logistic regression: P(y = 1 | x) = σ(kᵀx)", grid.xs, grid.ys, grid.z, points, "decision_boundary.png");
    ex.plot({"Logistic regression: mean log loss", "iteration", "C(k) / n", false, {{"gradient descent", its, losses, "lines lw 2"}}, {}},
            "loss.png");
    return ex.finish();
}
