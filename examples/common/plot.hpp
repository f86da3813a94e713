// Plots as PNG files through gnuplot (Debian's gnuplot-nox): line series and point sets on one chart.
// The data and the gnuplot script are written next to the PNG, so a reader can re-plot or inspect them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dg::examples {

/// One series of a chart.
struct Series {
    std::string title;
    std::vector<double> x, y;
    std::string style = "lines";  // gnuplot style: "lines", "points pt 7 ps 0.6", "linespoints", ...
};

struct Chart {
    std::string title;
    std::string xlabel, ylabel;
    bool log_y = false;
    std::vector<Series> series;
    /// Extra gnuplot commands before `plot` (e.g. "set xrange [0:1]", "set arrow ...").
    std::vector<std::string> extra;
};

/// True when gnuplot is installed.
bool gnuplot_available();

/// Writes `png_path` (and png_path + ".dat" / ".gp"). Returns false (and says why on stderr) when gnuplot
/// is missing or fails; the data files are written either way.
bool plot_png(const Chart& chart, const std::string& png_path, int width = 800, int height = 560);

/// A heat map of values on a grid (e.g. a classifier's output over the plane) with optional point sets on
/// top: grid[i][j] is the value at (xs[j], ys[i]).
bool plot_heatmap_png(const std::string& title, const std::vector<double>& xs, const std::vector<double>& ys,
                      const std::vector<std::vector<double>>& grid, const std::vector<Series>& points,
                      const std::string& png_path, int width = 700, int height = 600);

/// Creates a folder (and its parents) if missing; throws dg::IoError when it cannot.
void ensure_dir(const std::string& path);

}  // namespace dg::examples
