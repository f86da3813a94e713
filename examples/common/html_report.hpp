// train's report.html: the run's curves, learning rate, confusion heat map, misclassified test images, per-layer
// diagnostics, options and timing as one self-contained page (examples/web/report.js draws it from inline JSON),
// and predictions.csv, the per-sample predictions the page's misclassified images are taken from.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/train_report.hpp"
#include "nn/data/dataset.hpp"

namespace dg::examples {

/// Everything the training report shows; the page is rewritten from it after every epoch.
struct TrainingReport {
    std::string title;                        ///< the page's heading, e.g. "train: 784-100-10:sigmoid on fashion-mnist"
    bool finished = false;                    ///< false while epochs remain (the page says the run is in progress)
    std::size_t epochs_planned = 0;
    nlohmann::json options;                   ///< the run's options, shown as a table
    std::vector<std::string> class_names;     ///< empty: classes are shown by index
    std::vector<EpochRecord> history;         ///< one record per epoch so far
    Evaluation evaluation;                    ///< the last test evaluation (confusion matrix, predictions)
    const data::Dataset<float>* test = nullptr;  ///< the test set: labels, and the images of mistakes
    std::string diagnostics_csv;              ///< train --diagnostics' table, or "" when diagnostics are off
    double data_seconds = 0;                  ///< time spent loading the data
    double elapsed_seconds = 0;               ///< since the program started
    std::size_t max_misclassified = 40;       ///< misclassified test images shown at most (the first in test order)
};

/// Writes the report page to `path` atomically. Throws IoError when it cannot be written, ValueError when the
/// evaluation's predictions do not match the test set.
void write_training_report(const std::string& path, const TrainingReport& report);

/// predictions.csv: "index,true,predicted" per test sample of `e` (labels as indices), written atomically.
void write_predictions_csv(const std::string& path, const Evaluation& e, const data::Dataset<float>& test);

}  // namespace dg::examples
