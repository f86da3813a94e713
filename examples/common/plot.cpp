// gnuplot driver: writes the data and the script, then runs gnuplot on them.
#include "common/plot.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "autograd/array/errors.hpp"

namespace dg::examples {

namespace {

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += (c == '"' ? std::string("\\\"") : std::string(1, c));
    return out + "\"";
}

bool run_gnuplot(const std::string& script) {
    if (!gnuplot_available()) {
        std::cerr << "plot: gnuplot is not installed (apt-get install gnuplot-nox); skipped " << script << "\n";
        return false;
    }
    const std::string cmd = "gnuplot " + quoted(script) + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) {
        std::cerr << "plot: gnuplot failed on " << script << "\n";
        return false;
    }
    return true;
}

}  // namespace

bool gnuplot_available() {
    static const bool available = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
    return available;
}

void ensure_dir(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) throw IoError("ensure_dir: cannot create folder " + path + ": " + ec.message());
}

bool plot_png(const Chart& chart, const std::string& png_path, int width, int height) {
    const std::string dat = png_path + ".dat", gp = png_path + ".gp";
    {
        std::ofstream out(dat);
        out.precision(10);
        for (const auto& s : chart.series) {  // one gnuplot data block per series
            out << "# " << s.title << "\n";
            for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) out << s.x[i] << ' ' << s.y[i] << '\n';
            out << "\n\n";
        }
    }
    std::ofstream out(gp);
    out << "set terminal pngcairo size " << width << "," << height << " noenhanced\n"
        << "set output " << quoted(png_path) << "\n"
        << "set title " << quoted(chart.title) << "\n"
        << "set xlabel " << quoted(chart.xlabel) << "\nset ylabel " << quoted(chart.ylabel) << "\n"
        << "set grid\nset key below\n";
    if (chart.log_y) out << "set logscale y\n";
    for (const auto& e : chart.extra) out << e << "\n";
    out << "plot ";
    for (std::size_t i = 0; i < chart.series.size(); ++i)
        out << (i ? ", " : "") << quoted(dat) << " index " << i << " with " << chart.series[i].style << " title "
            << quoted(chart.series[i].title);
    out << "\n";
    out.close();
    return run_gnuplot(gp);
}

bool plot_heatmap_png(const std::string& title, const std::vector<double>& xs, const std::vector<double>& ys,
                      const std::vector<std::vector<double>>& grid, const std::vector<Series>& points,
                      const std::string& png_path, int width, int height) {
    const std::string dat = png_path + ".dat", gp = png_path + ".gp";
    {
        std::ofstream out(dat);
        out.precision(8);
        for (std::size_t i = 0; i < ys.size(); ++i) {
            for (std::size_t j = 0; j < xs.size(); ++j) out << xs[j] << ' ' << ys[i] << ' ' << grid[i][j] << '\n';
            out << '\n';
        }
        out << "\n";
        for (const auto& s : points) {
            out << "\n# " << s.title << "\n";
            for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) out << s.x[i] << ' ' << s.y[i] << '\n';
            out << "\n";
        }
    }
    std::ofstream out(gp);
    out << "set terminal pngcairo size " << width << "," << height << " noenhanced\n"
        << "set output " << quoted(png_path) << "\n"
        << "set title " << quoted(title) << "\nset view map\nset key below\n";
    if (!xs.empty() && !ys.empty())  // the grid decides the frame, so lines drawn on top cannot stretch it
        out << "set xrange [" << xs.front() << ":" << xs.back() << "]\nset yrange [" << ys.front() << ":"
            << ys.back() << "]\nset size ratio -1\n";
    bool probabilities = true;  // values in [0, 1]: pin the colour scale so that 0.5 is white (the boundary)
    for (const auto& row : grid)
        for (double v : row) probabilities = probabilities && v >= 0 && v <= 1;
    if (probabilities) out << "set cbrange [0:1]\n";
    out << "set palette defined (0 '#f4a582', 0.5 '#f7f7f7', 1 '#92c5de')\n"
        << "plot " << quoted(dat) << " index 0 with image notitle";
    for (std::size_t k = 0; k < points.size(); ++k)
        out << ", " << quoted(dat) << " index " << (k + 1) << " with " << points[k].style << " title "
            << quoted(points[k].title);
    out << "\n";
    out.close();
    return run_gnuplot(gp);
}

}  // namespace dg::examples
