// train's reports: metrics CSV, plots, confusion matrix.
#include "common/train_report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/plot.hpp"
#include "nn/data/atomic_file.hpp"

namespace dg::examples {

std::size_t argmax_row(const Array<float>& out, std::size_t row) {
    const std::size_t classes = out.shape()[1];
    const float* p = out.data() + row * classes;
    return static_cast<std::size_t>(std::max_element(p, p + classes) - p);
}

std::string format(const char* fmt, double a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, a);
    return buf;
}

void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history) {
    std::ostringstream out;
    out << "epoch,train_loss,train_accuracy,test_loss,test_accuracy,lr,seconds,samples_per_second\n";
    out.precision(8);
    for (const auto& r : history)
        out << r.epoch << ',' << r.train_loss << ',' << r.train_accuracy << ',' << r.test_loss << ','
            << r.test_accuracy << ',' << r.lr << ',' << r.seconds << ',' << r.samples_per_second << '\n';
    data::write_file_atomic(path, out.str(), "train");
}

void plot_history(const std::string& dir, const std::vector<EpochRecord>& history) {
    const std::string style = "linespoints lw 2 pt 7 ps 0.8";
    Series train_loss{"train loss", {}, {}, style}, test_loss{"test loss", {}, {}, style};
    Series train_acc{"train accuracy", {}, {}, style}, test_acc{"test accuracy", {}, {}, style};
    for (const auto& r : history) {
        for (auto* s : {&train_loss, &test_loss, &train_acc, &test_acc}) s->x.push_back(r.epoch);
        train_loss.y.push_back(r.train_loss);
        test_loss.y.push_back(r.test_loss);
        train_acc.y.push_back(r.train_accuracy);
        test_acc.y.push_back(r.test_accuracy);
    }
    plot_png({"loss per epoch", "epoch", "loss", false, {train_loss, test_loss}, {}, true}, dir + "/loss.png");
    plot_png({"accuracy per epoch", "epoch", "accuracy", false, {train_acc, test_acc}, {}, true}, dir + "/accuracy.png");
}

namespace {

// "3", or "Dress" when the classes have names.
std::string class_label(const std::vector<std::string>& names, std::size_t c) {
    return names.empty() ? std::to_string(c) : names[c];
}

}  // namespace

std::string confusion_text(const Evaluation& e, const std::vector<std::string>& names) {
    const std::size_t classes = e.confusion.size();
    std::ostringstream out;
    out << "confusion matrix (rows: true class, columns: predicted)\n" << std::string(14, ' ');
    for (std::size_t c = 0; c < classes; ++c) out << format("%6.0f", static_cast<double>(c));
    out << '\n';
    for (std::size_t t = 0; t < classes; ++t) {
        std::string label = names.empty() ? std::to_string(t) : std::to_string(t) + " " + names[t];
        label.resize(14, ' ');
        out << label;
        for (std::size_t v : e.confusion[t]) out << format("%6.0f", static_cast<double>(v));
        out << '\n';
    }
    return out.str();
}

void write_confusion_csv(const std::string& path, const Evaluation& e, const std::vector<std::string>& names) {
    const std::size_t classes = e.confusion.size();
    std::ostringstream out;
    out << "true\\predicted";
    for (std::size_t c = 0; c < classes; ++c) out << ',' << class_label(names, c);
    out << '\n';
    for (std::size_t t = 0; t < classes; ++t) {
        out << class_label(names, t);
        for (std::size_t v : e.confusion[t]) out << ',' << v;
        out << '\n';
    }
    data::write_file_atomic(path, out.str(), "train");
}

}  // namespace dg::examples
