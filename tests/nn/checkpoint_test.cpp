// Checkpoints: bit-exact round trips of parameters, buffers, optimizer state and metadata; mismatched models and
// optimizers refused with one message naming every problem; corrupted data refused by its checksum; and resuming
// mid-run continuing bit-identically.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>

#include <unistd.h>

#include "autograd/ops.hpp"
#include "data/test_util.hpp"
#include "nn/checkpoint.hpp"
#include "nn/data/loader.hpp"
#include "nn/nn.hpp"
#include "nn/optim/optim.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

using test::same_bits;

namespace fs = std::filesystem;

/// A fresh folder per test, removed afterwards.
class CheckpointTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("dg_checkpoint_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                "_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    fs::path dir_;
};

template <class T>
bool same_parameters(const Module<T>& a, const Module<T>& b) {
    const auto pa = a.named_parameters(), pb = b.named_parameters();
    if (pa.size() != pb.size()) return false;
    for (std::size_t i = 0; i < pa.size(); ++i)
        if (pa[i].first != pb[i].first || !same_bits(pa[i].second.value(), pb[i].second.value())) return false;
    return true;
}

/// One gradient step of cross-entropy on a fixed random batch.
template <class T>
void train_steps(Mlp<T>& model, optim::Optimizer<T>& opt, int steps, std::uint64_t seed = 5) {
    Generator gen(seed);
    const Tensor<T> x = Tensor<T>::randn({6, 4}, gen);
    const std::vector<std::size_t> y = {0, 1, 2, 0, 1, 2};
    for (int i = 0; i < steps; ++i) {
        opt.zero_grad();
        cross_entropy(model(x), y).backward();
        opt.step();
    }
}

TEST_F(CheckpointTest, ParametersAndInfoRoundTripBitExactly) {
    Generator g1(1), g2(2);
    Mlp<float> saved("4-8-3:tanh", g1);
    Mlp<float> loaded("4-8-3:tanh", g2);
    ASSERT_FALSE(same_parameters(saved, loaded));

    CheckpointInfo info;
    info.epoch = 3;
    info.batch = 17;
    info.step = 1234;
    info.loader_state = "epoch 3 batch 17 dataset_size 100 batch_size 8 shuffle 1 drop_last 0 generator 1 2 3";
    info.generator_state = Generator(9).state();
    info.spec = "4-8-3:tanh";
    info.options = R"({"lr": 0.001})";
    info.extra["note"] = "hello";
    save_checkpoint(path("c.safetensors"), saved, static_cast<const optim::Optimizer<float>*>(nullptr), info);

    const CheckpointInfo back = load_checkpoint<float>(path("c.safetensors"), loaded, nullptr);
    EXPECT_TRUE(same_parameters(saved, loaded));
    EXPECT_EQ(back.epoch, 3);
    EXPECT_EQ(back.batch, 17);
    EXPECT_EQ(back.step, 1234);
    EXPECT_EQ(back.loader_state, info.loader_state);
    EXPECT_EQ(back.generator_state, info.generator_state);
    EXPECT_EQ(back.spec, "4-8-3:tanh");
    EXPECT_EQ(back.options, info.options);
    EXPECT_EQ(back.optimizer, "");
    EXPECT_EQ(back.extra, (Metadata{{"note", "hello"}}));
    EXPECT_EQ(read_checkpoint_info(path("c.safetensors")).step, 1234);

    // The file is plain safetensors: parameter names as named_parameters(), float32, plus the metadata keys.
    const SafetensorsFile file = load_safetensors(path("c.safetensors"));
    ASSERT_EQ(file.tensors.size(), 4u);
    EXPECT_EQ(file.tensors[0].name, "fc1.weight");
    EXPECT_EQ(dtype_of(file.tensors[0].value), DType::F32);
    EXPECT_EQ(array_shape(file.tensors[0].value), (Shape{8, 4}));
    EXPECT_EQ(file.tensors[3].name, "fc2.bias");
    EXPECT_EQ(file.metadata.at("format"), "deltagrad-checkpoint");
    EXPECT_EQ(file.metadata.at("dtype"), "F32");
}

TEST_F(CheckpointTest, DoubleModelsRoundTripToo) {
    Generator g1(1), g2(2);
    Mlp<double> saved("3-5-2:relu", g1), loaded("3-5-2:relu", g2);
    save_checkpoint<double>(path("d.safetensors"), saved, nullptr);
    load_checkpoint<double>(path("d.safetensors"), loaded, nullptr);
    EXPECT_TRUE(same_parameters(saved, loaded));
    EXPECT_EQ(load_safetensors(path("d.safetensors")).metadata.at("dtype"), "F64");
}

TEST_F(CheckpointTest, ANullOptimizerNeedsNoTemplateArgument) {
    Generator g1(1), g2(2);
    Mlp<float> saved("3-4-2", g1), loaded("3-4-2", g2);
    save_checkpoint(path("n.safetensors"), saved, nullptr);  // T comes from the model
    const CheckpointInfo info = load_checkpoint(path("n.safetensors"), loaded, nullptr);
    EXPECT_TRUE(same_parameters(saved, loaded));
    EXPECT_EQ(info.optimizer, "");
    // An optimizer of a derived class needs no cast either.
    optim::Adam<float> adam(saved.parameters());
    save_checkpoint(path("a.safetensors"), saved, &adam);
    optim::Adam<float> adam2(loaded.parameters());
    EXPECT_EQ(load_checkpoint(path("a.safetensors"), loaded, &adam2).optimizer, "Adam");
}

// Running statistics as BatchNorm keeps them: a weight, two persistent buffers and a non-persistent one.
struct RunningStats : Cloneable<RunningStats, float> {
    RunningStats() {
        register_parameter("weight", Tensor<float>::ones({3}));
        register_buffer("running_mean", Tensor<float>::zeros({3}));
        register_buffer("num_batches_tracked", Tensor<float>::scalar(0.0f));
        register_buffer("scratch", Tensor<float>::zeros({2}), /*persistent=*/false);
    }
    Tensor<float> forward(const Tensor<float>& x) override { return x; }
};

// A linear layer and the statistics, as "fc" and "stats".
std::shared_ptr<Sequential<float>> model_with_buffers(Generator& gen) {
    auto model = std::make_shared<Sequential<float>>();
    model->push_back("fc", std::make_shared<Linear<float>>(3, 3, gen));
    model->push_back("stats", std::make_shared<RunningStats>());
    return model;
}

void set_all(const Tensor<float>& t, float v) {
    NoGradGuard no_grad;
    Tensor<float> h = t;
    h.mutable_value().fill(v);
}

TEST_F(CheckpointTest, PersistentBuffersRoundTripUnderTheirDottedNames) {
    Generator gen(3);
    const auto model = model_with_buffers(gen);
    set_all(model->buffer("stats.running_mean"), 0.25f);
    set_all(model->buffer("stats.num_batches_tracked"), 7.0f);
    set_all(model->buffer("stats.scratch"), 5.0f);
    save_checkpoint(path("b.safetensors"), *model, nullptr);

    // PyTorch's state_dict names and order: per module its parameters, then its persistent buffers.
    std::vector<std::string> names;
    for (const auto& t : load_safetensors(path("b.safetensors")).tensors) names.push_back(t.name);
    EXPECT_EQ(names, (std::vector<std::string>{"fc.weight", "fc.bias", "stats.weight", "stats.running_mean",
                                               "stats.num_batches_tracked"}));

    Generator other(4);
    const auto loaded = model_with_buffers(other);
    load_checkpoint(path("b.safetensors"), *loaded, nullptr);
    EXPECT_TRUE(same_bits(loaded->buffer("stats.running_mean").value(), Array<float>{0.25f, 0.25f, 0.25f}));
    EXPECT_EQ(loaded->buffer("stats.num_batches_tracked").item(), 7.0f);
    EXPECT_EQ(loaded->buffer("stats.scratch").at(0), 0.0f);  // not persistent: not saved, left as it was
    EXPECT_TRUE(same_parameters(*model, *loaded));
    EXPECT_FALSE(loaded->buffer("stats.running_mean").requires_grad());
}

TEST_F(CheckpointTest, MissingBuffersAreRefusedLikeParameters) {
    Generator gen(5);
    Mlp<float> without("3-3", gen);
    save_checkpoint(path("p.safetensors"), without, nullptr);
    const auto model = model_with_buffers(gen);
    set_all(model->buffer("stats.running_mean"), 0.5f);
    EXPECT_THROW_MSG(load_checkpoint(path("p.safetensors"), *model, nullptr), IoError,
                     "missing 'stats.running_mean' (F32 [3])", "missing 'stats.num_batches_tracked' (F32 [])",
                     "unexpected 'fc1.weight'");
    EXPECT_EQ(model->buffer("stats.running_mean").at(0), 0.5f);  // nothing changed
}

TEST_F(CheckpointTest, CorruptedWeightDataIsAnIoErrorNamingTheFileAndTheTensor) {
    Generator g1(1), g2(2);
    Mlp<float> model("784-100-10", g1), other("784-100-10", g2);
    const std::string file = path("c.safetensors");
    save_checkpoint(file, model, nullptr);
    // 400 bytes in the middle of fc1.weight (the first tensor: its data starts right after the header) overwritten.
    std::string bytes = test::read_bytes(file);
    std::uint64_t header = 0;
    std::memcpy(&header, bytes.data(), 8);
    const std::size_t at = 8 + header + 100'000;
    ASSERT_LT(at + 400, 8 + header + 784 * 100 * sizeof(float));
    bytes.replace(at, 400, std::string(400, '\xA5'));
    test::write_bytes(file, bytes);

    const Array<float> before = other.parameter("fc1.weight").value();
    EXPECT_THROW_MSG(load_checkpoint(file, other, nullptr), IoError, file.c_str(), "tensor 'fc1.weight'",
                     "does not match its checksum", "corrupted");
    EXPECT_TRUE(same_bits(other.parameter("fc1.weight").value(), before));  // nothing was loaded
    EXPECT_THROW_MSG(read_checkpoint_info(file), IoError, "fc1.weight");
}

TEST_F(CheckpointTest, FilesWithoutChecksumsStillLoad) {
    // The same checkpoint as another writer (PyTorch's safetensors) would write it: tensors and metadata, no crc32.
    Generator g1(1), g2(2);
    Mlp<float> model("4-3", g1), loaded("4-3", g2);
    save_checkpoint(path("with.safetensors"), model, nullptr);
    const SafetensorsFile file = load_safetensors(path("with.safetensors"));
    save_safetensors(path("without.safetensors"), file.tensors, file.metadata, /*checksums=*/false);
    ASSERT_EQ(test::read_bytes(path("without.safetensors")).find("crc32"), std::string::npos);
    ASSERT_NE(test::read_bytes(path("with.safetensors")).find("crc32:fc1.weight"), std::string::npos);
    load_checkpoint(path("without.safetensors"), loaded, nullptr);
    EXPECT_TRUE(same_parameters(model, loaded));
}

TEST_F(CheckpointTest, WrongShapesAreRefusedInOneMessageAndChangeNothing) {
    Generator g1(1), g2(2);
    Mlp<float> saved("4-8-3", g1);
    Mlp<float> other("4-9-3", g2);
    save_checkpoint<float>(path("c.safetensors"), saved, nullptr);
    const Array<float> before = other.parameter("fc1.weight").value();
    EXPECT_THROW_MSG(load_checkpoint<float>(path("c.safetensors"), other, nullptr), IoError, "load_checkpoint",
                     "c.safetensors", "3 mismatches",
                     "'fc1.weight' has shape [8, 4], expected [9, 4]",
                     "'fc1.bias' has shape [8], expected [9]",
                     "'fc2.weight' has shape [3, 8], expected [3, 9]");
    EXPECT_TRUE(same_bits(other.parameter("fc1.weight").value(), before));
}

TEST_F(CheckpointTest, MissingAndUnexpectedNamesAreListed) {
    Generator g1(1), g2(2), g3(3);
    Mlp<float> two("4-8-3", g1);
    Mlp<float> three("4-8-8-3", g2);
    save_checkpoint<float>(path("two.safetensors"), two, nullptr);
    EXPECT_THROW_MSG(load_checkpoint<float>(path("two.safetensors"), three, nullptr), IoError,
                     "missing 'fc3.weight' (F32 [3, 8])", "missing 'fc3.bias' (F32 [3])",
                     "'fc2.weight' has shape [3, 8], expected [8, 8]");
    save_checkpoint<float>(path("three.safetensors"), three, nullptr);
    Mlp<float> small("4-8-3", g3);
    EXPECT_THROW_MSG(load_checkpoint<float>(path("three.safetensors"), small, nullptr), IoError,
                     "unexpected 'fc3.weight' (F32 [3, 8])", "unexpected 'fc3.bias' (F32 [3])");
}

TEST_F(CheckpointTest, WrongDtypeIsRefused) {
    Generator g1(1), g2(2);
    Mlp<double> saved("4-8-3", g1);
    Mlp<float> loaded("4-8-3", g2);
    save_checkpoint<double>(path("d.safetensors"), saved, nullptr);
    EXPECT_THROW_MSG(load_checkpoint<float>(path("d.safetensors"), loaded, nullptr), IoError,
                     "'fc1.weight' has dtype F64, expected F32");
}

TEST_F(CheckpointTest, AdamStateRoundTripsBitExactly) {
    Generator g1(1), g2(1);
    Mlp<float> model("4-8-3:tanh", g1);
    optim::Adam<float> adam(model.parameters(), optim::AdamOptions(0.01));
    train_steps(model, adam, 3);
    save_checkpoint(path("a.safetensors"), model, static_cast<const optim::Optimizer<float>*>(&adam));

    Mlp<float> fresh("4-8-3:tanh", g2);
    optim::Adam<float> fresh_adam(fresh.parameters(), optim::AdamOptions(0.5));
    load_checkpoint<float>(path("a.safetensors"), fresh, &fresh_adam);

    const auto a = adam.state(), b = fresh_adam.state();
    ASSERT_EQ(a.arrays.size(), 8u);  // exp_avg and exp_avg_sq of 4 parameters
    ASSERT_EQ(a.arrays.size(), b.arrays.size());
    for (std::size_t i = 0; i < a.arrays.size(); ++i) {
        EXPECT_EQ(a.arrays[i].first, b.arrays[i].first);
        EXPECT_TRUE(same_bits(a.arrays[i].second, b.arrays[i].second)) << a.arrays[i].first;
    }
    EXPECT_EQ(a.scalars, b.scalars);  // steps (3) and the learning rate (0.01, not the fresh 0.5)
    EXPECT_EQ(fresh_adam.lr(0), 0.01);
    EXPECT_EQ(fresh_adam.step_count(0, 2), 3);

    // The buffers are tensors named as PyTorch's state_dict, the steps and lrs F64 scalars.
    const SafetensorsFile file = load_safetensors(path("a.safetensors"));
    ASSERT_NE(file.find("optimizer.state.0.exp_avg"), nullptr);
    ASSERT_NE(file.find("optimizer.state.3.exp_avg_sq"), nullptr);
    EXPECT_EQ(file.get<double>("optimizer.state.1.step")(), 3.0);
    EXPECT_EQ(file.get<double>("optimizer.param_groups.0.lr")(), 0.01);
    EXPECT_EQ(file.metadata.at("optimizer"), "Adam");
}

TEST_F(CheckpointTest, SgdMomentumStateRoundTrips) {
    Generator g1(1), g2(1);
    Mlp<double> model("3-4-2", g1), fresh("3-4-2", g2);
    optim::SGD<double> sgd(model.parameters(), optim::SGDOptions(0.1).momentum(0.9));
    optim::SGD<double> fresh_sgd(fresh.parameters(), optim::SGDOptions(0.1).momentum(0.9));
    Generator gen(4);
    const Tensor<double> x = Tensor<double>::randn({5, 3}, gen);
    for (int i = 0; i < 2; ++i) {
        sgd.zero_grad();
        cross_entropy(model(x), std::vector<std::size_t>{0, 1, 1, 0, 1}).backward();
        sgd.step();
    }
    save_checkpoint(path("s.safetensors"), model, static_cast<const optim::Optimizer<double>*>(&sgd));
    load_checkpoint<double>(path("s.safetensors"), fresh, &fresh_sgd);
    const auto a = sgd.state(), b = fresh_sgd.state();
    ASSERT_EQ(a.arrays.size(), 4u);
    for (std::size_t i = 0; i < a.arrays.size(); ++i) EXPECT_TRUE(same_bits(a.arrays[i].second, b.arrays[i].second));
    EXPECT_EQ(a.scalars, b.scalars);
}

TEST_F(CheckpointTest, WrongOrMissingOptimizerStateIsRefused) {
    Generator g1(1), g2(2);
    Mlp<float> model("4-8-3", g1), other("4-8-3", g2);
    optim::Adam<float> adam(model.parameters());
    train_steps(model, adam, 1);
    save_checkpoint(path("adam.safetensors"), model, static_cast<const optim::Optimizer<float>*>(&adam));
    save_checkpoint<float>(path("bare.safetensors"), model, nullptr);

    optim::SGD<float> sgd(other.parameters(), optim::SGDOptions(0.1));
    const Array<float> before = other.parameter("fc1.weight").value();
    EXPECT_THROW_MSG(load_checkpoint<float>(path("adam.safetensors"), other, &sgd), IoError,
                     "holds the state of Adam, not of the SGD");
    optim::Adam<float> other_adam(other.parameters());
    EXPECT_THROW_MSG(load_checkpoint<float>(path("bare.safetensors"), other, &other_adam), IoError,
                     "holds no optimizer state");
    // A failed load leaves the model as it was.
    EXPECT_TRUE(same_bits(other.parameter("fc1.weight").value(), before));
    // Without an optimizer, the weights of a full checkpoint load fine.
    load_checkpoint<float>(path("adam.safetensors"), other, nullptr);
    EXPECT_TRUE(same_parameters(model, other));
}

TEST_F(CheckpointTest, PlainSafetensorsFilesAreNotCheckpoints) {
    save_safetensors(path("p.safetensors"), {{"fc1.weight", Array<float>::from_shape({2, 2})}});
    Generator g(1);
    Mlp<float> model("2-2", g);
    EXPECT_THROW_MSG(load_checkpoint<float>(path("p.safetensors"), model, nullptr), IoError,
                     "is not a deltagrad checkpoint");
    EXPECT_THROW_MSG(read_checkpoint_info(path("missing.safetensors")), IoError, "missing.safetensors");
}

TEST_F(CheckpointTest, ReservedExtraKeysAreRefused) {
    Generator g(1);
    Mlp<float> model("2-2", g);
    CheckpointInfo info;
    info.extra["epoch"] = "7";
    EXPECT_THROW_MSG(save_checkpoint<float>(path("r.safetensors"), model, nullptr, info), ValueError,
                     "extra metadata key 'epoch' is reserved");
}

// ---- resuming ------------------------------------------------------------------------------------------

/// A complete training setup on a small synthetic classification set: model, AdamW, a cosine schedule
/// stepped per iteration, and a shuffling loader. Everything random comes from `seed`.
struct TrainingRun {
    data::Dataset<float> data;
    Generator gen;
    std::unique_ptr<Mlp<float>> model;
    std::unique_ptr<optim::AdamW<float>> opt;
    std::unique_ptr<optim::CosineAnnealingLR<float>> schedule;
    std::unique_ptr<data::DataLoader<float>> loader;
    std::int64_t step = 0;

    explicit TrainingRun(std::uint64_t seed) : gen(seed) {
        Generator data_gen(77);  // the data is the same for every run
        data.x = Tensor<float>::randn({100, 5}, data_gen).value();
        data.y = Array<float>::from_shape({100});
        for (std::size_t i = 0; i < 100; ++i) data.y(i) = data.x(i, 0) + data.x(i, 1) > 0 ? 1.0f : (data.x(i, 2) > 0 ? 2.0f : 0.0f);
        data.num_classes = 3;
        model = std::make_unique<Mlp<float>>("5-16-3:relu", gen);
        opt = std::make_unique<optim::AdamW<float>>(model->parameters(), optim::AdamWOptions(0.02));
        schedule = std::make_unique<optim::CosineAnnealingLR<float>>(*opt, 40);
        loader = std::make_unique<data::DataLoader<float>>(data, data::LoaderOptions{16}, Generator(gen.bits()));
    }

    void train(int steps) {
        for (int i = 0; i < steps; ++i, ++step) {
            if (!loader->next()) ASSERT_TRUE(loader->next());
            const auto& b = loader->batch();
            std::vector<std::size_t> y(b.y.begin(), b.y.end());
            opt->zero_grad();
            Tensor<float> loss = cross_entropy((*model)(Tensor<float>(b.x)), y) + l2_penalty(*model, 0.1, b.size());
            loss.backward();
            opt->step();
            schedule->step();
        }
    }

    void save(const std::string& path) const {
        CheckpointInfo info;
        info.step = step;
        info.epoch = static_cast<std::int64_t>(loader->epoch());
        info.batch = static_cast<std::int64_t>(loader->batch_index());
        info.loader_state = data::to_text(loader->state());
        info.generator_state = gen.state();
        save_checkpoint(path, *model, static_cast<const optim::Optimizer<float>*>(opt.get()), info);
    }

    void load(const std::string& path) {
        const CheckpointInfo info = load_checkpoint<float>(path, *model, opt.get());
        step = info.step;
        loader->set_state(data::loader_state_from_text(info.loader_state));
        gen.set_state(info.generator_state);
        schedule->set_epoch(step);
    }
};

class ResumeTest : public CheckpointTest, public ::testing::WithParamInterface<int> {};

TEST_P(ResumeTest, ContinuesBitIdenticallyToAnUninterruptedRun) {
    const int total = 20, k = GetParam();  // 7 batches per epoch: k = 7 is an epoch boundary, 3 and 9 are not
    TrainingRun straight(11);
    straight.train(total);

    {
        TrainingRun first(11);
        first.train(k);
        first.save(path("resume.safetensors"));
    }  // the interrupted run is gone: nothing but the file carries over
    TrainingRun resumed(999);  // different seed: every value that matters must come from the checkpoint
    ASSERT_FALSE(same_parameters(*straight.model, *resumed.model));
    resumed.load(path("resume.safetensors"));
    resumed.train(total - k);

    EXPECT_TRUE(same_parameters(*straight.model, *resumed.model));
    EXPECT_EQ(straight.opt->lr(0), resumed.opt->lr(0));
    const auto a = straight.opt->state(), b = resumed.opt->state();
    ASSERT_EQ(a.arrays.size(), b.arrays.size());
    for (std::size_t i = 0; i < a.arrays.size(); ++i) EXPECT_TRUE(same_bits(a.arrays[i].second, b.arrays[i].second));
    EXPECT_EQ(data::to_text(straight.loader->state()), data::to_text(resumed.loader->state()));
}

INSTANTIATE_TEST_SUITE_P(AtStep, ResumeTest, ::testing::Values(3, 7, 9));

}  // namespace
}  // namespace dg::nn
