// train's command line: every option of a run (saved as JSON in each checkpoint, so that --resume restores them),
// their CLI11 definitions with the allowed ranges, and the checks no single option can make.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/diagnostics.hpp"
#include "nn/data/fashion_mnist.hpp"

namespace dg::examples {

/// Every option of a run. Saved in each checkpoint (as JSON, keys = option names with '_' for '-'), so that
/// --resume restores them; options given explicitly on the command line override the saved ones.
struct Options {
    std::string spec = "784-512-256-10:relu";
    std::string loss = "cross-entropy";
    std::string optimizer = "adamw";
    double lr = 1e-3;
    std::string schedule = "cosine";
    double step_size = 5;  // epochs between decays (step schedule)
    double gamma = 0.1;    // decay factor per step_size epochs (step) or per epoch (exponential)
    double warmup = 1;     // epochs of linear warmup: tames Adam's first full-size steps on a wide ReLU net
    std::size_t batch = 64;
    std::size_t epochs = 15;
    double l2 = 0;
    std::uint64_t seed = 1;
    std::string out = "out/train";
    std::string data = "fashion-mnist";
    std::string data_dir = data::fashion_mnist_default_dir;
    std::string train_images, train_labels, test_images, test_labels;
    std::string train_csv, test_csv;
    std::size_t label_column = 0;
    bool csv_header = false;
    bool standardize = true;  // x = (x - mean) / std with the training set's pixel mean and std
    std::size_t limit = 0;
    std::string resume;
    int threads = 1;  // one thread: predictable on a shared machine, and batch 128 gains little from two
    std::size_t keep_checkpoints = 3;
    std::size_t stop_after = 0;  // stop after this many epochs of this invocation, as if interrupted (not saved)
    bool distributed = false;    // data-parallel over mpirun's ranks (not saved: a checkpoint resumes on any number)
    bool diagnostics = false;    // per-layer diagnostics each epoch (not saved in checkpoints)
    examples::DiagnosticsThresholds flags;  // --vanishing / --exploding (not saved either)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Options, spec, loss, optimizer, lr, schedule, step_size, gamma, warmup,
                                                batch, epochs, l2, seed, out, data, data_dir, train_images,
                                                train_labels, test_images, test_labels, train_csv, test_csv,
                                                label_column, csv_header, standardize, limit, threads,
                                                keep_checkpoints)

/// A bad option or input: reported on one line, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Defines every option of `o` on `app`, each with its range checked by CLI11.
void add_options(CLI::App& app, Options& o);

/// Applies a checkpoint's saved options (JSON text) to every option not given on the command line of `app`.
Options merge_saved_options(const CLI::App& app, const Options& given, const std::string& saved_text);

/// The checks across options, or of values CLI11's ranges do not cover: UsageError for a bad one.
void validate(const Options& o);

}  // namespace dg::examples
