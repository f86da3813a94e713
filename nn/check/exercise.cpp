// Backprop exercises: writing a seeded problem as CSV files, reading it and a student's answers back, and grading
// the answers against the delta reference with the likely mistake found by recomputing what each mistake gives.
#include "nn/check/exercise.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>

#include "autograd/array/errors.hpp"
#include "autograd/array/random.hpp"
#include "nn/check/bpcheck.hpp"
#include "nn/check/bpcheck_show.hpp"
#include "nn/data/atomic_file.hpp"
#include "nn/data/csv.hpp"
#include "nn/layers/mlp.hpp"

namespace dg::nn {

namespace fs = std::filesystem;
using reference::Loss;

namespace {

// ---- files ------------------------------------------------------------------------------------------------------

// The shortest text that reads back as the same double: "0.3", not "0.29999999999999999".
std::string shortest(double v) {
    char buf[40];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

// One matrix row per line; a vector on one line.
std::string csv_text(const Array<double>& a) {
    const std::size_t cols = a.dimension() == 1 ? a.size() : a.shape()[1];
    std::string s;
    for (std::size_t i = 0; i < a.size(); ++i) s += shortest(a.flat(i)) + ((i + 1) % cols == 0 ? "\n" : ",");
    return s;
}

// The numbers of a CSV file as [rows, columns]. A file without a comma is split on blanks (numpy's savetxt default).
Array<double> read_numbers(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw IoError("'" + path.string() + "': cannot open it (is it there?)");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find(',') == std::string::npos) {
        std::string csv;
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            std::istringstream cells(line);
            std::string cell, row;
            while (cells >> cell) row += (row.empty() ? "" : ",") + cell;
            csv += row + "\n";
        }
        text = csv;
    }
    std::istringstream s(text);
    Array<double> x = data::parse_csv<double>(s, {}, path.string()).x;
    if (x.size() == 0) throw IoError("'" + path.string() + "': holds no numbers");
    return x;
}

// `a` as `shape` when it holds the same numbers laid out that way: a vector given as one row or one column.
bool fit_vector(Array<double>& a, const Shape& shape) {
    if (shape.size() != 1 || a.size() != shape[0] || (a.shape()[0] != 1 && a.shape()[1] != 1)) return false;
    a.reshape({shape[0]});
    return true;
}

std::string rows_of(const Shape& shape) {
    if (shape.size() == 1) return std::to_string(shape[0]) + " numbers (one line, or one per line)";
    return std::to_string(shape[0]) + " rows of " + std::to_string(shape[1]) + " numbers";
}

// A problem file that must have `shape`.
Array<double> read_problem_array(const fs::path& dir, const std::string& name, const Shape& shape, const std::string& what) {
    Array<double> a = read_numbers(dir / name);
    // A problem is worked by hand, so its numbers are finite and hand-sized. (Far larger ones, |x| > 6e18, would also
    // take the reference's vectorised exp out of the range xsimd converts to an integer: undefined behaviour.)
    constexpr double largest = 1e6;
    const std::size_t cols = a.shape()[1];
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(std::abs(a.flat(i)) <= largest))
            throw IoError("'" + (dir / name).string() + "': line " + std::to_string(i / cols + 1) + ", number " +
                          std::to_string(i % cols + 1) + " is " + shortest(a.flat(i)) + "; a problem's numbers are " +
                          "finite and at most 1e6 in magnitude (" + what + ")");
    if (shape_of(a) != shape && !fit_vector(a, shape))
        throw IoError("'" + (dir / name).string() + "' holds " + shape_str(shape_of(a)) + ", expected " + shape_str(shape) +
                      " (" + what + ": " + rows_of(shape) + ")");
    return a;
}

std::string file_name(const std::string& quantity, std::size_t layer) {
    return (quantity == "delta" ? "answer/delta" : quantity == "W" ? "answer/dW" : "answer/db") + std::to_string(layer) +
           ".csv";
}

// ---- the problem ------------------------------------------------------------------------------------------------

// An exercise is done by hand: a spec or batch beyond the limits is refused before any array is made.
void check_small(const MlpSpec& spec, std::size_t batch, const std::string& who) {
    for (std::size_t n : spec.sizes)
        if (n > exercise_max_units)
            throw ValueError(who + ": a layer of " + std::to_string(n) + " units is too wide for an exercise (at most " +
                             std::to_string(exercise_max_units) + ")");
    if (spec.num_layers() > exercise_max_layers)
        throw ValueError(who + ": " + std::to_string(spec.num_layers()) + " layers are too many for an exercise (at most " +
                         std::to_string(exercise_max_layers) + ")");
    if (batch == 0 || batch > exercise_max_batch)
        throw ValueError(who + ": the batch must have from 1 to " + std::to_string(exercise_max_batch) + " samples, got " +
                         std::to_string(batch));
}

reference::MlpParams<double> params_for(const MlpSpec& spec, Loss loss) {
    reference::MlpParams<double> net;
    for (std::size_t l = 0; l < spec.num_layers(); ++l) {
        const ActivationSpec& f = spec.activations[l];
        if (f.kind == ActivationKind::custom)
            throw ValueError("exercise: layer " + std::to_string(l + 1) + "'s activation " + f.name() +
                             " is a custom activation, which the delta reference has no formula for");
        const ActivationKind kind = l + 1 == spec.num_layers() ? reference_output_kind(loss, f) : f.kind;
        net.layers.push_back({xt::zeros<double>({spec.sizes[l + 1], spec.sizes[l]}), xt::zeros<double>({spec.sizes[l + 1]}),
                              kind, f.alpha});
    }
    return net;
}

double one_decimal(double v) {
    const double r = std::round(v * 10) / 10;
    return r == 0 ? 0.0 : r;  // no "-0"
}

// Whether a pre-activation of a kinked hidden layer is (nearly) 0, where f' has no single value.
bool on_a_kink(const reference::MlpParams<double>& net, const reference::BackpropResult<double>& r, Loss loss) {
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const bool head = l + 1 == net.layers.size() && (loss == Loss::softmax_ce || loss == Loss::bce);
        if (head || !kinked(net.layers[l].activation)) continue;
        for (double z : r.layers[l].z)
            if (std::abs(z) < 1e-9) return true;
    }
    return false;
}

std::string layers_in_words(const MlpSpec& spec) {
    std::string s;
    for (std::size_t l = 1; l <= spec.num_layers(); ++l)
        s += (l > 1 ? ", " : "") + std::string("layer ") + std::to_string(l) + " " + spec.activations[l - 1].str() + " (" +
             std::to_string(spec.sizes[l - 1]) + " → " + std::to_string(spec.sizes[l]) + ")";
    return s;
}

std::string indented(const std::string& text) {
    std::string out = "  ";
    for (std::size_t i = 0; i < text.size(); ++i) out += text[i] == '\n' && i + 1 < text.size() ? "\n  " : std::string(1, text[i]);
    return out;
}

std::string readme(const MlpSpec& spec, const ExerciseOptions& o) {
    const std::size_t L = spec.num_layers(), m = o.batch;
    std::ostringstream r;
    r << "A backpropagation exercise (deltagrad: bpcheck --exercise, seed " << o.seed << ")\n\n"
      << "THE NETWORK  " << spec.str() << ": " << layers_in_words(spec) << "\n"
      << "  z(l) = a(l−1) W(l)ᵀ + b(l),  a(l) = f(z(l)),  a(0) = X: every array has a row per sample.\n"
      << "  W(l) is [n_l, n_(l−1)]: row i holds the weights into unit i of layer l (PyTorch's nn.Linear layout).\n\n"
      << "THE LOSS\n" << indented(batch_convention(o.loss, spec.activations.back().name(), L, m, spec.sizes.back()))
      << "\n"
      << "THE FILES (CSV: one matrix row per line, numbers separated by commas)\n"
      << "  X.csv     " << shape_str({m, spec.sizes[0]}) << "  the inputs, a row per sample\n"
      << "  Y.csv     " << shape_str({m, spec.sizes.back()}) << "  the targets y"
      << (o.loss == Loss::softmax_ce ? " (one-hot rows: the class of each sample)" : "") << "\n";
    for (std::size_t l = 1; l <= L; ++l)
        r << "  W" << l << ".csv    " << shape_str({spec.sizes[l], spec.sizes[l - 1]}) << "  W(" << l << ")\n"
          << "  b" << l << ".csv    " << shape_str({spec.sizes[l]}) << "     b(" << l << "), on one line\n";
    r << "  problem.txt  the settings above, which bpcheck --grade reads\n\n"
      << "THE TASK\n  Do the forward pass, then backward from layer " << L << " down to layer 1:\n"
      << "    δ(" << L << ") = ∂l/∂z(" << L << ") from the loss (above),  δ(l) = (δ(l+1) W(l+1)) ⊙ f'(z(l))\n"
      << "    ΔW(l) = ∂l/∂W(l) = δ(l)ᵀ a(l−1),  Δb(l) = ∂l/∂b(l) = Σ over the samples of δ(l)\n"
      << "  and write them into answer/, whose files hold zeros of the right shapes: overwrite them.\n";
    for (std::size_t l = L; l >= 1; --l)
        r << "    " << file_name("delta", l) << " " << shape_str({m, spec.sizes[l]}) << "   " << file_name("W", l) << " "
          << shape_str({spec.sizes[l], spec.sizes[l - 1]}) << "   " << file_name("b", l) << " " << shape_str({spec.sizes[l]})
          << "\n";
    r << "\nREADING AND WRITING THE FILES\n"
      << "  numpy:   W1 = np.loadtxt(\"W1.csv\", delimiter=\",\", ndmin=2); b1 = np.loadtxt(\"b1.csv\", delimiter=\",\", ndmin=1)\n"
      << "           np.savetxt(\"answer/delta" << L << ".csv\", delta" << L << ", delimiter=\",\")\n"
      << "  C++:     dg::data::read_csv<double>(\"W1.csv\").x (deltagrad's nn/data/csv.hpp), or any CSV reader\n"
      << "  by hand: open the files in an editor; write your numbers with 6 significant digits or more.\n\n"
      << "GRADING\n  bpcheck --grade <this folder>\n"
      << "  prints every quantity right or wrong, each entry of a wrong one with the expected value, and the likely\n"
      << "  mistake when it can tell (a missing 1/m, a transposed ΔW, f' taken of a instead of z, a flipped sign, an\n"
      << "  error carried from the layer above); exit status 0 when all is right, 1 otherwise. An entry is right within\n"
      << "  0.1 % of the expected value (below 1 % of its quantity's largest entry: within 0.001 % of that largest).\n";
    return r.str();
}

// ---- grading ----------------------------------------------------------------------------------------------------

double largest_abs(const Array<double>& a) {
    double s = 0;
    for (double v : a) s = std::max(s, std::abs(v));
    return s;
}

bool same(const Array<double>& yours, const Array<double>& candidate) {
    if (shape_of(yours) != shape_of(candidate)) return false;
    const double largest = largest_abs(candidate);
    for (std::size_t i = 0; i < yours.size(); ++i)
        if (!entry_right(yours.flat(i), candidate.flat(i), largest)) return false;
    return true;
}

// (δ(l+1) W(l+1)) ⊙ f', ΔW = δᵀ a(l−1), Δb = Σ_rows δ: the recurrences, for the mistakes' versions of them.
Array<double> back_through(const Array<double>& delta_next, const Array<double>& W_next, const Array<double>& fprime) {
    Array<double> out = xt::zeros<double>({delta_next.shape()[0], W_next.shape()[1]});
    gemm_into(delta_next, false, W_next, false, out);
    return out * fprime;
}
Array<double> weight_grad(const Array<double>& delta, const Array<double>& a_prev) {
    Array<double> out = xt::zeros<double>({delta.shape()[1], a_prev.shape()[1]});
    gemm_into(delta, true, a_prev, false, out);
    return out;
}
Array<double> bias_grad(const Array<double>& delta) { return xt::sum(delta, {0}, immediate); }

struct Candidate {
    std::string what;
    Array<double> value;
    int mistakes = 0;
};

// The factors a forgotten or doubled normalisation leaves, for the loss's δ(L) = ... / m (or / (m·n)).
std::vector<std::pair<double, std::string>> scale_mistakes(Loss loss, std::size_t m, std::size_t n) {
    const double md = static_cast<double>(m), nd = static_cast<double>(n);
    const std::string M = std::to_string(m), MN = std::to_string(m * n);
    std::vector<std::pair<double, std::string>> s;
    if (loss == Loss::bce || loss == Loss::mse)
        s.push_back({md * nd, "every entry is m·n = " + MN + " times the expected one: the 1/(m·n) of the mean over all m·n "
                                                          "entries of the loss is missing"});
    if (loss == Loss::mse)
        s.push_back({md * nd / 2, "every entry is m·n/2 times the expected one: the 2/(m·n) of the mean of squares is "
                                  "missing (the derivative of (ŷ − y)² is 2(ŷ − y))"});
    s.push_back({md, "every entry is m = " + M + " times the expected one: the 1/m of the batch mean is missing"});
    s.push_back({1 / md, "every entry is 1/m = 1/" + M + " of the expected one: divided by m twice (δ(l) already "
                         "carries the 1/m; ΔW(l) = δ(l)ᵀ a(l−1) and Δb(l) need no second one)"});
    s.push_back({-1, "every entry has the opposite sign: δ(L) starts from ŷ − y, not y − ŷ"});
    std::vector<std::pair<double, std::string>> out;
    for (auto& f : s)
        if (f.first != 1 && std::none_of(out.begin(), out.end(), [&](const auto& g) { return g.first == f.first; }))
            out.push_back(std::move(f));
    return out;
}

// Every combination of one base (bases[0] the right answer; then f' of a, or what follows from the student's own
// previous step), a transposition and a scale mistake, fewest mistakes first; the right answer itself left out.
std::vector<Candidate> candidates(const std::vector<Candidate>& bases, const std::vector<std::pair<double, std::string>>& scales,
                                  const std::string& name, std::size_t layer) {
    const std::string transposed =
        "your " + quantity_symbol(name, layer) + " is transposed" +
        (name == "W" ? ": ΔW(l) = δ(l)ᵀ a(l−1) is [n_l, n_(l−1)], a row per unit of layer l like W(l); a(l−1)ᵀ δ(l) is "
                       "its transpose"
                     : ": δ(l) has a row per sample, [m, n_l]");
    const bool matrix = name != "b";
    std::vector<Candidate> out;
    for (std::size_t b = 0; b < bases.size(); ++b)
        for (int t = 0; t < (matrix ? 2 : 1); ++t)
            for (std::size_t s = 0; s <= scales.size(); ++s) {
                if (b == 0 && t == 0 && s == 0) continue;
                Candidate c{bases[b].what, bases[b].value, bases[b].mistakes + t + (s > 0)};
                if (t) {
                    c.value = xt::transpose(c.value);
                    c.what += (c.what.empty() ? "" : "; ") + transposed;
                }
                if (s > 0) {
                    c.value = c.value * scales[s - 1].first;
                    c.what += (c.what.empty() ? "" : "; ") + scales[s - 1].second;
                }
                out.push_back(std::move(c));
            }
    std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.mistakes < b.mistakes; });
    return out;
}

QuantityGrade grade_quantity(std::size_t layer, const std::string& name, const Array<double>& yours,
                             const Array<double>& expected, const std::vector<Candidate>& others,
                             const std::vector<std::pair<double, std::string>>& scales) {
    QuantityGrade g;
    g.layer = layer;
    g.name = name;
    g.file = file_name(name, layer);
    g.expected_shape = shape_of(expected);
    g.given_shape = shape_of(yours);
    const double largest = largest_abs(expected);
    if (g.given_shape == g.expected_shape)
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const bool right = entry_right(yours.flat(i), expected.flat(i), largest);
            g.entries.push_back({i, yours.flat(i), expected.flat(i), right});
            g.right_count += right;
        }
    if (g.right()) return g;
    if (g.given_shape == g.expected_shape && largest_abs(yours) == 0 && largest > 0) {
        g.blank = true;
        g.mistake = "every entry is still 0, as in the template: not answered yet?";
        return g;
    }
    std::vector<Candidate> bases{{"", expected, 0}};
    for (const Candidate& o : others)
        if (!same(o.value, expected)) bases.push_back(o);
    for (const Candidate& c : candidates(bases, scales, name, layer))
        if (same(yours, c.value)) {
            g.mistake = c.what;
            return g;
        }
    if (g.given_shape != g.expected_shape)
        g.mistake = "it is " + shape_str(g.given_shape) + ", expected " + shape_str(g.expected_shape);
    return g;
}

}  // namespace

bool entry_right(double yours, double expected, double largest) {
    return std::abs(yours - expected) <= 1e-3 * std::max(std::abs(expected), 0.01 * largest);
}

// ---- writing and reading a problem ------------------------------------------------------------------------------

std::vector<std::string> write_exercise(const std::string& dir, const ExerciseOptions& o) {
    const MlpSpec spec = parse_mlp_spec(o.spec);
    check_small(spec, o.batch, "exercise");
    check_output_count(o.loss, spec.sizes.back(), "exercise");
    reference::MlpParams<double> net = params_for(spec, o.loss);
    const fs::path root(dir);
    if (fs::exists(root / "problem.txt"))
        throw ValueError("exercise: '" + dir + "' already holds a problem (problem.txt): choose a new folder, so that no "
                         "answer is overwritten");

    Generator gen(o.seed);
    const std::size_t m = o.batch, n0 = spec.sizes.front(), nL = spec.sizes.back();
    Array<double> X = xt::zeros<double>({m, n0}), Y = xt::zeros<double>({m, nL});
    for (int attempt = 0;; ++attempt) {
        for (auto& layer : net.layers) {
            for (auto& w : layer.W) w = one_decimal(gen.uniform(-1, 1));
            for (auto& b : layer.b) b = one_decimal(gen.uniform(-0.5, 0.5));
        }
        for (auto& x : X) x = one_decimal(gen.normal());
        Y.fill(0);
        for (std::size_t r = 0; r < m; ++r) {
            if (o.loss == Loss::softmax_ce) Y(r, gen.below(nL)) = 1;
            else
                for (std::size_t c = 0; c < nL; ++c)
                    Y(r, c) = o.loss == Loss::bce ? static_cast<double>(gen.below(2)) : one_decimal(gen.uniform());
        }
        if (!on_a_kink(net, reference::delta_backprop(net, X, Y, o.loss), o.loss)) break;
        if (attempt == 100) throw ValueError("exercise: every draw put a pre-activation on a kink; try another --seed");
    }

    std::error_code error;
    fs::create_directories(root / "answer", error);
    if (error) throw IoError("exercise: cannot make the folder '" + (root / "answer").string() + "': " + error.message());
    std::vector<std::pair<std::string, std::string>> files{{"README.txt", readme(spec, o)}};
    files.push_back({"problem.txt", "# deltagrad exercise: what bpcheck --grade reads back (README.txt explains it)\nspec: " +
                                        spec.str() + "\nloss: " + reference::loss_name(o.loss) + "\nbatch: " +
                                        std::to_string(m) + "\nseed: " + std::to_string(o.seed) + "\n"});
    files.push_back({"X.csv", csv_text(X)});
    files.push_back({"Y.csv", csv_text(Y)});
    for (std::size_t l = 1; l <= net.layers.size(); ++l) {
        files.push_back({"W" + std::to_string(l) + ".csv", csv_text(net.layers[l - 1].W)});
        files.push_back({"b" + std::to_string(l) + ".csv", csv_text(net.layers[l - 1].b)});
    }
    for (std::size_t l = net.layers.size(); l >= 1; --l) {
        const std::size_t n = spec.sizes[l], n_in = spec.sizes[l - 1];
        files.push_back({file_name("delta", l), csv_text(xt::zeros<double>({m, n}))});
        files.push_back({file_name("W", l), csv_text(xt::zeros<double>({n, n_in}))});
        files.push_back({file_name("b", l), csv_text(xt::zeros<double>({n}))});
    }
    std::vector<std::string> written;
    for (const auto& [name, text] : files) {
        data::write_file_atomic((root / name).string(), text, "exercise");
        written.push_back(name);
    }
    return written;
}

Exercise read_exercise(const std::string& dir) {
    const fs::path root(dir);
    const fs::path problem = root / "problem.txt";
    std::ifstream in(problem);
    if (!in)
        throw IoError("exercise: '" + dir + "' holds no problem.txt: is it a folder bpcheck --exercise wrote?");
    std::map<std::string, std::string> settings;
    std::size_t line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.empty() || line[0] == '#') continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            throw IoError("exercise: '" + problem.string() + "' line " + std::to_string(line_no) +
                          ": expected \"key: value\", got \"" + line + "\"");
        const auto start = line.find_first_not_of(" \t", colon + 1);
        const auto stop = line.find_last_not_of(" \t\r");
        settings[line.substr(0, colon)] = start == std::string::npos ? "" : line.substr(start, stop + 1 - start);
    }
    for (const char* key : {"spec", "loss", "batch", "seed"})
        if (!settings.count(key)) throw IoError("exercise: '" + problem.string() + "' has no \"" + key + ": ...\" line");
    Exercise ex;
    ex.options.spec = settings["spec"];
    ex.options.loss = reference::parse_loss(settings["loss"]);
    char* end = nullptr;
    ex.options.batch = std::strtoull(settings["batch"].c_str(), &end, 10);
    if (ex.options.batch == 0 || *end != '\0')
        throw IoError("exercise: '" + problem.string() + "': batch must be a whole number, at least 1 (got \"" +
                      settings["batch"] + "\")");
    ex.options.seed = std::strtoull(settings["seed"].c_str(), nullptr, 10);
    const MlpSpec spec = parse_mlp_spec(ex.options.spec);
    check_small(spec, ex.options.batch, "exercise: '" + problem.string() + "'");
    ex.net = params_for(spec, ex.options.loss);
    const std::size_t m = ex.options.batch;
    ex.X = read_problem_array(root, "X.csv", {m, spec.sizes.front()}, "the inputs, a row per sample");
    ex.Y = read_problem_array(root, "Y.csv", {m, spec.sizes.back()}, "the targets, a row per sample");
    for (std::size_t l = 1; l <= ex.net.layers.size(); ++l) {
        auto& layer = ex.net.layers[l - 1];
        layer.W = read_problem_array(root, "W" + std::to_string(l) + ".csv", shape_of(layer.W), "W(" + std::to_string(l) + ")");
        layer.b = read_problem_array(root, "b" + std::to_string(l) + ".csv", shape_of(layer.b), "b(" + std::to_string(l) + ")");
    }
    return ex;
}

// ---- grading ----------------------------------------------------------------------------------------------------

bool GradeReport::ok() const {
    return std::all_of(quantities.begin(), quantities.end(), [](const QuantityGrade& q) { return q.right(); });
}

GradeReport grade_exercise(const std::string& dir) {
    const Exercise ex = read_exercise(dir);
    const auto& net = ex.net;
    const std::size_t L = net.layers.size(), m = ex.options.batch;
    const reference::BackpropResult<double> r = reference::delta_backprop(net, ex.X, ex.Y, ex.options.loss);
    const auto scales = scale_mistakes(ex.options.loss, m, ex.Y.shape()[1]);

    // The answer files, read as they come; a vector may be a row or a column.
    auto yours = [&](const std::string& name, std::size_t l, const Shape& expected) {
        const fs::path path = fs::path(dir) / file_name(name, l);
        Array<double> a;
        try {
            a = read_numbers(path);
        } catch (const Error& e) {
            throw IoError("grade: cannot read " + quantity_symbol(name, l) + " (expected " + shape_str(expected) + ": " +
                          rows_of(expected) + "): " + e.what());
        }
        fit_vector(a, expected);
        return a;
    };

    GradeReport report;
    report.dir = dir;
    report.options = ex.options;
    const Loss loss = ex.options.loss;
    Array<double> delta_above;  // the student's δ(l+1) when it has the right shape, else the expected one
    std::string delta_above_mistake;  // "" when the student's δ(l+1) is right
    for (std::size_t l = L; l >= 1; --l) {
        const auto& res = r.layers[l - 1];
        const auto& p = net.layers[l - 1];
        const Array<double>& a_prev = r.a(l - 1);
        const std::string n = std::to_string(l), above = quantity_symbol("delta", l + 1);
        const std::string carried = delta_above_mistake.empty() ? "" : ", on top of the mistake in your " + above;

        // δ(l): f' taken of a(l) at this step, or a right step from the student's own δ(l+1)
        std::vector<Candidate> others;
        const auto fprime_of = [&](const Array<double>& at) {
            return reference::activation_derivative(p.activation, at, p.resolved_alpha());
        };
        const std::string of_a = "f' taken of a(" + n + ") where δ(" + n + ") needs f'(z(" + n + "))" +
                                 (p.activation == ActivationKind::sigmoid ? " (σ'(z) = a(1 − a): the a is σ(z) already)"
                                  : p.activation == ActivationKind::tanh  ? " (tanh'(z) = 1 − a²: the a is tanh(z) already)"
                                                                          : "") +
                                 carried;
        if (l == L && (loss == Loss::mse || loss == Loss::mse_half)) {
            Array<double> dl_da;  // ∂l/∂a(L): the loss's δ with an identity output
            reference::output_delta_into(loss, ActivationKind::identity, 0.0, res.a, res.a, ex.Y, dl_da);
            others.push_back({of_a, dl_da * fprime_of(res.a), 1});
        } else if (l < L) {
            const Array<double>& W_above = net.layers[l].W;
            others.push_back({of_a, back_through(delta_above, W_above, fprime_of(res.a)), 1});
            if (!delta_above_mistake.empty())
                others.push_back({"right given your " + above + ", which is wrong (" + delta_above_mistake + "): fix " +
                                      above + " first",
                                  back_through(delta_above, W_above, fprime_of(res.z)), 1});
        }
        const Array<double> my_delta = yours("delta", l, shape_of(res.delta));
        report.quantities.push_back(grade_quantity(l, "delta", my_delta, res.delta, others, scales));
        const QuantityGrade delta_grade = report.quantities.back();
        const bool delta_usable = delta_grade.given_shape == delta_grade.expected_shape;
        const std::string delta_mistake =
            delta_grade.right() ? "" : delta_grade.mistake.empty() ? "no mistake bpcheck knows" : delta_grade.mistake;

        // ΔW(l) and Δb(l): a right step from the student's own δ(l)
        std::vector<Candidate> w_others, b_others;
        if (delta_usable && !delta_grade.right()) {
            const std::string own = "right given your δ(" + n + "), which is wrong: fix δ(" + n + ") first";
            w_others.push_back({own, weight_grad(my_delta, a_prev), 1});
            b_others.push_back({own, bias_grad(my_delta), 1});
        }
        report.quantities.push_back(grade_quantity(l, "W", yours("W", l, shape_of(res.dW)), res.dW, w_others, scales));
        report.quantities.push_back(grade_quantity(l, "b", yours("b", l, shape_of(res.db)), res.db, b_others, scales));
        delta_above = delta_usable ? my_delta : res.delta;
        delta_above_mistake = delta_usable ? delta_mistake : "";
    }
    return report;
}

std::string GradeReport::text() const {
    std::ostringstream out;
    out << "grading " << dir << ": " << options.spec << ", loss " << reference::loss_name(options.loss) << ", m = "
        << options.batch << " samples\n";
    std::size_t right = 0, layer = 0;
    std::vector<std::string> wrong;
    for (const QuantityGrade& q : quantities) {
        if (q.layer != layer) out << "layer " << (layer = q.layer) << "\n";
        const std::string sym = quantity_symbol(q.name, q.layer);
        out << "  " << sym << std::string(sym.size() < 8 ? 8 - sym.size() : 1, ' ') << q.file << "  ";
        if (q.right()) {
            ++right;
            out << "right (" << q.entries.size() << " entries)\n";
            continue;
        }
        wrong.push_back(sym);
        if (q.given_shape != q.expected_shape)
            out << "WRONG: " << shape_str(q.given_shape) << " where " << shape_str(q.expected_shape) << " is expected\n";
        else
            out << "WRONG: " << q.right_count << " of " << q.entries.size() << " entries right\n";
        if (!q.mistake.empty()) out << "    likely mistake: " << q.mistake << "\n";
        const std::size_t shown = q.blank ? 0 : std::min<std::size_t>(q.entries.size(), 24);
        for (std::size_t i = 0; i < shown; ++i) {
            const EntryGrade& e = q.entries[i];
            char line[160];
            std::snprintf(line, sizeof line, "    %-8s yours %12.6g   expected %12.6g   %s\n",
                          index_str(q.expected_shape, e.flat).c_str(), e.yours, e.expected, e.right ? "right" : "WRONG");
            out << line;
        }
        if (!q.blank && shown < q.entries.size()) out << "    … " << q.entries.size() - shown << " more entries\n";
    }
    if (wrong.empty()) {
        out << "PASS: all " << quantities.size() << " quantities right\n";
    } else {
        out << "FAIL: " << right << " of " << quantities.size() << " quantities right; wrong:";
        for (const auto& w : wrong) out << " " << w;
        out << "\n";
    }
    return out.str();
}

}  // namespace dg::nn
