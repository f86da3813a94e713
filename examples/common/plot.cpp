// gnuplot driver: writes the data and the script, then runs gnuplot on them.
#include "common/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "autograd/array/errors.hpp"

namespace dg::examples {

namespace {

// A gnuplot string (not called quoted: for a non-const string, ADL would pick std::quoted).
std::string gp_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += (c == '"' ? std::string("\\\"") : std::string(1, c));
    return out + "\"";
}

std::string shell_quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// The three files of one picture: <folder>/<name>.png, .dat and .gp.
struct Files {
    std::string folder, name;  // folder "" for the current one
    std::string png() const { return name + ".png"; }
    std::string dat() const { return name + ".dat"; }
    std::string gp() const { return name + ".gp"; }
    std::string in_folder(const std::string& file) const { return folder.empty() ? file : folder + "/" + file; }
};

Files files_of(const std::string& png_path) {
    const std::filesystem::path p(png_path);
    return {p.parent_path().string(), p.stem().string()};
}

// Runs gnuplot in the picture's folder, where the script finds its data by name.
bool run_gnuplot(const Files& f) {
    const std::string script = f.in_folder(f.gp());
    if (!gnuplot_available()) {
        std::cerr << "plot: gnuplot is not installed (apt-get install gnuplot-nox); skipped " << script << "\n";
        return false;
    }
    const std::string cmd =
        (f.folder.empty() ? "" : "cd " + shell_quoted(f.folder) + " && ") + "gnuplot " + shell_quoted(f.gp()) + " 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) {
        std::cerr << "plot: gnuplot failed on " << script << "\n";
        return false;
    }
    return true;
}

// The lines every script starts with: UTF-8 text in a slide-sized font, no enhanced-text markup (so "_" and "^"
// print as themselves), the title, the legend below the plot, clear of the axes and their labels, and series
// colours that stay apart on a projector (Okabe and Ito's palette, without its pale yellow).
void preamble(std::ostream& out, const Files& f, const std::string& title, int width, int height) {
    out << "set terminal pngcairo size " << width << "," << height << " font \"DejaVu Sans,14\" noenhanced\n"
        << "set encoding utf8\n"
        << "set output " << gp_string(f.png()) << "\n"
        << "set title " << gp_string(title) << "\n"
        << "set key outside below center horizontal reverse Left samplen 2 width 2 height 1\n"
        << "set clip two\n"  // draw the part of a line inside the frame even when both its ends are outside
        << "set linetype 1 lc rgb '#0072b2'\nset linetype 2 lc rgb '#d55e00'\nset linetype 3 lc rgb '#009e73'\n"
        << "set linetype 4 lc rgb '#cc79a7'\nset linetype 5 lc rgb '#e69f00'\nset linetype 6 lc rgb '#56b4e9'\n"
        << "set linetype 7 lc rgb '#000000'\nset linetype 8 lc rgb '#999999'\nset linetype cycle 8\n";
}

// Whole-number ticks over the series' x range, about ten of them.
std::string integer_ticks(const std::vector<Series>& series) {
    double lo = 0, hi = 0;
    bool any = false;
    for (const auto& s : series)
        for (double x : s.x) {
            lo = any ? std::min(lo, x) : x;
            hi = any ? std::max(hi, x) : x;
            any = true;
        }
    const double step = std::max(1.0, std::ceil((hi - lo) / 10));
    return "set xtics " + std::to_string(static_cast<long long>(step)) + "\nset format x \"%.0f\"\nset mxtics 1";
}

// Every series of the charts as one data block each, in order.
void write_series(const Files& f, const std::vector<const Chart*>& charts) {
    std::ofstream out(f.in_folder(f.dat()));
    out.precision(10);
    for (const Chart* c : charts)
        for (const auto& s : c->series) {
            out << "# " << s.title << "\n";
            for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) out << s.x[i] << ' ' << s.y[i] << '\n';
            out << "\n\n";
        }
}

// One chart's axes and its plot command; its series are the data blocks from `first_block` on.
void write_chart(std::ostream& out, const Files& f, const Chart& chart, std::size_t first_block, bool xlabel) {
    out << "set xlabel " << gp_string(xlabel ? chart.xlabel : "") << "\nset ylabel " << gp_string(chart.ylabel)
        << "\nset grid\n" << (chart.log_y ? "set logscale y\nset format y \"%g\"\n" : "unset logscale y\nset format y\n");
    if (chart.integer_x) out << integer_ticks(chart.series) << "\n";
    for (const auto& e : chart.extra) out << e << "\n";
    out << "plot ";
    for (std::size_t i = 0; i < chart.series.size(); ++i)
        out << (i ? ", " : "") << gp_string(f.dat()) << " index " << first_block + i << " with " << chart.series[i].style
            << " title " << gp_string(chart.series[i].title);
    out << "\n";
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
    const Files f = files_of(png_path);
    write_series(f, {&chart});
    std::ofstream out(f.in_folder(f.gp()));
    preamble(out, f, chart.title, width, height);
    write_chart(out, f, chart, 0, true);
    out.close();
    return run_gnuplot(f);
}

bool plot_panels_png(const std::string& title, const std::vector<Chart>& panels, const std::string& png_path,
                     int width, int height) {
    const Files f = files_of(png_path);
    std::vector<const Chart*> charts;
    for (const auto& p : panels) charts.push_back(&p);
    write_series(f, charts);
    std::ofstream out(f.in_folder(f.gp()));
    preamble(out, f, "", width, height);
    // The same margins in every panel, so that their x axes line up whatever the width of their tick labels.
    out << "set key outside right center vertical noreverse Right\n"
        << "set lmargin at screen 0.1\nset rmargin at screen 0.86\n"
        << "set multiplot layout " << panels.size() << ",1 title " << gp_string(title) << "\n";
    std::size_t block = 0;
    for (std::size_t k = 0; k < panels.size(); ++k) {
        write_chart(out, f, panels[k], block, k + 1 == panels.size());
        block += panels[k].series.size();
    }
    out << "unset multiplot\n";
    out.close();
    return run_gnuplot(f);
}

bool plot_heatmap_png(const std::string& title, const std::vector<double>& xs, const std::vector<double>& ys,
                      const std::vector<std::vector<double>>& grid, const std::vector<Series>& points,
                      const std::string& png_path, int width, int height, const std::string& xlabel,
                      const std::string& ylabel) {
    const Files f = files_of(png_path);
    {
        std::ofstream out(f.in_folder(f.dat()));
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
    std::ofstream out(f.in_folder(f.gp()));
    preamble(out, f, title, width, height);
    out << "set view map\nset xlabel \"" << xlabel << "\"\nset ylabel \"" << ylabel << "\"\n";
    if (!xs.empty() && !ys.empty())  // the grid decides the frame, so lines drawn on top cannot stretch it
        out << "set xrange [" << xs.front() << ":" << xs.back() << "]\nset yrange [" << ys.front() << ":"
            << ys.back() << "]\nset size ratio -1\n";
    bool probabilities = true;  // values in [0, 1]: pin the colour scale so that 0.5 is white (the boundary)
    for (const auto& row : grid)
        for (double v : row) probabilities = probabilities && v >= 0 && v <= 1;
    if (probabilities) out << "set cbrange [0:1]\n";
    out << "set palette defined (0 '#f4a582', 0.5 '#f7f7f7', 1 '#92c5de')\n"
        << "plot " << gp_string(f.dat()) << " index 0 with image notitle";
    for (std::size_t k = 0; k < points.size(); ++k)
        out << ", " << gp_string(f.dat()) << " index " << (k + 1) << " with " << points[k].style << " title "
            << gp_string(points[k].title);
    out << "\n";
    out.close();
    return run_gnuplot(f);
}

}  // namespace dg::examples
