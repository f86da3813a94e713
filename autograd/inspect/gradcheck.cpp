// Finite-difference gradient checks in double (central differences).
#include "autograd/inspect/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"

namespace dg {

namespace {

/// f reduced to a scalar: Σ f(x) ⊙ R with R drawn once from the seed (R = 1 for a one-element output).
struct Projected {
    const TensorFn& f;
    Tensor<double> weights;

    Projected(const TensorFn& fn, const std::vector<Tensor<double>>& inputs, std::uint64_t seed) : f(fn) {
        Tensor<double> y;
        {
            NoGradGuard no_grad;
            y = f(inputs);
        }
        Generator gen(seed);
        weights = y.numel() == 1 ? Tensor<double>::ones(y.shape()) : Tensor<double>::randn(y.shape(), gen);
    }
    Tensor<double> operator()(const std::vector<Tensor<double>>& xs) const { return sum(mul(f(xs), weights)); }
};

/// Leaves with the same values and requires_grad as `inputs` (the caller's tensors are never touched).
std::vector<Tensor<double>> fresh_leaves(const std::vector<Tensor<double>>& inputs) {
    std::vector<Tensor<double>> xs;
    for (const auto& x : inputs) xs.emplace_back(Array<double>(x.value()), x.requires_grad());
    return xs;
}

GradcheckReport check_scalar(const std::function<Tensor<double>(const std::vector<Tensor<double>>&)>& scalar_f,
                             const std::vector<Tensor<double>>& inputs, const GradcheckOptions& opt) {
    std::vector<Tensor<double>> xs = fresh_leaves(inputs);
    std::vector<Tensor<double>> wrt;
    std::vector<std::size_t> wrt_index;
    for (std::size_t i = 0; i < xs.size(); ++i)
        if (xs[i].requires_grad()) {
            wrt.push_back(xs[i]);
            wrt_index.push_back(i);
        }
    if (wrt.empty()) throw ValueError("gradcheck: no input requires grad");
    const Tensor<double> out = scalar_f(xs);
    // An output that does not depend on the inputs through the graph (in gradgradcheck: a first derivative
    // that is constant, as for add) has zero derivatives; asking the engine would be an error.
    const std::vector<Tensor<double>> analytic =
        out.requires_grad() ? grad<double>({out}, wrt, {}, false, true) : std::vector<Tensor<double>>(wrt.size());

    GradcheckReport report;
    // -inf, not -1: with a large |numeric| every excess can be below -1, and the report must still name
    // the worst element.
    double worst_excess = -INFINITY;
    for (std::size_t k = 0; k < wrt.size(); ++k) {
        const std::size_t i = wrt_index[k];
        for (std::size_t j = 0; j < xs[i].numel(); ++j) {
            auto eval = [&](double delta) {
                NoGradGuard no_grad;
                std::vector<Tensor<double>> ys = fresh_leaves(inputs);
                ys[i].node()->value.data()[j] += delta;
                return scalar_f(ys).item();
            };
            const double numeric = (eval(opt.eps) - eval(-opt.eps)) / (2 * opt.eps);
            const double a = analytic[k].defined() ? analytic[k].value().data()[j] : 0.0;
            const double err = std::abs(a - numeric);
            const double excess = err - (opt.atol + opt.rtol * std::abs(numeric));
            ++report.checked;
            if (excess > worst_excess || std::isnan(err)) {
                worst_excess = std::isnan(err) ? INFINITY : excess;
                report.input = i;
                report.index = j;
                report.analytic = a;
                report.numeric = numeric;
                report.abs_error = err;
                report.rel_error = err / std::max(std::abs(numeric), 1e-300);
            }
        }
    }
    report.ok = worst_excess <= 0;
    return report;
}

}  // namespace

std::string GradcheckReport::str() const {
    std::ostringstream out;
    out.precision(6);
    out << (ok ? "gradcheck ok: " : "gradcheck FAILED: ") << checked << " elements, worst input " << input << "["
        << index << "]: analytic " << analytic << ", numeric " << numeric << ", abs error " << abs_error
        << ", rel error " << rel_error;
    return out.str();
}

GradcheckReport gradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs, const GradcheckOptions& opt) {
    Projected projected(f, inputs, opt.seed);
    return check_scalar(projected, inputs, opt);
}

GradcheckReport gradgradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs,
                              const GradcheckOptions& opt) {
    Projected projected(f, inputs, opt.seed);
    // Random directions V_i, one per input that requires grad, fixed for every evaluation.
    Generator gen(opt.seed + 1);
    std::vector<Tensor<double>> directions;
    for (const auto& x : inputs) directions.push_back(Tensor<double>::randn(x.shape(), gen));
    auto first_derivative = [&](const std::vector<Tensor<double>>& xs) {
        std::vector<Tensor<double>> wrt, dirs;
        for (std::size_t i = 0; i < xs.size(); ++i)
            if (xs[i].requires_grad()) {
                wrt.push_back(xs[i]);
                dirs.push_back(directions[i]);
            }
        // Under a NoGradGuard (numeric evaluations) the inputs still carry requires_grad: record the inner graph.
        GradModeGuard enable(true);
        const Tensor<double> y = projected(xs);
        const auto gs = grad<double>({y}, wrt, {}, true, true);
        Tensor<double> total = Tensor<double>::scalar(0.0);
        for (std::size_t k = 0; k < gs.size(); ++k)
            if (gs[k].defined()) total = add(total, sum(mul(gs[k], dirs[k])));
        return total;
    };
    return check_scalar(first_derivative, inputs, opt);
}

}  // namespace dg
