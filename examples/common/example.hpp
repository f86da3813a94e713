// What every worked example shares: the command line (--out, --smoke, --seed), the output folder, smoke
// checks that set the exit code, and small conversions between std::vector and tensors for plotting.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/inspect/trace.hpp"
#include "autograd/ops.hpp"
#include "common/cli.hpp"
#include "common/plot.hpp"

namespace dg::examples {

/// One example program: its options, output folder and checks.
///   Example ex("gates", "Neurons as logic gates");
///   if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
///   ... ex.check(all_exact, "every gate reproduces its truth table"); ...
///   return ex.finish();
class Example {
public:
    Example(std::string name, const std::string& description);

    /// Parses the command line and creates the output folder. Returns -1 to go on, or the exit code
    /// (0 after --help, 2 after a bad option, reported in one line: see parse_command_line) to return from main.
    int parse(int argc, char** argv);

    /// out/<name>/<file>, the folder created.
    std::string path(const std::string& file) const;
    /// Plots into path(file) and prints where the picture went.
    void plot(const Chart& chart, const std::string& file, int width = chart_width, int height = chart_height) const;
    /// Stacked charts on a shared x axis into path(file) (see plot_panels_png), and prints where it went.
    void panels(const std::string& title, const std::vector<Chart>& charts, const std::string& file,
                int width = chart_width, int height = chart_height) const;
    /// A heat map over the plane (x1, x2) into path(file) (see plot_heatmap_png), and prints where it went.
    void heatmap(const std::string& title, const std::vector<double>& xs, const std::vector<double>& ys,
                 const std::vector<std::vector<double>>& grid, const std::vector<Series>& points,
                 const std::string& file) const;
    /// Draws the graph behind `root` into path(file).png (graphviz) and prints where it went, or why it could not.
    /// With the trace of a backward(retain_graph=true) of root, every node shows its gradient (see to_dot).
    void graph(const Tensord& root, const std::string& file, const std::string& title,
               const BackwardTrace<double>* trace = nullptr) const;

    /// Records a result check: printed as "check: <what> ... ok" or "FAILED (<detail>)". In --smoke mode a
    /// failed check makes finish() return 1; in a full run it is reported the same way.
    void check(bool ok, const std::string& what, const std::string& detail = "");
    /// 0 when every check passed, 1 otherwise (with a message).
    int finish() const;

    CLI::App app;
    std::string name;
    std::string out;     ///< --out, default out/<name>
    bool smoke = false;  ///< --smoke: reduced size, and the key result is checked
    std::uint64_t seed = 1;

private:
    int failures_ = 0;
};

/// A [rows, cols] tensor from row-major values.
Tensord matrix(const std::vector<double>& values, std::size_t rows, std::size_t cols, bool requires_grad = false);
/// The values of a tensor as a flat vector (row-major).
template <class T>
std::vector<double> values(const Tensor<T>& t) {
    return std::vector<double>(t.value().begin(), t.value().end());
}
/// n evenly spaced values from a to b, both included.
std::vector<double> linspace(double a, double b, std::size_t n);

/// Evaluates f on an n×n grid over [lo, hi]² (in one batch [n², 2]) for plot_heatmap_png:
/// grid[i][j] = f at (xs[j], ys[i]). f maps a batch [k, 2] to k values.
struct Grid {
    std::vector<double> xs, ys;
    std::vector<std::vector<double>> z;
};
Grid evaluate_grid(const std::function<std::vector<double>(const Tensord&)>& f, double lo, double hi, std::size_t n);

/// The part of the line a·x1 + b·x2 + c = 0 inside the square [lo, hi]², as a two-point series (no points when
/// the line misses the square): a decision boundary drawn whole, its legend entry included.
Series line_in_square(const std::string& title, double a, double b, double c, double lo, double hi,
                      const std::string& style);

/// Two point sets for a binary classifier picture: rows of x [m, ≥2] (first two columns) split by label.
/// `point_size` scales gnuplot's points (a few points want 2, hundreds 1).
std::vector<Series> class_points(const std::vector<double>& x, std::size_t cols, const std::vector<double>& labels,
                                 const std::string& title0 = "class 0", const std::string& title1 = "class 1",
                                 double point_size = 1.0);

}  // namespace dg::examples
