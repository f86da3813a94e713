// bpcheck: the three-way gradient check (autograd vs the delta reference vs finite differences) of an MLP from
// the command line, with a per-layer table or JSON; saves and checks golden fixtures (nn/check/bpcheck_fixture.hpp).
//   bpcheck --spec 4-8-3:tanh --loss softmax-ce --batch 5 --seed 1 [--dtype double|float] [--l2 0.01] [--json]
//   bpcheck ... --save golden.safetensors      bpcheck --against golden.safetensors
//   bpcheck --spec 3-8-4:lstm:T5 --loss softmax-ce --batch 3   (a recurrent spec: δ per layer and time step)
//   bpcheck --spec 1x6x6-c2k3p1-relu-m2-flat-3 --batch 3        (a CNN spec: against the conv delta reference)
//   bpcheck ... --html explorer.html           (the backprop explorer: examples/common/explorer.hpp)
//   bpcheck ... --show                         (the gradients themselves: nn/check/bpcheck_show.hpp)
//   bpcheck --exercise DIR [--spec --loss --batch --seed]      bpcheck --grade DIR   (nn/check/exercise.hpp)
// Exit status: 0 agreement, 1 disagreement, 2 bad usage or a file that cannot be read.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "autograd/array/errors.hpp"
#include "nn/check/bpcheck.hpp"
#include "nn/check/bpcheck_cnn.hpp"
#include "nn/check/bpcheck_fixture.hpp"
#include "nn/check/bpcheck_rnn.hpp"
#include "nn/check/bpcheck_show.hpp"
#include "nn/check/exercise.hpp"
#include "common/cli.hpp"
#include "common/explorer.hpp"
#include "nn/reference/delta_loss.hpp"

namespace {

using dg::nn::BpcheckReport;
using dg::nn::Comparison;
using nlohmann::json;

// The finite-difference steps --eps accepts. Measured on the six configurations of examples/tests.cmake: in double
// all pass from 1e-9 to 3e-3, five of six fail at 1e-10 and below (round-off) and at 3e-2 and above (truncation
// error); at 1e-2 4-8-3:tanh fails (the hint below then names the step). float passes more widely.
constexpr double eps_min = 1e-8, eps_max = 1e-2;

struct Args {
    std::string spec = "4-8-3:tanh";
    std::string loss = "cross-entropy";
    std::size_t batch = 5;
    std::uint64_t seed = 1;
    std::string dtype = "double";
    double l2 = 0;
    double eps = 1e-4;
    std::size_t fd_max = 0;
    double rtol = -1, fd_rtol = -1;
    bool json = false;
    std::string save, against;
    std::string html;  // --html: the backprop explorer page (examples/common/explorer.hpp)
    bool show = false;
    std::string exercise, grade;  // folders
};

// One comparison; the worst element's two values under the names of the two sides compared.
json to_json(const Comparison& c, const dg::Shape& shape, const char* first, const char* second) {
    return {{"compared", c.compared}, {"max_abs", c.max_abs}, {"max_rel", c.max_rel}, {"ok", c.ok},
            {"worst", {{"index", dg::nn::index_str(shape, c.worst)}, {first, c.a}, {second, c.b}}}};
}

// An array as nested JSON lists of its shape; NaN (no value) as null.
json nested(const dg::Array<double>& a, std::size_t axis = 0, std::size_t offset = 0) {
    if (a.size() == 0) return nullptr;
    if (axis == a.dimension()) return std::isnan(a.flat(offset)) ? json(nullptr) : json(a.flat(offset));
    std::size_t stride = 1;
    for (std::size_t d = axis + 1; d < a.dimension(); ++d) stride *= a.shape()[d];
    json out = json::array();
    for (std::size_t i = 0; i < a.shape()[axis]; ++i) out.push_back(nested(a, axis + 1, offset + i * stride));
    return out;
}

json to_json(const BpcheckReport& r) {
    json layers = json::array();
    for (const auto& l : r.layers) {
        json qs = json::array();
        for (const auto& q : l.quantities)
            qs.push_back({{"name", q.name},
                          {"symbol", dg::nn::quantity_symbol(q.name, l.layer)},
                          {"shape", q.shape},
                          {"values",
                           {{"autograd", nested(q.autograd)},
                            {"reference", nested(q.reference)},
                            {"finite_differences", nested(q.fd)}}},
                          {"autograd_vs_reference", to_json(q.autograd_vs_reference, q.shape, "autograd", "reference")},
                          {"autograd_vs_fd", to_json(q.autograd_vs_fd, q.shape, "autograd", "finite_differences")},
                          {"reference_vs_fd", to_json(q.reference_vs_fd, q.shape, "reference", "finite_differences")},
                          {"fd_count", q.fd_count},
                          {"flagged", q.flagged},
                          {"ok", q.ok()}});
        layers.push_back({{"layer", l.layer}, {"activation", l.activation}, {"quantities", qs}, {"ok", l.ok()}});
    }
    return {{"spec", r.spec},
            {"loss", r.loss},
            {"dtype", r.dtype},
            {"lambda", r.lambda},
            {"batch", r.batch},
            {"convention", r.convention},
            {"loss_value",
             {{"autograd", r.loss_autograd}, {"reference", r.loss_reference}, {"finite_differences", r.loss_fd}}},
            {"loss_ok", r.loss_ok},
            {"reference_run", r.reference_run},
            {"note", r.note},
            {"tolerances",
             {{"analytic", {{"atol", r.tolerances.analytic.atol}, {"rtol", r.tolerances.analytic.rtol}}},
              {"numeric", {{"atol", r.tolerances.numeric.atol}, {"rtol", r.tolerances.numeric.rtol}}}}},
            {"layers", layers},
            {"fd_count", r.fd_count()},
            {"flagged_count", r.flagged_count()},
            {"ok", r.ok()}};
}

json to_json(const dg::nn::FixtureReport& r) {
    json rows = json::array();
    for (const auto& row : r.rows)
        rows.push_back({{"layer", row.layer}, {"name", row.name}, {"shape", row.shape},
                        {"comparison", to_json(row.comparison, row.shape, "recomputed", "stored")}});
    return {{"path", r.path}, {"spec", r.spec},     {"loss", r.loss}, {"dtype", r.dtype},
            {"lambda", r.lambda}, {"batch", r.batch}, {"rows", rows},   {"ok", r.ok()}};
}

// When autograd and the reference agree and only the finite differences do not, the step is the likely cause.
std::string step_hint(const BpcheckReport& r, double eps) {
    bool analytic_ok = r.loss_ok, numeric_ok = true;
    for (const auto& l : r.layers)
        for (const auto& q : l.quantities) {
            analytic_ok = analytic_ok && q.autograd_vs_reference.ok;
            numeric_ok = numeric_ok && q.autograd_vs_fd.ok && q.reference_vs_fd.ok;
        }
    if (!analytic_ok || numeric_ok) return "";
    char line[400];
    std::snprintf(line, sizeof line,
                  "hint: autograd and the delta reference agree; only the finite differences differ from them. Their "
                  "step --eps %g may be the cause: a smaller step loses the difference to round-off, a larger one adds "
                  "truncation error (growing as eps⁴); the default is %g. Or their tolerance (--fd-rtol) is too tight "
                  "for this network.\n",
                  eps, Args{}.eps);
    return line;
}

// The check's options from the command line.
template <class T>
dg::nn::BpcheckOptions<T> check_options(const Args& args) {
    dg::nn::BpcheckOptions<T> options;
    options.lambda = args.l2;
    options.eps = args.eps;
    options.max_fd_per_quantity = args.fd_max;
    options.seed = args.seed;
    if (args.rtol >= 0) options.tolerances.analytic.rtol = args.rtol;
    if (args.fd_rtol >= 0) options.tolerances.numeric.rtol = args.fd_rtol;
    return options;
}

// The report as a table or JSON, and the step hint.
void print(const BpcheckReport& report, const Args& args) {
    if (args.json) std::cout << to_json(report).dump(2) << "\n";
    else if (args.show) std::cout << dg::nn::show_gradients(report) << report.table(false);
    else std::cout << report.table();
    if (const std::string hint = step_hint(report, args.eps); !hint.empty()) (args.json ? std::cerr : std::cout) << hint;
}

// The check of a spec's network: an Mlp, a Cnn (nn/check/bpcheck_cnn.hpp, against the conv delta reference) or a
// RecurrentNet (nn/check/bpcheck_rnn.hpp, δ per layer and time step); printed, and written as the explorer and as a
// fixture when asked.
template <class Net, class T>
int check_network(const Args& args, dg::nn::Loss loss) {
    constexpr bool mlp = std::is_same_v<Net, dg::nn::Mlp<T>>;
    dg::Generator gen(args.seed);
    Net net(args.spec, gen);
    if constexpr (mlp) dg::nn::randomize_biases(net, gen);
    const dg::nn::CheckBatch<T> batch = dg::nn::make_check_batch<T>(net.spec(), loss, args.batch, gen);
    const BpcheckReport report = dg::nn::bpcheck(net, batch.X, batch.Y, loss, check_options<T>(args));
    print(report, args);
    if (!args.html.empty()) {
        const json run = {{"loss", report.loss}, {"batch", args.batch}, {"seed", args.seed}, {"dtype", args.dtype},
                          {"lambda", args.l2}, {"eps", args.eps}};
        json data;
        if constexpr (mlp) data = dg::examples::mlp_explorer_json(net, batch.X, batch.Y, loss, args.l2, report);
        else if constexpr (std::is_same_v<Net, dg::nn::Cnn<T>>) data = dg::examples::cnn_explorer_json(net, batch.X, batch.Y, loss, report);
        else data = dg::examples::recurrent_explorer_json(net, batch.X, batch.Y, loss, report);
        dg::examples::write_explorer(args.html, std::move(data), run);
        (args.json ? std::cerr : std::cout) << "explorer: " << args.html << "\n";
    }
    if (!args.save.empty()) {
        if constexpr (mlp) dg::nn::save_bpcheck_fixture(args.save, net, batch.X, batch.Y, loss, args.l2);
        else dg::nn::save_bpcheck_fixture(args.save, net, batch.X, batch.Y, loss);  // --l2 is refused for these specs
        if (!args.json) std::cout << "saved " << args.save << "\n";
    }
    return report.ok() ? 0 : 1;
}

template <class T>
int check(const Args& args) {
    const dg::nn::Loss loss = dg::reference::parse_loss(dg::examples::find_loss(args.loss)->reference);
    if (dg::nn::is_recurrent_spec(args.spec)) return check_network<dg::nn::RecurrentNet<T>, T>(args, loss);
    if (dg::nn::is_cnn_spec(args.spec)) return check_network<dg::nn::Cnn<T>, T>(args, loss);
    return check_network<dg::nn::Mlp<T>, T>(args, loss);
}

int against(const Args& args) {
    dg::nn::Tolerance tol;
    const dg::nn::Tolerance* override_tol = nullptr;
    if (args.rtol >= 0) {
        const bool f64 = dg::nn::fixture_dtype(args.against) == "F64";
        tol = f64 ? dg::nn::BpcheckTolerances::defaults<double>().analytic
                  : dg::nn::BpcheckTolerances::defaults<float>().analytic;
        tol.rtol = args.rtol;
        override_tol = &tol;
    }
    const dg::nn::FixtureReport report = dg::nn::check_bpcheck_fixture(args.against, override_tol);
    if (args.json) std::cout << to_json(report).dump(2) << "\n";
    else std::cout << report.table();
    return report.ok() ? 0 : 1;
}

// --exercise DIR: the problem's files, and what to do next.
int exercise(const dg::nn::ExerciseOptions& options, const std::string& dir) {
    const std::vector<std::string> files = dg::nn::write_exercise(dir, options);
    std::cout << "wrote a backprop exercise (" << options.spec << ", loss " << dg::reference::loss_name(options.loss)
              << ", m = " << options.batch << ", seed " << options.seed << ") into " << dir << ":\n ";
    std::size_t answers = 0;
    for (const std::string& f : files) {
        if (f.rfind("answer/", 0) == 0) ++answers;
        else std::cout << " " << f;
    }
    std::cout << "\n  answer/: " << answers << " files of zeros, one per δ(l), ΔW(l), Δb(l), for the student to overwrite\n"
              << "next: read " << dir << "/README.txt, write the answers, then run: bpcheck --grade " << dir << "\n";
    return 0;
}

// --grade DIR: every answer right or wrong; exit status 0 only when all are right.
int grade(const Args& args) {
    const dg::nn::GradeReport report = dg::nn::grade_exercise(args.grade);
    std::cout << report.text();
    return report.ok() ? 0 : 1;
}

// A bad combination of options: reported like a parse error (exit status 2).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The modes besides the check, and the options each takes: any other option given with one is refused, not ignored.
struct Mode {
    const char* option;
    std::string Args::*value;  // the file or folder it names
    const char* does;
    std::vector<std::string> takes;
};
const Mode modes[] = {
    {"--against", &Args::against, "recomputes the fixture with its own network, batch, loss and step", {"--rtol", "--json"}},
    {"--exercise", &Args::exercise, "writes a problem", {"--spec", "--loss", "--batch", "--seed"}},
    {"--grade", &Args::grade, "grades the folder's answers against the folder's own problem", {}},
};

// The spec and loss an exercise is made with: the options given, else ExerciseOptions' defaults.
dg::nn::ExerciseOptions exercise_options(const CLI::App& app, const Args& args) {
    dg::nn::ExerciseOptions o;
    if (app.count("--spec")) o.spec = args.spec;
    if (app.count("--loss")) o.loss = dg::reference::parse_loss(dg::examples::find_loss(args.loss)->reference);
    if (app.count("--batch")) o.batch = args.batch;
    if (app.count("--seed")) o.seed = args.seed;
    return o;
}

// What parsing cannot see: options a mode would ignore, and a loss that is constant for the spec.
void validate(const CLI::App& app, const Args& args) {
    for (const Mode& mode : modes) {
        if (!app.count(mode.option)) continue;
        if ((args.*mode.value).empty())
            throw UsageError(std::string(mode.option) + " needs a " + (mode.value == &Args::against ? "file" : "folder") +
                             ", got an empty name");
        for (const CLI::Option* o : app.get_options()) {
            const std::string name = o->get_name();
            if (name == mode.option || o->count() == 0 ||
                std::find(mode.takes.begin(), mode.takes.end(), name) != mode.takes.end())
                continue;
            std::string takes;
            for (std::size_t i = 0; i < mode.takes.size(); ++i)
                takes += (i == 0 ? "" : i + 1 == mode.takes.size() ? " and " : ", ") + mode.takes[i];
            throw UsageError(std::string(mode.option) + " " + mode.does + ", so " + name + " cannot be given with it" +
                             (takes.empty() ? "" : " (it takes " + takes + ")"));
        }
    }
    if (args.show && args.json)
        throw UsageError("--show prints the gradients as text; with --json they are in every quantity's \"values\"");
    if (!args.against.empty() || !args.grade.empty()) return;
    if (!args.exercise.empty()) {
        const dg::nn::ExerciseOptions o = exercise_options(app, args);
        if (dg::nn::is_recurrent_spec(o.spec) || dg::nn::is_cnn_spec(o.spec))
            throw UsageError("--exercise takes an MLP spec, such as 2-3-2:sigmoid, not " + o.spec);
        return;
    }
    std::size_t outputs = 0;
    if (dg::nn::is_recurrent_spec(args.spec)) {
        if (app.count("--l2"))
            throw UsageError("--l2 is for MLP specs; the recurrent spec " + args.spec + " is checked without it");
        outputs = dg::nn::parse_recurrent_spec(args.spec).outputs;
    } else if (dg::nn::is_cnn_spec(args.spec)) {
        if (app.count("--l2"))
            throw UsageError("--l2 is for MLP specs; the CNN spec " + args.spec + " is checked without it");
        outputs = dg::nn::parse_cnn_spec(args.spec).output_features();
    } else {
        outputs = dg::nn::parse_mlp_spec(args.spec).sizes.back();
    }
    if (dg::examples::find_loss(args.loss)->reference == "softmax_ce" && outputs < 2)
        throw UsageError("--loss " + args.loss + " needs at least 2 outputs: the softmax of a single output is always 1, so "
                         "the loss is 0 and every gradient 0 whatever the weights (--spec " + args.spec +
                         " has 1); use --loss bce-with-logits for one output");
}

// The library's messages may already start with "bpcheck: ".
std::string without_prefix(std::string message) {
    const std::string prefix = "bpcheck: ";
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
    return message;
}

}  // namespace

int main(int argc, char** argv) {
    using dg::examples::real_number;
    using dg::examples::whole_number;
    Args args;
    CLI::App app{"bpcheck: autograd vs the delta reference vs finite differences, layer by layer"};
    app.add_option("--spec", args.spec,
                   "MLP spec, e.g. 4-8-3:tanh (grammar in nn/layers/mlp.hpp), a CNN spec, e.g. 1x6x6-c2k3p1-relu-m2-flat-3 "
                   "(nn/layers/cnn.hpp), or a recurrent spec, e.g. 3-8-4:lstm:T5 "
                   "(nn/layers/recurrent_net.hpp; --batch is then N sequences)")
        ->capture_default_str();
    app.add_option("--loss", args.loss, "loss: " + dg::examples::loss_choices(true))
        ->transform(dg::examples::loss_option(true))
        ->capture_default_str();
    app.add_option("--batch", args.batch, "batch size")->capture_default_str()->check(whole_number(1));
    app.add_option("--seed", args.seed, "seed of the weights and the batch")->capture_default_str()->check(whole_number(0));
    app.add_option("--dtype", args.dtype, "double | float")->capture_default_str()->check(CLI::IsMember({"double", "float"}));
    app.add_option("--l2", args.l2, "L2 lambda: lambda/(2m) sum ||W||^2")->capture_default_str()->check(real_number(0));
    app.add_option("--eps", args.eps, "finite-difference step h (stencil +-h, +-2h)")
        ->capture_default_str()
        ->check(real_number(eps_min, eps_max));
    app.add_option("--fd-max", args.fd_max, "finite differences per quantity at most (0: all)")
        ->capture_default_str()
        ->check(whole_number(0));
    app.add_option("--rtol", args.rtol, "analytic relative tolerance (default: per dtype)")->check(real_number(0, 1));
    app.add_option("--fd-rtol", args.fd_rtol, "finite-difference relative tolerance (default: per dtype)")
        ->check(real_number(0, 1));
    app.add_flag("--json", args.json, "print the report as JSON");
    app.add_option("--save", args.save, "also write a golden fixture (safetensors) of this run");
    app.add_option("--html", args.html, "also write the backprop explorer, a self-contained HTML page, to this file");
    app.add_option("--against", args.against, "recompute a stored fixture and compare its gradients")
        ->excludes("--save");
    app.add_flag("--show", args.show,
                 "also print the gradients themselves, per layer: every entry of δ(l), ΔW(l), Δb(l) by autograd, the "
                 "delta reference and finite differences, lined up (large ones previewed), with the batch convention");
    app.add_option("--exercise", args.exercise,
                   "write a backprop exercise into this folder: weights, batch, targets and loss as CSV files, a README.txt "
                   "and answer/ templates; takes --spec, --loss, --batch, --seed (defaults here: " +
                       dg::nn::ExerciseOptions{}.spec + ", mse-half, batch 3, seed 1)")
        ->option_text("DIR");
    app.add_option("--grade", args.grade,
                   "grade the answers in a folder --exercise wrote: every δ(l), ΔW(l), Δb(l) entry right or wrong, with "
                   "the expected value and the likely mistake; exit status 0 when all are right, 1 otherwise")
        ->option_text("DIR");
    app.footer(
        "Exit status: 0 agreement (--grade: every answer right), 1 a disagreement (a wrong answer), 2 a bad command line "
        "or a file that cannot be read.\n"
        "--json: {spec, loss, dtype, lambda, batch, convention (the batch convention in words), loss_value {autograd, "
        "reference, finite_differences}, loss_ok, tolerances {analytic, numeric: {atol, rtol}}, layers: [{layer, "
        "activation, ok, quantities: [{name (W, b, delta), symbol (ΔW(1), Δb(1), δ(1)), shape, values {autograd, "
        "reference, finite_differences: the whole array as nested lists, null where no finite difference was taken}, "
        "autograd_vs_reference, autograd_vs_fd, reference_vs_fd: {compared, max_abs, max_rel (max_abs over the "
        "quantity's largest |value|), ok, worst {index, and the two values under the names of their sides}}, fd_count, "
        "flagged (flat indices whose stencil crossed a kink), ok}]}], fd_count, flagged_count, ok}. With --against: "
        "{path, spec, loss, dtype, lambda, batch, rows: [{layer, name, shape, comparison (sides recomputed and stored)}], "
        "ok}.");
    if (int rc = dg::examples::parse_command_line(app, argc, argv, "bpcheck"); rc >= 0) return rc;
    try {
        validate(app, args);
        if (!args.grade.empty()) return grade(args);
        if (!args.exercise.empty()) return exercise(exercise_options(app, args), args.exercise);
        if (!args.against.empty()) return against(args);
        return args.dtype == "float" ? check<float>(args) : check<double>(args);
    } catch (const std::exception& e) {  // UsageError, dg::Error
        std::cerr << "bpcheck: error: " << without_prefix(e.what()) << "\n";
        return 2;
    }
}
