// train: the main program. Trains an MLP or CNN classifier on Fashion-MNIST (or IDX / CSV data) with a progress bar,
// reports and records per-epoch metrics, writes checkpoints that --resume continues bit-identically, a
// loss/accuracy plot and the confusion matrix, and ends with the line `test accuracy: 0.XXXX`.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "autograd/ops.hpp"
#include "autograd/kernels/parallel.hpp"
#include "common/cli.hpp"
#include "common/diagnostics.hpp"
#include "common/html_report.hpp"
#include "common/plot.hpp"
#include "common/train_options.hpp"
#include "common/train_report.hpp"
#include "common/progress.hpp"
#include "nn/checkpoint.hpp"
#include "nn/data/atomic_file.hpp"
#include "nn/data/csv.hpp"
#include "nn/data/fashion_mnist.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/loader.hpp"
#include "nn/data/transforms.hpp"
#include "nn/nn.hpp"
#include "nn/optim/optim.hpp"
#ifdef DELTAGRAD_HAVE_MPI
#include "nn/distributed/distributed.hpp"
#endif

namespace {

using dg::examples::argmax_row;
using dg::examples::EpochRecord;
using dg::examples::Evaluation;
using dg::examples::format;

using namespace dg;
using Json = nlohmann::json;

using examples::add_options;
using examples::merge_saved_options;
using examples::Options;
using examples::UsageError;
using examples::validate;

// ---- data ---------------------------------------------------------------------------------------------

/// Flattens x to [n, features] and keeps the first `limit` rows (0: all).
data::Dataset<float> make_dataset(Array<float> x, Array<float> y, std::size_t limit) {
    const std::size_t n = x.shape()[0];
    const std::size_t features = n ? x.size() / n : 0;
    const std::size_t keep = limit && limit < n ? limit : n;
    data::Dataset<float> d;
    d.x = Array<float>::from_shape({keep, features});
    std::copy_n(x.data(), keep * features, d.x.data());
    d.y = Array<float>::from_shape({keep});
    std::copy_n(y.data(), keep, d.y.data());
    return d;
}

data::Dataset<float> read_idx_pair(const std::string& images, const std::string& labels, std::size_t limit) {
    Array<float> x = data::read_idx<float>(images);
    const std::vector<std::size_t> l = data::read_idx_labels(labels);
    if (x.dimension() == 0 || x.shape()[0] != l.size())
        throw UsageError(images + " holds " + std::to_string(x.dimension() ? x.shape()[0] : 0) + " samples but " +
                         labels + " holds " + std::to_string(l.size()) + " labels");
    // Image bytes (0..255) are scaled to [0, 1], as for Fashion-MNIST.
    if (x.size() && *std::max_element(x.begin(), x.end()) > 1.0f) data::scale_to_unit(x, 0.0f, 255.0f);
    Array<float> y = Array<float>::from_shape({l.size()});
    std::copy(l.begin(), l.end(), y.begin());
    return make_dataset(std::move(x), std::move(y), limit);
}

data::Dataset<float> read_csv_file(const std::string& path, const Options& o, std::size_t limit) {
    data::CsvOptions csv;
    csv.header = o.csv_header;
    csv.label_column = o.label_column;
    data::CsvTable<float> t = data::read_csv<float>(path, csv);
    for (float v : t.y)
        if (!(v >= 0) || std::floor(v) != v)
            throw UsageError(path + ": label column " + std::to_string(o.label_column) + " holds " + std::to_string(v) +
                             ", expected class indices 0, 1, 2, ...");
    return make_dataset(std::move(t.x), std::move(t.y), limit);
}

struct Data {
    data::Dataset<float> train, test;
    std::vector<std::string> class_names;  ///< Fashion-MNIST's; empty for IDX and CSV data (classes are indices)
};

Data load_data(const Options& o) {
    Data d;
    if (o.data == "fashion-mnist") {
        d.train = data::load_fashion_mnist<float>(data::FashionMnistSplit::Train, o.limit, o.data_dir);
        d.test = data::load_fashion_mnist<float>(data::FashionMnistSplit::Test, 0, o.data_dir);
        d.class_names.assign(data::fashion_mnist_classes.begin(), data::fashion_mnist_classes.end());
        return d;
    }
    if (o.data == "idx") {
        if (o.train_images.empty() || o.train_labels.empty() || o.test_images.empty() || o.test_labels.empty())
            throw UsageError("--data idx needs --train-images, --train-labels, --test-images and --test-labels");
        d.train = read_idx_pair(o.train_images, o.train_labels, o.limit);
        d.test = read_idx_pair(o.test_images, o.test_labels, 0);
    } else {
        if (o.train_csv.empty() || o.test_csv.empty()) throw UsageError("--data csv needs --train-csv and --test-csv");
        d.train = read_csv_file(o.train_csv, o, o.limit);
        d.test = read_csv_file(o.test_csv, o, 0);
    }
    if (d.train.x.shape()[1] != d.test.x.shape()[1])
        throw UsageError("the training data has " + std::to_string(d.train.x.shape()[1]) +
                         " features but the test data has " + std::to_string(d.test.x.shape()[1]));
    float top = 0;
    for (const auto* set : {&d.train, &d.test})
        for (float v : set->y) top = std::max(top, v);
    const std::size_t classes = static_cast<std::size_t>(top) + 1;
    d.train.num_classes = d.test.num_classes = classes;
    return d;  // no class names: the reports show the indices
}

/// Centres and scales every input by the training set's overall mean and standard deviation (one pair
/// for all features, so constant pixels stay finite). Centred inputs matter for Adam: with inputs all
/// >= 0, its first, sign-like update moves every first-layer unit coherently and wide nets blow up early.
void standardize_inputs(Data& d) {
    double sum = 0, sq = 0;
    for (float v : d.train.x) sum += v;
    const double n = static_cast<double>(d.train.x.size()), mean = sum / n;
    for (float v : d.train.x) sq += (v - mean) * (v - mean);
    const double stddev = std::sqrt(sq / n);
    data::Standardization<float> st{Array<float>::from_shape({}), Array<float>::from_shape({})};
    st.mean() = static_cast<float>(mean);
    st.stddev() = static_cast<float>(stddev > 1e-12 ? stddev : 1.0);
    data::standardize(d.train.x, st);
    data::standardize(d.test.x, st);
}

// ---- model, loss, optimizer, schedule ---------------------------------------------------------------------

/// The loss of a batch: outputs [m, classes] against class labels.
struct Loss {
    std::string name;
    std::size_t classes;

    Tensor<float> operator()(const Tensor<float>& out, const std::vector<std::size_t>& y) const {
        if (name == "cross-entropy") return nn::cross_entropy(out, y);
        if (name == "nll") return nn::nll(out, y);
        const Tensor<float> target(data::one_hot<float>(y, classes));
        if (name == "mse") return nn::mse(out, target);
        if (name == "mse-half") return nn::mse_half(out, target);
        return nn::bce_with_logits(out, target);
    }
};

std::unique_ptr<optim::Optimizer<float>> make_optimizer(const Options& o, std::vector<Tensor<float>> params) {
    using namespace optim;
    if (o.optimizer == "sgd") return std::make_unique<SGD<float>>(params, SGDOptions(o.lr));
    if (o.optimizer == "momentum") return std::make_unique<SGD<float>>(params, SGDOptions(o.lr).momentum(0.9));
    if (o.optimizer == "nesterov")
        return std::make_unique<SGD<float>>(params, SGDOptions(o.lr).momentum(0.9).nesterov(true));
    if (o.optimizer == "adam") return std::make_unique<Adam<float>>(params, AdamOptions(o.lr));
    if (o.optimizer == "adamw") return std::make_unique<AdamW<float>>(params, AdamWOptions(o.lr));
    if (o.optimizer == "rmsprop") return std::make_unique<RMSProp<float>>(params, RMSPropOptions(o.lr));
    return std::make_unique<Adagrad<float>>(params, AdagradOptions(o.lr));
}

/// Schedules advance once per batch (so cosine decays smoothly); their options are given in epochs.
std::unique_ptr<optim::LrSchedule<float>> make_schedule(const Options& o, optim::Optimizer<float>& opt,
                                                        std::size_t batches_per_epoch) {
    using namespace optim;
    const auto iterations = [&](double epochs) {
        return std::max<std::int64_t>(1, std::llround(epochs * batches_per_epoch));
    };
    std::unique_ptr<LrSchedule<float>> s;
    if (o.schedule == "step")
        s = std::make_unique<StepLR<float>>(opt, iterations(o.step_size), o.gamma);
    else if (o.schedule == "exponential")
        s = std::make_unique<ExponentialLR<float>>(opt, std::pow(o.gamma, 1.0 / batches_per_epoch));
    else if (o.schedule == "cosine")
        s = std::make_unique<CosineAnnealingLR<float>>(opt, iterations(static_cast<double>(o.epochs)));
    if (o.warmup > 0) {
        if (!s) s = std::make_unique<StepLR<float>>(opt, std::numeric_limits<std::int64_t>::max(), 1.0);
        s->warmup(iterations(o.warmup));
    }
    return s;
}

// ---- evaluation ---------------------------------------------------------------------------------------------

Evaluation evaluate(nn::Module<float>& model, const Loss& loss, const data::Dataset<float>& d) {
    NoGradGuard no_grad;
    model.eval();
    Evaluation e;
    e.confusion.assign(loss.classes, std::vector<std::size_t>(loss.classes, 0));
    e.predicted.reserve(d.size());
    const std::size_t n = d.size(), features = d.x.shape()[1], chunk = 500;  // a CNN's maps of 500 images: ~100 MB
    double loss_sum = 0;
    std::size_t correct = 0;
    for (std::size_t begin = 0; begin < n; begin += chunk) {
        const std::size_t rows = std::min(chunk, n - begin);
        Array<float> x = Array<float>::from_shape({rows, features});
        std::copy_n(d.x.data() + begin * features, rows * features, x.data());
        std::vector<std::size_t> y(d.y.begin() + begin, d.y.begin() + begin + rows);
        const Tensor<float> out = model(Tensor<float>(std::move(x)));
        loss_sum += loss(out, y).item() * rows;
        for (std::size_t i = 0; i < rows; ++i) {
            const std::size_t p = argmax_row(out.value(), i);
            correct += p == y[i];
            ++e.confusion[y[i]][p];
            e.predicted.push_back(p);
        }
    }
    model.train();
    e.loss = loss_sum / n;
    e.accuracy = static_cast<double>(correct) / n;
    return e;
}

// ---- outputs ---------------------------------------------------------------------------------------------

std::string epoch_checkpoint_path(const std::string& dir, std::size_t epoch) {
    char name[64];
    std::snprintf(name, sizeof name, "/checkpoint-epoch-%03zu.safetensors", epoch);
    return dir + name;
}

// ---- training ---------------------------------------------------------------------------------------------

struct Setup {
    Options options;
    Data data;
    std::shared_ptr<nn::Module<float>> model;  // an Mlp or a Cnn
    nn::Mlp<float>* mlp = nullptr;               // the model when it is an Mlp (--diagnostics)
    std::unique_ptr<optim::Optimizer<float>> optimizer;
    std::unique_ptr<optim::LrSchedule<float>> schedule;
    std::unique_ptr<data::DataLoader<float>> loader;
    Loss loss;
    Generator gen;
    nn::CheckpointInfo resumed;  // epoch 0 for a fresh run
    std::vector<EpochRecord> history;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    double data_seconds = 0;  // loading and preparing the data
#ifdef DELTAGRAD_HAVE_MPI
    // --distributed: every rank runs the global loader and trains on its slice of each batch.
    const dist::Environment* env = nullptr;
    std::unique_ptr<dist::DataParallel<float>> ddp;
    data::Batch<float> shard;
#endif
    bool is_root() const {
#ifdef DELTAGRAD_HAVE_MPI
        return !env || env->is_root();
#else
        return true;
#endif
    }
    /// Whether gradients are summed over ranks before the step (--distributed).
    bool data_parallel() const {
#ifdef DELTAGRAD_HAVE_MPI
        return ddp != nullptr;
#else
        return false;
#endif
    }
};

/// This rank's rows of a global batch (the batch itself without --distributed).
const data::Batch<float>& local_batch([[maybe_unused]] Setup& s, const data::Batch<float>& global) {
#ifdef DELTAGRAD_HAVE_MPI
    if (s.env) {
        dist::take_shard(global, s.env->rank(), s.env->size(), s.shard);
        return s.shard;
    }
#endif
    return global;
}

/// Everything that can fail because of the user's options or files: throws UsageError or dg::Error.
std::unique_ptr<Setup> set_up(const CLI::App& app, Options o) {
    auto s = std::make_unique<Setup>();
    std::optional<nn::CheckpointInfo> info;
    if (!o.resume.empty()) {
        info = nn::read_checkpoint_info(o.resume);
        const std::string resume = o.resume;
        const std::size_t stop_after = o.stop_after;
        o = merge_saved_options(app, o, info->options);
        o.resume = resume;
        o.stop_after = stop_after;
    }
    validate(o);
    if (o.threads > 0) set_num_threads(o.threads);
    s->options = o;

    // An MLP spec or a CNN spec (its first token an image CxHxW): the input width, the outputs and the last activation.
    const bool cnn = nn::is_cnn_spec(o.spec);
    std::optional<nn::MlpSpec> mlp_spec;
    std::optional<nn::CnnSpec> cnn_spec;
    if (cnn) cnn_spec = nn::parse_cnn_spec(o.spec);
    else mlp_spec = nn::parse_mlp_spec(o.spec);
    const std::size_t spec_in = cnn ? cnn_spec->input_features() : mlp_spec->sizes.front();
    const std::size_t spec_out = cnn ? cnn_spec->output_features() : mlp_spec->sizes.back();
    const ActivationKind last_activation =
        cnn ? (cnn_spec->layers.back().activation ? cnn_spec->layers.back().activation->kind : ActivationKind::identity)
            : mlp_spec->activations.back().kind;
    if (o.loss == "nll" && last_activation != ActivationKind::log_softmax)
        throw UsageError(std::string("--loss nll needs log-probabilities: end the spec with ") +
                         (cnn ? "'-log_softmax'" : "':log_softmax-out'"));
    if (cnn && o.diagnostics) throw UsageError("--diagnostics is for MLP specs (it reads an Mlp's layers)");

    const auto t0 = std::chrono::steady_clock::now();
    s->data = load_data(o);
    const std::size_t features = s->data.train.x.shape()[1], classes = s->data.train.num_classes;
    s->data.train.validate();
    s->data.test.num_classes = classes;
    s->data.test.validate();
    if (o.standardize) standardize_inputs(s->data);
    if (spec_in != features || spec_out != classes)
        throw UsageError("--spec " + o.spec + ": the data has " + std::to_string(features) + " features and " +
                         std::to_string(classes) + " classes, so the spec must " +
                         (cnn ? "take an image of " + std::to_string(features) + " values (C·H·W; 1x28x28 for "
                                "Fashion-MNIST) and end with " + std::to_string(classes)
                              : "start with " + std::to_string(features) + " and end with " + std::to_string(classes)));
    s->data_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("data: %zu training and %zu test samples, %zu features, %zu classes (%.1f s)\n",
                s->data.train.size(), s->data.test.size(), features, classes, s->data_seconds);

    s->gen = Generator(o.seed);
    if (cnn) {
        s->model = std::make_shared<nn::Cnn<float>>(*cnn_spec, s->gen);
    } else {
        auto mlp = std::make_shared<nn::Mlp<float>>(*mlp_spec, s->gen);
        s->mlp = mlp.get();
        s->model = mlp;
    }
    s->optimizer = make_optimizer(o, s->model->parameters());
    // The loader draws its own stream from the seed, so the weights and the batch order are both seeded.
    s->loader = std::make_unique<data::DataLoader<float>>(s->data.train, data::LoaderOptions{o.batch},
                                                          Generator(s->gen.bits()));
    s->schedule = make_schedule(o, *s->optimizer, s->loader->batches_per_epoch());
    s->loss = Loss{o.loss, classes};

    if (info) {
        s->resumed = nn::load_checkpoint<float>(o.resume, *s->model, s->optimizer.get());
        s->loader->set_state(data::loader_state_from_text(s->resumed.loader_state));
        s->gen.set_state(s->resumed.generator_state);
        if (s->schedule) s->schedule->set_epoch(s->resumed.step);
        auto h = s->resumed.extra.find("history");
        if (h != s->resumed.extra.end()) s->history = Json::parse(h->second).get<std::vector<EpochRecord>>();
        std::printf("resumed from %s: epoch %lld, step %lld\n", o.resume.c_str(),
                    static_cast<long long>(s->resumed.epoch), static_cast<long long>(s->resumed.step));
    }
    examples::ensure_dir(o.out);
    return s;
}

void save(const Setup& s, std::size_t epoch, std::int64_t step) {
    nn::CheckpointInfo info;
    info.epoch = static_cast<std::int64_t>(epoch);
    info.batch = static_cast<std::int64_t>(s.loader->batch_index());
    info.step = step;
    info.loader_state = data::to_text(s.loader->state());
    info.generator_state = s.gen.state();
    info.spec = s.options.spec;
    Json options = s.options;
    info.options = options.dump();
    info.extra["history"] = Json(s.history).dump();
    const std::string& dir = s.options.out;
    nn::save_checkpoint(epoch_checkpoint_path(dir, epoch), *s.model,
                        static_cast<const optim::Optimizer<float>*>(s.optimizer.get()), info);
    nn::save_checkpoint(dir + "/checkpoint.safetensors", *s.model,
                        static_cast<const optim::Optimizer<float>*>(s.optimizer.get()), info);
    if (s.options.keep_checkpoints > 0 && epoch > s.options.keep_checkpoints) {
        std::error_code ignored;
        std::filesystem::remove(epoch_checkpoint_path(dir, epoch - s.options.keep_checkpoints), ignored);
    }
}

/// report.html in the output folder (examples/common/html_report.hpp), from the last evaluation.
void write_report(const Setup& s, const Evaluation& last, bool finished, const std::string& diagnostics_csv) {
    const Options& o = s.options;
    examples::TrainingReport r;
    r.title = "train: " + o.spec + " on " + o.data;
    r.finished = finished;
    r.epochs_planned = o.epochs;
    r.options = o;
    r.class_names = s.data.class_names;
    r.history = s.history;
    r.evaluation = last;
    r.test = &s.data.test;
    r.diagnostics_csv = diagnostics_csv;
    r.data_seconds = s.data_seconds;
    r.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
    examples::write_training_report(o.out + "/report.html", r);
}

int train(Setup& s) {
    const Options& o = s.options;
    nn::Module<float>& model = *s.model;
    std::printf("%s", model.to_string().c_str());
    std::printf("optimizer %s, lr %g, schedule %s, batch %zu, epochs %zu, l2 %g, seed %llu, threads %d\n",
                s.optimizer->name().c_str(), o.lr, o.schedule.c_str(), o.batch, o.epochs, o.l2,
                static_cast<unsigned long long>(o.seed), num_threads());
    const bool tty = examples::is_terminal(stdout);
    std::int64_t step = s.resumed.step;
    Evaluation last;
    bool evaluated = false;
    std::unique_ptr<examples::Diagnostics> diagnostics;
    const std::string diagnostics_csv = o.out + "/diagnostics.csv";
    if (o.diagnostics) {
        diagnostics = std::make_unique<examples::Diagnostics>(*s.mlp, o.flags);
        std::printf("diagnostics: per layer and epoch, flags %s\n", o.flags.str().c_str());
        // A fresh run starts its own table; a resumed one adds its epochs to the table of the run it continues.
        std::error_code ignored;  // best effort: a table that cannot be removed is appended to
        if (s.resumed.epoch == 0 && s.is_root()) std::filesystem::remove(diagnostics_csv, ignored);
    }
    if (s.is_root()) std::printf("report: %s/report.html (rewritten after every epoch)\n", o.out.c_str());

    for (std::size_t epoch = static_cast<std::size_t>(s.resumed.epoch) + 1; epoch <= o.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        examples::ProgressBar bar("epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs),
                                  s.loader->batches_per_epoch(), stdout, tty);
        double loss_sum = 0;
        std::size_t correct = 0, seen = 0, done = s.loader->batch_index();
        while (s.loader->next()) {
            const data::Batch<float>& global = s.loader->batch();
            const data::Batch<float>& b = local_batch(s, global);
            const std::vector<std::size_t> y(b.y.begin(), b.y.end());
            s.optimizer->zero_grad();
            const Tensor<float> out = model(Tensor<float>(b.x));
            Tensor<float> loss = s.loss(out, y);
            const double batch_loss = loss.item();
            // Distributed, only rank 0 adds the penalty: its gradient λ/m0·W, weighted m0/global by the allreduce,
            // is the single-process λ/global·W.
            if (o.l2 > 0 && s.is_root()) loss = loss + nn::l2_penalty(model, o.l2, b.size());
            // Diagnostics read the gradients and data parallelism sums them; otherwise SGD updates inside backward.
            if (!diagnostics && !s.data_parallel()) {
                s.optimizer->backward_and_step(loss);
            } else {
                loss.backward();
                if (diagnostics) diagnostics->before_step();
#ifdef DELTAGRAD_HAVE_MPI
                if (s.ddp) s.ddp->step(b.size(), global.size());
                else
#endif
                s.optimizer->step();
                if (diagnostics) diagnostics->after_step();
            }
            if (s.schedule) s.schedule->step();
            ++step;
            if (!std::isfinite(batch_loss))
                throw Error("the loss became " + format("%g", batch_loss) + " at step " + std::to_string(step) +
                            " (try a smaller --lr)");
            loss_sum += batch_loss * b.size();
            for (std::size_t i = 0; i < b.size(); ++i) correct += argmax_row(out.value(), i) == y[i];
            seen += b.size();
            bar.update(++done, loss_sum / seen, static_cast<double>(correct) / seen, seen);
        }
        bar.finish();
#ifdef DELTAGRAD_HAVE_MPI
        if (s.env) {  // the epoch's metrics over every rank's rows
            double sums[3] = {loss_sum, static_cast<double>(correct), static_cast<double>(seen)};
            s.env->sum(sums, 3);
            loss_sum = sums[0];
            correct = static_cast<std::size_t>(sums[1]);
            seen = static_cast<std::size_t>(sums[2]);
        }
#endif
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        last = evaluate(model, s.loss, s.data.test);
        evaluated = true;

        EpochRecord r;
        r.epoch = epoch;
        r.train_loss = seen ? loss_sum / seen : 0;
        r.train_accuracy = seen ? static_cast<double>(correct) / seen : 0;
        r.test_loss = last.loss;
        r.test_accuracy = last.accuracy;
        r.lr = s.optimizer->lr(0);
        r.seconds = seconds;
        r.samples_per_second = seconds > 0 ? seen / seconds : 0;
        s.history.push_back(r);
        std::printf("epoch %2zu/%zu  train loss %.4f acc %.4f | test loss %.4f acc %.4f | lr %.2e | %.1f s, %.0f samples/s\n",
                    epoch, o.epochs, r.train_loss, r.train_accuracy, r.test_loss, r.test_accuracy, r.lr, r.seconds,
                    r.samples_per_second);
        if (diagnostics) {
            const std::string table = diagnostics->end_epoch(epoch, s.is_root() ? diagnostics_csv : "");
            if (s.is_root()) std::printf("%s", table.c_str());
        }
        std::fflush(stdout);
        if (s.is_root()) {  // distributed: rank 0 alone writes (every rank holds the same parameters)
            examples::write_metrics_csv(o.out + "/metrics.csv", s.history);
            write_report(s, last, epoch == o.epochs, diagnostics ? diagnostics_csv : "");
            save(s, epoch, step);
        }
        if (o.stop_after > 0 && epoch - static_cast<std::size_t>(s.resumed.epoch) >= o.stop_after && epoch < o.epochs) {
            std::printf("stopped after epoch %zu (--stop-after); continue with --resume %s/checkpoint.safetensors\n",
                        epoch, o.out.c_str());
            return 0;
        }
    }
    if (!evaluated) last = evaluate(model, s.loss, s.data.test);  // resumed from the last epoch

    if (!s.is_root()) return 0;
    examples::plot_history(o.out, s.history);
    examples::write_confusion_csv(o.out + "/confusion_matrix.csv", last, s.data.class_names);
    examples::write_predictions_csv(o.out + "/predictions.csv", last, s.data.test);
    write_report(s, last, true, diagnostics ? diagnostics_csv : "");
    std::printf("\n%s\n", examples::confusion_text(last, s.data.class_names).c_str());
    std::string wrote = "metrics.csv, loss.png, accuracy.png, confusion_matrix.csv, predictions.csv, report.html, "
                        "checkpoint.safetensors";
    if (diagnostics) {
        wrote += ", diagnostics.csv";
        if (examples::plot_delta_norms(diagnostics_csv, o.out + "/diagnostics.png")) wrote += ", diagnostics.png";
    }
    std::printf("wrote %s/{%s}\n", o.out.c_str(), wrote.c_str());
    std::printf("test accuracy: %.4f\n", last.accuracy);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"train: an MLP classifier on Fashion-MNIST (or IDX / CSV data), with checkpoints and --resume"};
    Options options;
    add_options(app, options);
    if (int rc = examples::parse_command_line(app, argc, argv, "train"); rc >= 0) return rc;

#ifdef DELTAGRAD_HAVE_MPI
    // --distributed: a failure on any rank must end every rank (the others would wait in a collective).
    std::optional<dist::Environment> env;
    if (options.distributed) {
        env.emplace(&argc, &argv);
        if (!env->is_root() && !std::freopen("/dev/null", "w", stdout)) env->abort("cannot silence stdout");
    }
    const auto fail = [&](const char* what, const std::exception& e, int code) {
        if (env && env->size() > 1) env->abort(std::string("train: ") + what + e.what());
        std::fprintf(stderr, "train: %s%s\n", what, e.what());
        return code;
    };
#else
    if (options.distributed) {
        std::fprintf(stderr, "train: error: --distributed needs the MPI component (configure with -DDELTAGRAD_MPI=ON)\n");
        return 2;
    }
    const auto fail = [](const char* what, const std::exception& e, int code) {
        std::fprintf(stderr, "train: %s%s\n", what, e.what());
        return code;
    };
#endif
    std::unique_ptr<Setup> setup;
    try {
        setup = set_up(app, options);
#ifdef DELTAGRAD_HAVE_MPI
        if (env) {
            const std::size_t ranks = static_cast<std::size_t>(env->size()), n = setup->data.train.size();
            const std::size_t tail = n % setup->options.batch;
            if (setup->options.batch < ranks || (tail > 0 && tail < ranks))
                throw UsageError("--distributed: every rank needs rows of every batch, so --batch " +
                                 std::to_string(setup->options.batch) + " and the last batch of an epoch (" +
                                 std::to_string(tail) + " of " + std::to_string(n) + " samples) must be at least " +
                                 std::to_string(ranks) + " (the number of ranks)");
            setup->env = &*env;
            setup->ddp = std::make_unique<dist::DataParallel<float>>(*env, *setup->model, *setup->optimizer);
            std::printf("distributed: %d ranks, global batch %zu (about %zu rows per rank)\n", env->size(),
                        setup->options.batch, setup->options.batch / ranks);
        }
#endif
    } catch (const std::exception& e) {
        // Bad options, missing or malformed files, a bad spec: one line, exit code 2.
        return fail("error: ", e, 2);
    }
    try {
        return train(*setup);
    } catch (const std::exception& e) {
        return fail("error during training: ", e, 1);
    }
}
