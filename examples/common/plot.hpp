// Plots as PNG files through gnuplot (Debian's gnuplot-nox): line series and point sets on one chart, heat maps.
// The data (<name>.dat) and the gnuplot script (<name>.gp) are written next to <name>.png and refer to each other
// by file name only, so `gnuplot <name>.gp` re-plots from that folder wherever it was copied. Text is UTF-8 (θ, δ, ∂).
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

/// A chart: series on shared axes, the legend below the plot.
struct Chart {
    std::string title;
    std::string xlabel, ylabel;
    bool log_y = false;
    std::vector<Series> series;
    /// Extra gnuplot commands before `plot` (e.g. "set xrange [0:1]", "set arrow ...").
    std::vector<std::string> extra;
    bool integer_x = false;  ///< x counts something (epochs): ticks on whole numbers only
};

/// Default picture sizes: a chart fits a 16:10 slide, a heat map is about square (fonts are 14 pt).
constexpr int chart_width = 900, chart_height = 560, heatmap_width = 680, heatmap_height = 640;

/// True when gnuplot is installed.
bool gnuplot_available();

/// Writes `png_path` (and, beside it, the .dat and .gp files of the same name). Returns false (and says why on
/// stderr) when gnuplot is missing or fails; the data and the script are written either way.
bool plot_png(const Chart& chart, const std::string& png_path, int width = chart_width, int height = chart_height);

/// Charts stacked one above the other on a shared x axis (the x label of the last one only), under one title:
/// series that would hide each other on one chart get a panel each.
bool plot_panels_png(const std::string& title, const std::vector<Chart>& panels, const std::string& png_path,
                     int width = chart_width, int height = chart_height);

/// A heat map of values on a grid over the plane (x1, x2) (e.g. a classifier's output) with optional point sets
/// and lines on top: grid[i][j] is the value at (xs[j], ys[i]). Lines are drawn clipped to the grid's frame.
bool plot_heatmap_png(const std::string& title, const std::vector<double>& xs, const std::vector<double>& ys,
                      const std::vector<std::vector<double>>& grid, const std::vector<Series>& points,
                      const std::string& png_path, int width = heatmap_width, int height = heatmap_height,
                      const std::string& xlabel = "x1", const std::string& ylabel = "x2");

/// Creates a folder (and its parents) if missing; throws dg::IoError when it cannot.
void ensure_dir(const std::string& path);

}  // namespace dg::examples
