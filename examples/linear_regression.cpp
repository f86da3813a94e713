// Example 3 (notes 003): y = 1.5 + 2·x1 + 5·x2 + N(0, 0.5) fitted by gradient descent on the library's autograd
// (θ a tensor, loss mse_half, optimizer SGD), compared with the closed-form least squares; BGD, SGD, MBGD.
#include <cmath>
#include <limits>
#include <cstdio>
#include <iostream>

#include "common/example.hpp"
#include "nn/data/dataset.hpp"
#include "nn/loss.hpp"
#include "nn/optim/sgd.hpp"

using namespace dg;
using examples::Series;

struct Fit { std::vector<double> theta, loss; std::vector<std::array<double, 3>> path; };

// Gradient descent on L(θ) = (1/m) Σ ½(xᵢᵀθ − yᵢ)² (nn::mse_half, the notes' convention: its gradient
// (1/m)·Xᵀ(Xθ − y) is the notes' grad_vec). batch = m is BGD, 1 is SGD, anything between is MBGD.
// Records the full-data loss after each epoch and θ after every update of the first epochs.
Fit fit(const Tensord& X, const Tensord& y, std::size_t batch, double lr, int epochs, Generator& gen) {
    const std::size_t m = X.shape()[0];
    Tensord theta({3., 3., 3.}, true);  // the notes' θ_initial
    optim::SGD<double> sgd({theta}, optim::SGDOptions(lr));
    Fit f;
    auto full_loss = [&] { NoGradGuard ng; return nn::mse_half(matmul(X, theta), y).item(); };
    f.loss.push_back(full_loss());
    for (int e = 0; e < epochs; ++e) {
        // Shuffle each epoch (the notes' "epochs with shuffling"); BGD sees all rows at once, order is irrelevant.
        const auto order = batch < m ? data::random_permutation(m, gen) : std::vector<std::size_t>{};
        for (std::size_t s = 0; s < m; s += batch) {
            Tensord xb = X, yb = y;
            if (batch < m) {
                const std::vector<std::size_t> rows(order.begin() + s, order.begin() + std::min(m, s + batch));
                xb = index_select(X, rows), yb = index_select(y, rows);
            }
            sgd.zero_grad();
            nn::mse_half(matmul(xb, theta), yb).backward();
            sgd.step();
            f.path.push_back({theta.at(0), theta.at(1), theta.at(2)});
        }
        f.loss.push_back(full_loss());
    }
    f.theta = examples::values(theta);
    return f;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
    return d;
}

int main(int argc, char** argv) {
    examples::Example ex("linear_regression", "linear regression by gradient descent vs least squares");
    double lr = 1e-3;
    int iterations = 2000;
    ex.app.add_option("--lr", lr, "learning rate (the notes: 1e-3)")->capture_default_str()
        ->check(examples::real_number(0, std::numeric_limits<double>::infinity(), true));
    ex.app.add_option("--iterations", iterations, "BGD iterations (the notes: 2000)")->capture_default_str()
        ->check(examples::whole_number(1));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    Generator gen(ex.seed);

    // The notes' data: 100 points, x1, x2 ~ U(0, 10), y = b + θ1·x1 + θ2·x2 + ε with ε ~ N(0, 0.5).
    const std::size_t m = 100;
    const std::vector<double> truth{1.5, 2.0, 5.0};
    std::vector<double> xv, yv;
    for (std::size_t i = 0; i < m; ++i) {
        const double x1 = gen.uniform(0, 10), x2 = gen.uniform(0, 10);
        xv.insert(xv.end(), {1.0, x1, x2});  // the constant column carries b
        yv.push_back(truth[0] + truth[1] * x1 + truth[2] * x2 + gen.normal(0, 0.5));
    }
    const Tensord X = examples::matrix(xv, m, 3), y = examples::matrix(yv, m, 1).detach();
    const Tensord yflat = reshape(y, {m});

    // Closed form: the normal equations XᵀX θ = Xᵀy.
    const Array<double> XtX = xt::linalg::dot(xt::transpose(X.value()), X.value());
    const Array<double> Xty = xt::linalg::dot(xt::transpose(X.value()), yflat.value());
    const Array<double> ls_a = xt::linalg::solve(XtX, Xty);
    const std::vector<double> ls(ls_a.begin(), ls_a.end());

    const Fit bgd = fit(X, yflat, m, lr, iterations, gen);
    std::printf("loss: L(θ) = (1/m) Σ ½(xᵀθ − y)², gradient (1/m)·Xᵀ(Xθ − y) = the notes' grad_vec\n");
    std::printf("truth          b = %.4f  θ1 = %.4f  θ2 = %.4f\n", truth[0], truth[1], truth[2]);
    std::printf("least squares  b = %.4f  θ1 = %.4f  θ2 = %.4f  (loss %.4f)\n", ls[0], ls[1], ls[2],
                nn::mse_half(matmul(X, Tensord(ls_a)), yflat).item());
    std::printf("BGD lr %g, %d it  b = %.4f  θ1 = %.4f  θ2 = %.4f  (loss %.4f)\n", lr, iterations, bgd.theta[0],
                bgd.theta[1], bgd.theta[2], bgd.loss.back());

    // Does the notes' setting converge? GD contracts the error along each eigenvector of H = XᵀX/m by (1 − lr·λ)
    // per step: stable when lr < 2/λmax, and the slow direction (mostly the intercept b) needs ~1/(lr·λmin) steps.
    const Array<double> lambda = xt::linalg::eigvalsh(Array<double>(XtX / double(m)));
    const double lmin = lambda(0), lmax = lambda(2), left = std::pow(1 - lr * lmin, iterations);
    std::printf("Hessian eigenvalues %.3f .. %.1f: stable (lr %g < 2/λmax = %.4f); after %d steps the slow direction "
                "keeps %.0f%% of its initial error\n", lmin, lmax, lr, 2 / lmax, iterations, 100 * left);
    const bool converged = max_diff(bgd.theta, ls) < 0.1;
    if (!converged) {
        const int needed = int(std::ceil(std::log(0.01) / std::log(1 - lr * lmin)));
        std::printf("=> the notes' 2000 iterations do NOT converge in b (off by %.2f): b sits in the flat, slow direction.\n"
                    "   Reaching 1%% of the error takes ~%d iterations at this lr; running them:\n", std::abs(bgd.theta[0] - ls[0]), needed);
        const Fit longer = fit(X, yflat, m, lr, ex.smoke ? needed : needed, gen);
        std::printf("BGD lr %g, %d it  b = %.4f  θ1 = %.4f  θ2 = %.4f\n", lr, needed, longer.theta[0], longer.theta[1], longer.theta[2]);
        ex.check(max_diff(longer.theta, ls) < 0.1 && max_diff(longer.theta, truth) < 0.1,
                 "BGD (run to convergence) within 0.1 of least squares and of the truth");
    } else {
        ex.check(max_diff(bgd.theta, truth) < 0.1, "BGD within 0.1 of least squares and of the truth");
    }
    ex.check(max_diff(ls, truth) < 0.3, "least squares near the truth (noise 0.5, 100 points)");

    // BGD, SGD (batch 1) and MBGD (batch 10) for the same number of epochs (passes over the data).
    const int epochs = ex.smoke ? 50 : 200;
    const Fit b = fit(X, yflat, m, lr, epochs, gen), s = fit(X, yflat, 1, lr, epochs, gen), mb = fit(X, yflat, 10, lr, epochs, gen);
    std::printf("after %d epochs, loss: BGD %.4f  MBGD(10) %.4f  SGD %.4f  (least squares %.4f)\n", epochs,
                b.loss.back(), mb.loss.back(), s.loss.back(), nn::mse_half(matmul(X, Tensord(ls_a)), yflat).item());
    std::vector<Series> curves;
    for (auto [name, f] : {std::pair{"BGD (batch 100)", &b}, {"MBGD (batch 10)", &mb}, {"SGD (batch 1)", &s}}) {
        Series c{name, {}, f->loss, "lines lw 2"};
        for (std::size_t e = 0; e < f->loss.size(); ++e) c.x.push_back(e);
        curves.push_back(c);
    }
    char title[96];
    std::snprintf(title, sizeof title, "Loss (1/m) Σ ½(xᵀθ − y)², lr %g", lr);
    ex.plot({title, "epoch", "loss", true, curves, {}}, "loss_curves.png");

    // The parameter path of the notes' BGD run, each with its least-squares value dashed in the same colour.
    std::vector<Series> path;
    const char* names[] = {"b", "θ1", "θ2"};
    const char* colors[] = {"#1b9e77", "#d95f02", "#7570b3"};
    for (int k = 0; k < 3; ++k) {
        const std::string color = std::string(" lc rgb '") + colors[k] + "'";
        Series p{names[k], {}, {}, "lines lw 2" + color},
            t{std::string(names[k]) + ", least squares", {0, double(bgd.path.size())}, {ls[k], ls[k]}, "lines dt 2 lw 2" + color};
        for (std::size_t i = 0; i < bgd.path.size(); ++i) p.x.push_back(i + 1), p.y.push_back(bgd.path[i][k]);
        path.push_back(p);
        path.push_back(t);
    }
    ex.plot({"BGD parameter path from (3, 3, 3)", "iteration", "value", false, path, {"set yrange [1.25:5.25]"}},
            "parameter_path.png");
    return ex.finish();
}
