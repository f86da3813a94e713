// train's report page: the report's data as JSON (images of mistakes rescaled to bytes, diagnostics.csv read back)
// and predictions.csv.
#include "common/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

#include "autograd/array/errors.hpp"
#include "common/html_page.hpp"
#include "nn/data/atomic_file.hpp"

namespace dg::examples {

namespace {

using nlohmann::json;

std::size_t label_of(const data::Dataset<float>& d, std::size_t i) { return static_cast<std::size_t>(d.y.data()[i]); }

void check_predictions(const Evaluation& e, const data::Dataset<float>& test, const char* who) {
    if (e.predicted.size() != test.size())
        throw ValueError(std::string(who) + ": the evaluation holds " + std::to_string(e.predicted.size()) +
                         " predictions, expected one per test sample (" + std::to_string(test.size()) + ")");
}

// Width and height of an image of `features` pixels: square when it is a square number, else one row.
std::pair<std::size_t, std::size_t> image_size(std::size_t features) {
    const auto side = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(features))));
    return side * side == features ? std::make_pair(side, side) : std::make_pair(features, std::size_t{1});
}

// The first `max` misclassified test images, each rescaled from its own min..max to 0..255.
json misclassified(const Evaluation& e, const data::Dataset<float>& test, std::size_t max) {
    const std::size_t features = test.size() ? test.x.size() / test.size() : 0;
    const auto [width, height] = image_size(features);
    json shown = json::array();
    std::size_t total = 0;
    for (std::size_t i = 0; i < test.size(); ++i) {
        const std::size_t truth = label_of(test, i);
        if (e.predicted[i] == truth) continue;
        if (++total > max) continue;
        const float* x = test.x.data() + i * features;
        const auto [lo, hi] = std::minmax_element(x, x + features);
        const float range = *hi - *lo;
        std::vector<int> pixels(features);
        for (std::size_t k = 0; k < features; ++k)
            pixels[k] = range > 0 ? static_cast<int>(std::lround((x[k] - *lo) / range * 255.0f)) : 0;
        shown.push_back({{"index", i}, {"true", truth}, {"predicted", e.predicted[i]}, {"pixels", pixels}});
    }
    return {{"total", total}, {"width", width}, {"height", height}, {"shown", shown}};
}

// diagnostics.csv as rows of objects (numbers where a cell is one), or null when there is no such file.
json read_csv_rows(const std::string& path) {
    std::ifstream in(path);
    if (path.empty() || !in) return nullptr;
    auto split = [](const std::string& line) {
        std::vector<std::string> cells;
        std::stringstream ss(line);
        for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
        if (!line.empty() && line.back() == ',') cells.emplace_back();
        return cells;
    };
    std::string line;
    if (!std::getline(in, line)) return nullptr;
    const std::vector<std::string> header = split(line);
    json rows = json::array();
    while (std::getline(in, line)) {
        const std::vector<std::string> cells = split(line);
        json row = json::object();
        for (std::size_t c = 0; c < header.size(); ++c) {
            const std::string cell = c < cells.size() ? cells[c] : "";
            char* end = nullptr;
            const double v = std::strtod(cell.c_str(), &end);
            if (!cell.empty() && end && *end == '\0') row[header[c]] = v;
            else row[header[c]] = cell;
        }
        rows.push_back(row);
    }
    return rows;
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
    return buf;
}

}  // namespace

void write_training_report(const std::string& path, const TrainingReport& r) {
    if (!r.test) throw ValueError("write_training_report: no test set given");
    check_predictions(r.evaluation, *r.test, "write_training_report");
    std::size_t classes = r.evaluation.confusion.size();
    json evaluation = {{"epoch", r.history.empty() ? 0 : r.history.back().epoch},
                       {"loss", r.evaluation.loss},
                       {"accuracy", r.evaluation.accuracy},
                       {"test_size", r.test->size()},
                       {"confusion", r.evaluation.confusion}};
    HtmlPage page;
    page.title = r.title;
    page.assets = {"page.css", "charts.js", "report.js"};
    page.data = {{"kind", "training-report"},
                 {"title", r.title},
                 {"finished", r.finished},
                 {"epochs_planned", r.epochs_planned},
                 {"options", r.options},
                 {"classes", classes},
                 {"class_names", r.class_names},
                 {"history", r.history},
                 {"evaluation", evaluation},
                 {"misclassified", misclassified(r.evaluation, *r.test, r.max_misclassified)},
                 {"diagnostics", read_csv_rows(r.diagnostics_csv)},
                 {"timing", {{"data_seconds", r.data_seconds}, {"elapsed_seconds", r.elapsed_seconds},
                             {"written", utc_now()}}}};
    write_html(path, page, "train");
}

void write_predictions_csv(const std::string& path, const Evaluation& e, const data::Dataset<float>& test) {
    check_predictions(e, test, "write_predictions_csv");
    std::string out = "index,true,predicted\n";
    for (std::size_t i = 0; i < test.size(); ++i)
        out += std::to_string(i) + ',' + std::to_string(label_of(test, i)) + ',' + std::to_string(e.predicted[i]) + '\n';
    data::write_file_atomic(path, out, "train");
}

}  // namespace dg::examples
