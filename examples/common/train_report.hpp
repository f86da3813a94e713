// What `train` reports: the per-epoch metrics record (also kept as JSON in checkpoints), the evaluation with its
// confusion matrix, and their outputs (metrics.csv, loss/accuracy plots, the confusion matrix as text and CSV).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/array/xt.hpp"

namespace dg::examples {

/// One row of metrics.csv.
struct EpochRecord {
    std::size_t epoch = 0;
    double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0, lr = 0, seconds = 0,
           samples_per_second = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EpochRecord, epoch, train_loss, train_accuracy, test_loss, test_accuracy, lr,
                                   seconds, samples_per_second)

/// A test-set evaluation: mean loss, accuracy, and the confusion matrix.
struct Evaluation {
    double loss = 0, accuracy = 0;
    std::vector<std::vector<std::size_t>> confusion;  // [true][predicted]
    std::vector<std::size_t> predicted;               // the predicted class of each sample, in order
};

/// The index of the largest value in one row of a [rows, classes] array.
std::size_t argmax_row(const Array<float>& out, std::size_t row);
/// printf-style formatting of one number.
std::string format(const char* fmt, double a);
/// metrics.csv, written atomically.
void write_metrics_csv(const std::string& path, const std::vector<EpochRecord>& history);
/// loss.png and accuracy.png in `dir` (gnuplot).
void plot_history(const std::string& dir, const std::vector<EpochRecord>& history);
/// The confusion matrix as a table: a row per true class, labelled with its index and, when `names` is not empty,
/// its name ("0 T-shirt/top"); a column per predicted class index.
std::string confusion_text(const Evaluation& e, const std::vector<std::string>& names);
/// The confusion matrix as CSV, classes named by `names` or, when it is empty, by their indices.
void write_confusion_csv(const std::string& path, const Evaluation& e, const std::vector<std::string>& names);

}  // namespace dg::examples
