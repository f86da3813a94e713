// Finite-difference gradient checks in double (central differences), perturbing the given tensors in place.
#include "autograd/inspect/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"

namespace dg {

namespace {

/// How messages name an input: `input 1 "fc1.weight"`, or `input 1`.
std::string input_label(std::size_t position, const std::string& name) {
    std::string s = "input " + std::to_string(position);
    return name.empty() ? s : s + " \"" + name + "\"";
}

/// Refuses what cannot be checked in place: an undefined tensor, one that does not require grad (a constant:
/// capture it in f instead), a non-leaf (perturbing a computed value would not perturb what it was computed from).
void validate(const NamedTensors& inputs) {
    if (inputs.empty()) throw ValueError("gradcheck: no inputs; pass the leaf tensors whose gradients to check");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto& [name, x] = inputs[i];
        const std::string label = "gradcheck: " + input_label(i, name);
        if (!x.defined()) throw ValueError(label + " is an undefined tensor");
        if (!x.requires_grad())
            throw ValueError(label + " (shape " + shape_str(x.shape()) +
                             ") does not require grad: pass only the tensors to check, and capture constants in f");
        if (!x.is_leaf())
            throw ValueError(label + " (shape " + shape_str(x.shape()) + ") is not a leaf (made by " + x.op() +
                             "): gradcheck perturbs its inputs in place; pass the leaf it is computed from");
    }
}

std::vector<Tensor<double>> tensors_of(const NamedTensors& inputs) {
    std::vector<Tensor<double>> xs;
    for (const auto& named : inputs) xs.push_back(named.second);
    return xs;
}

/// f reduced to a scalar: Σ f(x) ⊙ R with R drawn once from the seed (R = 1 for a one-element output).
struct Projected {
    const TensorFn& f;
    Tensor<double> weights;
    std::string quantity;  // for the report

    Projected(const TensorFn& fn, const std::vector<Tensor<double>>& xs, std::uint64_t seed) : f(fn) {
        Tensor<double> y;
        {
            NoGradGuard no_grad;
            y = f(xs);
        }
        if (!y.defined()) throw ValueError("gradcheck: f returned an undefined tensor");
        Generator gen(seed);
        if (y.numel() == 1) {
            weights = Tensor<double>::ones(y.shape());
            quantity = "f(x)";
        } else {
            weights = Tensor<double>::randn(y.shape(), gen);
            quantity = "sum(f(x) * R), R random " + shape_str(y.shape());
        }
    }
    Tensor<double> operator()(const std::vector<Tensor<double>>& xs) const { return sum(mul(f(xs), weights)); }
};

/// Adds `delta` to one element of a leaf for the guard's lifetime, then writes the original value back (also
/// when f throws). Storing the original matters: x + eps - eps is not always x.
class Nudge {
public:
    Nudge(const Tensor<double>& x, std::size_t index, double delta)
        : x_(x), index_(index), original_(x.value().data()[index]) {
        set(original_ + delta);
    }
    ~Nudge() { set(original_); }
    Nudge(const Nudge&) = delete;
    Nudge& operator=(const Nudge&) = delete;

private:
    void set(double v) {
        NoGradGuard no_grad;  // mutable_value refuses to change a leaf that requires grad while recording
        x_.mutable_value().data()[index_] = v;
    }
    Tensor<double> x_;
    std::size_t index_;
    double original_;
};

/// Folds one element's analytic and numeric values into its input's result.
void compare_element(GradcheckInput& in, std::size_t index, double analytic, double numeric,
                     const GradcheckOptions& opt) {
    const bool first_compared = in.all_zero();
    in.analytic_zero = in.analytic_zero && analytic == 0;
    in.numeric_zero = in.numeric_zero && numeric == 0;
    if (analytic == 0 && numeric == 0) return;  // agree trivially: never the worst
    const double err = std::abs(analytic - numeric);
    // NaN (either side) fails and is the worst; err == 0 passes even with atol = rtol = 0.
    const double used =
        std::isnan(err) ? INFINITY : err == 0 ? 0.0 : err / (opt.atol + opt.rtol * std::abs(numeric));
    if (!(used <= 1)) ++in.failed;
    if (first_compared || used > in.tolerance_used) {
        in.index = index;
        in.analytic = analytic;
        in.numeric = numeric;
        in.abs_error = err;
        in.rel_error = err / std::max(std::abs(analytic), std::abs(numeric));
        in.tolerance_used = used;
    }
}

/// Why a report is not ok, or "" when it is. The vacuous cases come first: with them the comparison of
/// values says nothing.
std::string find_problem(const GradcheckReport& report) {
    bool all_zero = true;
    for (const auto& in : report.inputs) all_zero = all_zero && in.all_zero();
    if (all_zero)
        return "the gradient of " + report.quantity +
               " is exactly 0 at every element, analytic and numeric: it does not depend on the given tensors "
               "(does f read copies of them, or is it constant in them?)";
    std::string problem;
    for (const auto& in : report.inputs) {
        std::string p;
        if (in.analytic_zero && !in.numeric_zero)
            p = input_label(in.position, in.name) +
                ": the analytic gradient is 0 at every element but the numeric one is not: f reads this tensor "
                "outside the recorded graph (a copy, a detach) or a backward drops its gradient";
        else if (in.failed > 0)
            p = input_label(in.position, in.name) + ": " + std::to_string(in.failed) + " of " +
                std::to_string(in.checked) + " elements outside tolerance";
        if (!p.empty()) problem += (problem.empty() ? "" : "; ") + p;
    }
    return problem;
}

/// The check itself: autograd's gradient of scalar_f against central differences, input by input.
GradcheckReport check_scalar(const TensorFn& scalar_f, const std::string& quantity, const NamedTensors& named,
                             const GradcheckOptions& opt) {
    const std::vector<Tensor<double>> xs = tensors_of(named);
    // The analytic pass records its graph and consumes it before the first in-place perturbation, so the
    // engine's version check never sees a changed input (gradgradcheck's numeric evaluations record their own
    // graphs after each perturbation). An output that does not depend on the inputs through the graph has no
    // gradient to ask the engine for: all zero.
    const Tensor<double> out = scalar_f(xs);
    const std::vector<Tensor<double>> analytic =
        out.requires_grad() ? grad<double>({out}, xs, {}, false, true) : std::vector<Tensor<double>>(xs.size());

    GradcheckReport report;
    report.quantity = quantity;
    report.options = opt;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        GradcheckInput in;
        in.position = i;
        in.name = named[i].first;
        in.shape = xs[i].shape();
        for (std::size_t j = 0; j < xs[i].numel(); ++j) {
            auto eval = [&](double delta) {
                Nudge nudge(xs[i], j, delta);
                NoGradGuard no_grad;
                return scalar_f(xs).item();
            };
            const double numeric = (eval(opt.eps) - eval(-opt.eps)) / (2 * opt.eps);
            compare_element(in, j, analytic[i].defined() ? analytic[i].value().data()[j] : 0.0, numeric, opt);
            ++in.checked;
        }
        report.checked += in.checked;
        report.inputs.push_back(std::move(in));
    }
    report.problem = find_problem(report);
    report.ok = report.problem.empty();
    return report;
}

/// A flat row-major index as [i,j,...] of `shape`.
std::string multi_index(std::size_t flat, const Shape& shape) {
    Shape index(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        index[d] = flat % shape[d];
        flat /= shape[d];
    }
    return shape_str(index);
}

NamedTensors unnamed(const std::vector<Tensor<double>>& inputs) {
    NamedTensors named;
    for (const auto& x : inputs) named.emplace_back("", x);
    return named;
}

}  // namespace

std::string GradcheckInput::str() const {
    std::ostringstream out;
    out.precision(6);
    out << input_label(position, name) << " " << shape_str(shape);
    if (all_zero()) {
        out << ": analytic and numeric gradients exactly 0 at every element";
        return out.str();
    }
    out << ", worst at " << multi_index(index, shape) << ": analytic " << analytic << ", numeric " << numeric
        << ", abs " << abs_error << ", rel " << rel_error;
    if (failed > 0) out << "; " << failed << " of " << checked << " elements outside tolerance";
    return out.str();
}

const GradcheckInput* GradcheckReport::worst() const {
    const GradcheckInput* w = nullptr;
    for (const auto& in : inputs)
        if (!in.all_zero() && (!w || in.tolerance_used > w->tolerance_used)) w = &in;
    return w;
}

std::string GradcheckReport::str() const {
    std::ostringstream out;
    out.precision(6);
    if (ok)
        out << "gradcheck ok: " << checked << " elements of " << inputs.size() << " input(s)";
    else
        out << "gradcheck FAILED: " << problem;
    out << "\n  compared: the gradient of " << quantity << ", autograd vs central differences (eps " << options.eps
        << "); an element passes if |analytic - numeric| <= " << options.atol << " + " << options.rtol
        << " * |numeric|";
    for (const auto& in : inputs) out << "\n  " << in.str();
    return out.str();
}

GradcheckReport gradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs, const GradcheckOptions& opt) {
    return gradcheck(f, unnamed(inputs), opt);
}

GradcheckReport gradcheck(const TensorFn& f, const NamedTensors& inputs, const GradcheckOptions& opt) {
    validate(inputs);
    const Projected projected(f, tensors_of(inputs), opt.seed);
    return check_scalar(projected, projected.quantity, inputs, opt);
}

GradcheckReport gradgradcheck(const TensorFn& f, const std::vector<Tensor<double>>& inputs,
                              const GradcheckOptions& opt) {
    return gradgradcheck(f, unnamed(inputs), opt);
}

GradcheckReport gradgradcheck(const TensorFn& f, const NamedTensors& inputs, const GradcheckOptions& opt) {
    validate(inputs);
    Projected projected(f, tensors_of(inputs), opt.seed);
    // R, the gradient fed into f's backward, is checked as one more input (as in PyTorch's gradgradcheck): the
    // first derivative is linear in it, so this checks that each op's backward is differentiable in its incoming
    // gradient, which is all there is to check for an op linear in x (add, slice, relu...).
    projected.weights.set_requires_grad();
    NamedTensors checked = inputs;
    checked.emplace_back("R", projected.weights);
    // Random directions V_i, one per input, fixed for every evaluation.
    Generator gen(opt.seed + 1);
    std::vector<Tensor<double>> directions;
    for (const auto& named : inputs) directions.push_back(Tensor<double>::randn(named.second.shape(), gen));
    auto first_derivative = [&](const std::vector<Tensor<double>>& xs_and_r) {
        const std::vector<Tensor<double>> xs(xs_and_r.begin(), xs_and_r.end() - 1);
        // Under a NoGradGuard (numeric evaluations) the inputs still carry requires_grad: record the inner graph.
        GradModeGuard enable(true);
        const Tensor<double> y = projected(xs);
        Tensor<double> total = Tensor<double>::scalar(0.0);
        if (!y.requires_grad()) return total;  // f constant in the inputs: a zero first derivative
        const auto gs = grad<double>({y}, xs, {}, true, true);
        for (std::size_t k = 0; k < gs.size(); ++k)
            if (gs[k].defined()) total = add(total, sum(mul(gs[k], directions[k])));
        return total;
    };
    return check_scalar(first_derivative,
                        "sum_i <d[sum(f(x) * R)]/dx_i, V_i> in x and R (R " + shape_str(projected.weights.shape()) +
                            ", V_i random)",
                        checked, opt);
}

}  // namespace dg
