// The shared frame of the worked examples: options, output folder, smoke checks, grid evaluation.
#include "common/example.hpp"

#include <cmath>
#include <iostream>

#include "autograd/inspect/graphviz.hpp"
#include "autograd/kernels/parallel.hpp"

namespace dg::examples {

Example::Example(std::string name_, const std::string& description)
    : app(description, name_), name(std::move(name_)), out("out/" + name) {
    app.add_option("--out", out, "folder for the pictures (PNG, with their data and gnuplot scripts)")
        ->capture_default_str();
    app.add_flag("--smoke", smoke, "reduced size; check the key result (exit code 1 when it is not reached)");
    app.add_option("--seed", seed, "random seed (same seed, same run)")->capture_default_str()->check(whole_number(0));
}

int Example::parse(int argc, char** argv) {
    if (int rc = parse_command_line(app, argc, argv, name); rc >= 0) return rc;
    ensure_dir(out);
    // The examples' matrices are small: threads only add overhead (and fight other programs for cores).
    set_num_threads(1);
    std::cout << "== " << name << (smoke ? " (smoke)" : "") << ": " << app.get_description() << "\n";
    return -1;
}

std::string Example::path(const std::string& file) const { return out + "/" + file; }

void Example::graph(const Tensord& root, const std::string& file, const std::string& title,
                    const BackwardTrace<double>* trace) const {
    DotOptions o;
    o.title = title;
    std::string note;
    try {
        for (const auto& f : write_graph(root, path(file), {"png"}, o, &note, trace)) std::cout << "graph: " << f << "\n";
    } catch (const Error& e) {
        note = e.what();
    }
    if (!note.empty()) std::cout << "note: " << note << "\n";
}

void Example::plot(const Chart& chart, const std::string& file, int width, int height) const {
    if (plot_png(chart, path(file), width, height)) std::cout << "picture: " << path(file) << "\n";
}

void Example::panels(const std::string& title, const std::vector<Chart>& charts, const std::string& file, int width,
                     int height) const {
    if (plot_panels_png(title, charts, path(file), width, height)) std::cout << "picture: " << path(file) << "\n";
}

void Example::heatmap(const std::string& title, const std::vector<double>& xs, const std::vector<double>& ys,
                      const std::vector<std::vector<double>>& grid, const std::vector<Series>& points,
                      const std::string& file) const {
    if (plot_heatmap_png(title, xs, ys, grid, points, path(file))) std::cout << "picture: " << path(file) << "\n";
}

void Example::check(bool ok, const std::string& what, const std::string& detail) {
    std::cout << "check: " << what << " ... " << (ok ? "ok" : "FAILED") << (detail.empty() ? "" : " (" + detail + ")")
              << "\n";
    if (!ok) ++failures_;
}

int Example::finish() const {
    if (failures_ == 0) return 0;
    std::cerr << name << ": " << failures_ << " check(s) failed\n";
    return 1;
}

Tensord matrix(const std::vector<double>& v, std::size_t rows, std::size_t cols, bool requires_grad) {
    Array<double> a = xt::adapt(v, std::vector<std::size_t>{rows, cols});
    return Tensord(a, requires_grad);
}

std::vector<double> linspace(double a, double b, std::size_t n) {
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = n == 1 ? a : a + (b - a) * double(i) / double(n - 1);
    return out;
}

Grid evaluate_grid(const std::function<std::vector<double>(const Tensord&)>& f, double lo, double hi, std::size_t n) {
    Grid g;
    g.xs = g.ys = linspace(lo, hi, n);
    std::vector<double> points;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) points.insert(points.end(), {g.xs[j], g.ys[i]});
    NoGradGuard no_grad;
    const std::vector<double> z = f(matrix(points, n * n, 2));
    g.z.assign(n, std::vector<double>(n));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) g.z[i][j] = z[i * n + j];
    return g;
}

Series line_in_square(const std::string& title, double a, double b, double c, double lo, double hi,
                      const std::string& style) {
    std::vector<std::pair<double, double>> ends;  // where the line crosses the square's edges
    const auto add = [&](double x1, double x2) {
        const double slack = 1e-12 * (hi - lo);
        if (x1 < lo - slack || x1 > hi + slack || x2 < lo - slack || x2 > hi + slack) return;
        for (const auto& e : ends)
            if (std::abs(e.first - x1) <= slack && std::abs(e.second - x2) <= slack) return;  // a corner, twice
        ends.emplace_back(x1, x2);
    };
    for (double edge : {lo, hi}) {
        if (b != 0) add(edge, -(a * edge + c) / b);  // crossing x1 = edge
        if (a != 0) add(-(b * edge + c) / a, edge);  // crossing x2 = edge
    }
    Series s{title, {}, {}, style};
    if (ends.size() >= 2)
        for (std::size_t k : {std::size_t(0), ends.size() - 1}) s.x.push_back(ends[k].first), s.y.push_back(ends[k].second);
    return s;
}

std::vector<Series> class_points(const std::vector<double>& x, std::size_t cols, const std::vector<double>& labels,
                                 const std::string& title0, const std::string& title1, double point_size) {
    const std::string ps = " ps " + std::to_string(point_size);
    Series s0{title0, {}, {}, "points pt 6 lw 2" + ps + " lc rgb '#b2182b'"};
    Series s1{title1, {}, {}, "points pt 7" + ps + " lc rgb '#2166ac'"};
    for (std::size_t i = 0; i < labels.size(); ++i) {
        Series& s = labels[i] > 0.5 ? s1 : s0;
        s.x.push_back(x[i * cols]);
        s.y.push_back(x[i * cols + 1]);
    }
    return {s0, s1};
}

}  // namespace dg::examples
