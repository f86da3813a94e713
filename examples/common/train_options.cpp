// train's command line (train_options.hpp).
#include "common/train_options.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/cli.hpp"
#include "common/train_report.hpp"

namespace dg::examples {

using Json = nlohmann::json;

Options merge_saved_options(const CLI::App& app, const Options& given, const std::string& saved_text) {
    Json merged = given;
    Json saved;
    try {
        saved = Json::parse(saved_text);
    } catch (const Json::exception& e) {
        throw UsageError("--resume: the checkpoint's options are not valid JSON: " + std::string(e.what()));
    }
    for (const auto& [key, value] : saved.items()) {
        if (key == "threads" || !merged.contains(key)) continue;
        std::string flag = "--" + key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        if (app.count(flag) == 0) merged[key] = value;
    }
    return merged.get<Options>();
}

void validate(const Options& o) {
    if (!(o.lr >= 0) || !std::isfinite(o.lr)) throw UsageError("--lr must be a non-negative number (got " + format("%g", o.lr) + ")");
    if (o.l2 < 0 || !std::isfinite(o.l2)) throw UsageError("--l2 must be a non-negative number (got " + format("%g", o.l2) + ")");
    if (o.batch == 0) throw UsageError("--batch must be at least 1");
    if (o.epochs == 0) throw UsageError("--epochs must be at least 1");
    if (!(o.gamma > 0)) throw UsageError("--gamma must be positive");
    if (!(o.step_size > 0)) throw UsageError("--step-size must be positive");
    if (o.warmup < 0) throw UsageError("--warmup must be non-negative");
}

void add_options(CLI::App& app, Options& o) {
    app.add_option("--spec", o.spec,
                   "MLP spec (grammar in nn/layers/mlp.hpp), e.g. 784-100-10:sigmoid, or CNN spec (nn/layers/cnn.hpp), "
                   "e.g. 1x28x28-c32k3p1-bn-relu-m2-flat-10")
        ->capture_default_str();
    app.add_option("--loss", o.loss,
                   "loss on the outputs: " + loss_choices(false) + " (nll needs a log_softmax output layer)")
        ->transform(loss_option(false))
        ->capture_default_str();
    app.add_option("--optimizer", o.optimizer, "update rule")
        ->check(CLI::IsMember({"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad"}))
        ->capture_default_str();
    app.add_option("--lr", o.lr, "learning rate")->capture_default_str()->check(real_number(0));
    app.add_option("--schedule", o.schedule, "learning-rate schedule, stepped every batch")
        ->check(CLI::IsMember({"none", "step", "exponential", "cosine"}))
        ->capture_default_str();
    app.add_option("--step-size", o.step_size, "step schedule: epochs between decays")
        ->capture_default_str()
        ->check(real_number(0, std::numeric_limits<double>::infinity(), true));
    app.add_option("--gamma", o.gamma, "step: decay per --step-size epochs; exponential: decay per epoch")
        ->capture_default_str()
        ->check(real_number(0, std::numeric_limits<double>::infinity(), true));
    app.add_option("--warmup", o.warmup, "epochs of linear learning-rate warmup (from lr/3)")
        ->capture_default_str()
        ->check(real_number(0));
    app.add_option("--batch", o.batch, "mini-batch size")->capture_default_str()->check(whole_number(1));
    app.add_option("--epochs", o.epochs, "number of passes over the training data")
        ->capture_default_str()
        ->check(whole_number(1));
    app.add_option("--l2", o.l2, "L2 penalty λ/(2m)·Σ‖W‖² on the weights (m = batch size)")
        ->capture_default_str()
        ->check(real_number(0));
    app.add_option("--seed", o.seed, "seed of the weights and the shuffling")->capture_default_str()->check(whole_number(0));
    app.add_option("--out", o.out, "output folder")->capture_default_str();
    app.add_option("--data", o.data, "dataset")
        ->check(CLI::IsMember({"fashion-mnist", "idx", "csv"}))
        ->capture_default_str();
    app.add_option("--data-dir", o.data_dir, "folder of the Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--train-images", o.train_images, "IDX training images (.gz or plain)")->check(CLI::ExistingFile);
    app.add_option("--train-labels", o.train_labels, "IDX training labels")->check(CLI::ExistingFile);
    app.add_option("--test-images", o.test_images, "IDX test images")->check(CLI::ExistingFile);
    app.add_option("--test-labels", o.test_labels, "IDX test labels")->check(CLI::ExistingFile);
    app.add_option("--train-csv", o.train_csv, "CSV training table (numbers; one label column)")->check(CLI::ExistingFile);
    app.add_option("--test-csv", o.test_csv, "CSV test table")->check(CLI::ExistingFile);
    app.add_option("--label-column", o.label_column, "CSV: 0-based column of the class label")
        ->capture_default_str()
        ->check(whole_number(0));
    app.add_flag("--csv-header", o.csv_header, "CSV: the first line holds column names");
    app.add_flag("--standardize,!--no-standardize", o.standardize,
                 "standardize inputs with the training set's overall mean and std (default: on)");
    app.add_option("--limit", o.limit, "use only the first N training samples (0: all)")
        ->capture_default_str()
        ->check(whole_number(0));
    app.add_option("--resume", o.resume, "continue from this checkpoint (its options apply unless given again)")
        ->check(CLI::ExistingFile);
    app.add_option("--threads", o.threads,
                   "threads for large matrix products (0: deltagrad's default, DG_NUM_THREADS or all cores)")
        ->capture_default_str()
        ->check(whole_number(0, 4096));
    app.add_option("--keep-checkpoints", o.keep_checkpoints, "per-epoch checkpoints to keep (0: all)")
        ->capture_default_str()
        ->check(whole_number(0));
    app.add_option("--stop-after", o.stop_after,
                   "stop after N epochs of this invocation, as if interrupted (to test --resume; 0: never)")
        ->check(whole_number(0));
    app.add_flag("--diagnostics", o.diagnostics,
                 "per layer and epoch: |δ(l)|, |ΔW(l)|, update/|W|, dead ReLUs, saturated units, vanishing/exploding "
                 "flags (printed, written to diagnostics.csv, and |δ(l)| per epoch plotted in diagnostics.png)");
    app.add_option("--vanishing", o.flags.vanishing,
                   "--diagnostics: flag a layer 'vanishing' when its mean |δ(l)| is below this times the last layer's")
        ->capture_default_str()
        ->check(real_number(0, 1, true, true));
    app.add_option("--exploding", o.flags.exploding,
                   "--diagnostics: flag a layer 'exploding' when its mean |δ(l)| is above this times the last layer's")
        ->capture_default_str()
        ->check(real_number(1, std::numeric_limits<double>::infinity(), true));
    app.add_flag("--distributed", o.distributed,
                 "data-parallel over the processes of mpirun: --batch is the global batch, rank 0 prints and writes");
}

}  // namespace dg::examples
