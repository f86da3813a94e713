// The bad-input table: the public API walked with invalid arguments. Each case asserts the exception type and
// a message fragment (EXPECT_THROW_MSG), and then that the object involved still works (no half-applied change,
// no corrupted state). Nothing here may crash, hang or trip a sanitizer (`make sanitize` runs it too).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "nn/checkpoint.hpp"
#include "nn/data/csv.hpp"
#include "nn/data/dataset.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/loader.hpp"
#include "nn/nn.hpp"
#include "nn/optim/optim.hpp"
#include "nn/data/serialize.hpp"
#include "support/expect_throw.hpp"

namespace {

using namespace dg;
namespace fs = std::filesystem;
using T = float;
using Tn = Tensor<float>;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

/// A scratch folder of this test binary, removed at the end of each test.
struct Scratch {
    fs::path dir;
    Scratch() {
        dir = fs::temp_directory_path() /
              ("deltagrad-bad-input-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Scratch() { fs::remove_all(dir); }
    std::string file(const std::string& name) const { return (dir / name).string(); }
};

// ---- tensors and ops: empty tensors, zero-size dims, mismatched shapes, bad axes and indices ----------------

TEST(BadInput, MismatchedShapes) {
    const Tn a = Tn::ones({3, 4}, true), b = Tn::ones({5, 2}, true);
    EXPECT_THROW_MSG(matmul(a, b), ShapeError, "matmul", "[3, 4]", "[5, 2]", "do not align");
    EXPECT_THROW_MSG(add(a, Tn::ones({2, 3})), ShapeError, "add", "[3, 4]", "[2, 3]");
    EXPECT_THROW_MSG(mul(a, Tn::ones({5})), ShapeError, "mul");
    EXPECT_THROW_MSG(reshape(a, {5, 2}), ShapeError, "reshape", "[3, 4]");
    EXPECT_THROW_MSG(broadcast_to(a, {3, 5}), ShapeError, "broadcast_to");
    EXPECT_THROW_MSG(concat<T>({a, Tn::ones({2, 5})}, 0), ShapeError, "concat");
    EXPECT_THROW_MSG(transpose(Tn::ones({2, 2, 2})), ShapeError, "transpose", "2-d");
    EXPECT_THROW_MSG(linear(Tn::ones({2, 3}), Tn::ones({4, 5}), Tn::ones({4})), ShapeError, "linear");
    EXPECT_THROW_MSG(linear(Tn::ones({2, 5}), Tn::ones({4, 5}), Tn::ones({3})), ShapeError, "linear", "bias");
    // The operands are untouched and still usable.
    const Tn y = sum(matmul(a, Tn::ones({4, 2}, true)));
    EXPECT_EQ(y.item(), 24.0f);
    y.backward();
    EXPECT_EQ(a.grad().value()(0, 0), 2.0f);
}

TEST(BadInput, EmptyTensorsAndZeroSizeDims) {
    const Tn empty = Tn::zeros({0});
    EXPECT_THROW_MSG(max(empty), ValueError, "max", "empty");
    EXPECT_THROW_MSG(min(empty), ValueError, "min", "empty");
    EXPECT_THROW_MSG(mean(empty), ValueError, "mean", "empty");
    EXPECT_THROW_MSG(empty.item(), ValueError, "item", "one element");
    EXPECT_THROW_MSG(max(Tn::zeros({3, 0}), 1), ValueError, "max", "size 0");
    EXPECT_THROW_MSG(mean(Tn::zeros({0, 3}), 0), ValueError, "mean", "size 0");
    EXPECT_THROW_MSG(concat<T>({}, 0), ValueError, "concat", "no tensors");
    // What is defined on empty tensors works: a sum of nothing is 0, a [0,3]·[3,2] product is [0,2].
    EXPECT_EQ(sum(empty).item(), 0.0f);
    EXPECT_EQ(matmul(Tn::zeros({0, 3}), Tn::ones({3, 2})).shape(), (Shape{0, 2}));
    EXPECT_EQ(relu(Tn::zeros({2, 0})).shape(), (Shape{2, 0}));
}

TEST(BadInput, AxesAndIndicesOutOfRange) {
    const Tn x({{1, 2, 3}, {4, 5, 6}}, true);
    EXPECT_THROW_MSG(sum(x, 2), ValueError, "sum", "axis 2", "out of range");
    EXPECT_THROW_MSG(sum(x, -3), ValueError, "sum", "axis -3");
    EXPECT_THROW_MSG(softmax(x, 5), ValueError, "softmax", "axis 5");
    EXPECT_THROW_MSG(narrow(x, 1, 2, 2), ShapeError, "narrow", "[2, 4)");
    EXPECT_THROW_MSG(index_select(x, {0, 2}), ValueError, "index_select", "index 2");
    EXPECT_THROW_MSG(gather_rows(x, {0, 3}), ValueError, "gather_rows", "index 3");
    EXPECT_THROW_MSG(gather_rows(x, {0}), ShapeError, "gather_rows");
    EXPECT_THROW_MSG(x.at(6), ValueError, "at", "index 6");
    EXPECT_THROW_MSG(Tn::arange(0, 1, 0), ValueError, "arange", "step");
    EXPECT_THROW_MSG(clamp(x, 2.0f, 1.0f), ValueError, "clamp", "must not exceed");
    EXPECT_EQ(sum(x, -1).value()(1), 15.0f);
}

TEST(BadInput, GraphMisuse) {
    Tn w = Tn::ones({2, 2}, true);
    const Tn y = sum(w * w);
    y.backward();
    EXPECT_THROW_MSG(y.backward(), GraphError, "backward", "retain_graph");
    EXPECT_THROW_MSG((w * 2.0f).backward(), GraphError, "backward", "non-scalar");
    EXPECT_THROW_MSG(Tn::ones({2}).grad(), GraphError, "grad", "does not require grad");
    EXPECT_THROW_MSG(Tn().value(), GraphError, "undefined tensor");
    EXPECT_THROW_MSG(w.mutable_value(), GraphError, "in-place", "NoGradGuard");
    EXPECT_THROW_MSG((w * 2.0f).backward(Tn::ones({3})), ShapeError, "backward", "gradient shape");
    // A value changed in place after it was saved for backward.
    Tn a = Tn::ones({2}, true);
    Tn b = Tn::ones({2});
    const Tn z = sum(a * b);
    b.mutable_value()(0) = 3;
    EXPECT_THROW_MSG(z.backward(), GraphError, "backward");
    // w still works: a fresh graph backwards and accumulates onto the first gradient (2 + 2).
    sum(w * w).backward();
    EXPECT_EQ(w.grad().value()(0, 0), 4.0f);
}

// ---- layers and losses ----------------------------------------------------------------------------------------

TEST(BadInput, LayerSizesZeroAndNegative) {
    Generator gen(1);
    EXPECT_THROW_MSG(nn::Linear<T>(0, 3, gen), ValueError, "Linear", "positive");
    EXPECT_THROW_MSG(nn::Linear<T>(3, 0, gen), ValueError, "Linear", "positive");
    EXPECT_THROW_MSG(nn::Embedding<T>(0, 4, gen), ValueError, "Embedding", "positive");
    // A negative size, passed through size_t, arrives as a huge number: refused, not allocated.
    const int negative = -3;
    EXPECT_THROW_MSG(nn::Linear<T>(static_cast<std::size_t>(negative), 3, gen), ValueError, "Linear", "too large");
    EXPECT_THROW_MSG(nn::Embedding<T>(4, static_cast<std::size_t>(negative), gen), ValueError, "Embedding", "too large");
    // Sizes whose product wraps around size_t to a small number (2^63 × 2 = 0) are refused too.
    EXPECT_THROW_MSG(nn::Linear<T>(std::size_t(1) << 63, 2, gen), ValueError, "Linear", "too large");
    EXPECT_THROW_MSG(nn::Dropout<T>(kNaN, gen), ValueError, "Dropout");
    EXPECT_THROW_MSG(nn::Dropout<T>(1.5, gen), ValueError, "Dropout");
    EXPECT_THROW_MSG(nn::Dropout<T>(-0.1, gen), ValueError, "Dropout");
}

TEST(BadInput, LinearWrongInputKeepsWorking) {
    Generator gen(2);
    nn::Linear<T> fc(3, 2, gen);
    const Array<T> w = fc.weight().value();
    EXPECT_THROW_MSG(fc(Tn::ones({4, 5})), ShapeError, "input has shape [4, 5]", "expected [*, 3]");
    EXPECT_THROW_MSG(fc(Tn::scalar(1)), ShapeError, "input");
    EXPECT_EQ(fc.weight().value(), w);
    EXPECT_EQ(fc(Tn::ones({4, 3})).shape(), (Shape{4, 2}));
    EXPECT_EQ(fc(Tn::zeros({0, 3})).shape(), (Shape{0, 2}));
}

TEST(BadInput, EmbeddingIndicesOutOfRange) {
    Generator gen(3);
    nn::Embedding<T> emb(5, 2, gen);
    EXPECT_THROW_MSG(emb.forward(std::vector<std::size_t>{1, 5}), ValueError, "index 5", "out of range");
    EXPECT_THROW_MSG(emb(Tn({1.0f, -1.0f})), ValueError, "index -1", "non-negative integer");
    EXPECT_THROW_MSG(emb(Tn({1.0f, 2.5f})), ValueError, "2.5");
    EXPECT_THROW_MSG(emb(Tn({static_cast<T>(kNaN)})), ValueError, "Embedding");
    const Tn out = emb.forward(std::vector<std::size_t>{4, 0});
    EXPECT_EQ(out.shape(), (Shape{2, 2}));
    EXPECT_EQ(out.value()(0, 1), emb.weight().value()(4, 1));
}

TEST(BadInput, LossesOnBadTargets) {
    const Tn logits({{1, 2, 3}, {0, 0, 0}}, true);
    EXPECT_THROW_MSG(nn::cross_entropy(logits, std::vector<std::size_t>{0, 3}), ValueError, "cross_entropy",
                     "class index 3");
    EXPECT_THROW_MSG(nn::cross_entropy(logits, std::vector<std::size_t>{0}), ShapeError, "cross_entropy");
    EXPECT_THROW_MSG(nn::cross_entropy(Tn::zeros({0, 3}), std::vector<std::size_t>{}), ValueError, "empty");
    EXPECT_THROW_MSG(nn::cross_entropy(logits, Tn({0.0f, 1.5f})), ValueError, "cross_entropy");
    EXPECT_THROW_MSG(nn::cross_entropy(logits, Tn({0.0f, -1.0f})), ValueError, "cross_entropy");
    EXPECT_THROW_MSG(softmax_cross_entropy(logits, {7, 0}), ValueError, "softmax_cross_entropy", "target 7");
    EXPECT_THROW_MSG(nn::nll(logits, std::vector<std::size_t>{2, 9}), ValueError, "nll", "class index 9");
    EXPECT_THROW_MSG(nn::mse(logits, Tn::ones({3, 2})), ShapeError, "mse", "[2, 3]", "[3, 2]");
    EXPECT_THROW_MSG(nn::bce(Tn({0.5f, 0.5f}), Tn({1.0f})), ShapeError, "bce");
    EXPECT_THROW_MSG(nn::huber(logits, logits, -1.0), ValueError, "huber");
    EXPECT_THROW_MSG(nn::huber(logits, logits, kNaN), ValueError, "huber");
    EXPECT_THROW_MSG(nn::l2_penalty<T>({logits}, 0.1, 0), ValueError, "l2_penalty", "m must be positive");
    // The logits still work.
    nn::cross_entropy(logits, std::vector<std::size_t>{2, 0}).backward();
    EXPECT_TRUE(std::isfinite(logits.grad().value()(0, 0)));
}

// ---- optimizers: NaN and out-of-range hyperparameters ------------------------------------------------------

TEST(BadInput, OptimizerHyperparameters) {
    const Tn p = Tn::ones({2}, true);
    EXPECT_THROW_MSG(optim::SGD<T>({p}, optim::SGDOptions(kNaN)), ValueError, "SGD", "lr");
    EXPECT_THROW_MSG(optim::SGD<T>({p}, optim::SGDOptions(-0.1)), ValueError, "SGD", "lr");
    EXPECT_THROW_MSG(optim::SGD<T>({p}, optim::SGDOptions(kInf)), ValueError, "SGD", "lr");
    EXPECT_THROW_MSG(optim::SGD<T>({p}, optim::SGDOptions(0.1).momentum(1.0)), ValueError, "SGD", "momentum");
    EXPECT_THROW_MSG(optim::Adam<T>({p}, optim::AdamOptions(kNaN)), ValueError, "Adam", "lr");
    EXPECT_THROW_MSG(optim::Adam<T>({p}, optim::AdamOptions(1e-3).betas(0.9, 1.0)), ValueError, "Adam", "beta2");
    EXPECT_THROW_MSG(optim::Adam<T>({p}, optim::AdamOptions(1e-3).eps(kNaN)), ValueError, "Adam", "eps");
    EXPECT_THROW_MSG(optim::AdamW<T>({p}, optim::AdamWOptions(1e-3).weight_decay(-1)), ValueError, "AdamW",
                     "weight_decay");
    EXPECT_THROW_MSG(optim::SGD<T>({}, optim::SGDOptions(0.1)), ValueError, "SGD", "empty");
    EXPECT_THROW_MSG(optim::SGD<T>({Tn::ones({2})}, optim::SGDOptions(0.1)), ValueError, "does not require grad");
    EXPECT_THROW_MSG(optim::SGD<T>({p, p}, optim::SGDOptions(0.1)), ValueError, "more than once");
    EXPECT_THROW_MSG(optim::clip_grad_norm<T>({p}, kNaN), ValueError, "max_norm");
    EXPECT_THROW_MSG(optim::clip_grad_value<T>({p}, -1.0), ValueError, "clip");
    // A valid optimizer on the same parameter still steps.
    optim::SGD<T> sgd({p}, optim::SGDOptions(0.5));
    sum(p * p).backward();
    sgd.step();
    EXPECT_EQ(p.value()(0), 0.0f);
}

TEST(BadInput, LearningRateSchedules) {
    const Tn p = Tn::ones({1}, true);
    optim::SGD<T> sgd({p}, optim::SGDOptions(0.1));
    EXPECT_THROW_MSG(optim::StepLR<T>(sgd, 0), ValueError, "StepLR", "step_size");
    EXPECT_THROW_MSG(optim::ExponentialLR<T>(sgd, kNaN), ValueError, "ExponentialLR", "gamma");
    EXPECT_THROW_MSG(optim::CosineAnnealingLR<T>(sgd, 0), ValueError, "CosineAnnealingLR", "T_max 0");
    optim::StepLR<T> ok(sgd, 1, 0.5);
    ok.step();
    EXPECT_DOUBLE_EQ(sgd.lr(0), 0.05);
}

// ---- MLP specs -------------------------------------------------------------------------------------------------

TEST(BadInput, MlpSpecs) {
    EXPECT_THROW_MSG(nn::parse_mlp_spec("784-0-10"), ValueError, "\"784-0-10\"", "positive");
    EXPECT_THROW_MSG(nn::parse_mlp_spec(""), ValueError, "MLP spec");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("784"), ValueError, "\"784\"");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("784--10"), ValueError, "\"784--10\"");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("784-x-10"), ValueError, "\"784-x-10\"");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("-784-10"), ValueError, "\"-784-10\"");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-99999999999999999999999-2"), ValueError, "4-99999999999999999999999-2");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-8-2:nope"), ValueError, "nope");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-8-2:softmax"), ValueError, "softmax");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-8-2:relu@3"), ValueError, "@3");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-8-2:relu@0"), ValueError, "@0");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-8-2:relu:tanh"), ValueError, "4-8-2:relu:tanh");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-8-2:sigmoid(0.5)"), ValueError, "sigmoid");
    EXPECT_THROW_MSG(nn::parse_mlp_spec("4-8-2:leaky_relu(nan)"), ValueError, "leaky_relu");
    Generator gen(4);
    EXPECT_THROW_MSG(nn::Mlp<T>("3-0-1", gen), ValueError, "3-0-1");
    // A good spec still parses and builds.
    nn::Mlp<T> mlp("3-4-2:tanh", gen);
    EXPECT_THROW_MSG(mlp(Tn::ones({5, 4})), ShapeError, "[5, 4]", "3");
    EXPECT_EQ(mlp(Tn::ones({5, 3})).shape(), (Shape{5, 2}));
}

// ---- files: checkpoints with the wrong dtype, safetensors, IDX, CSV -------------------------------------------

TEST(BadInput, CheckpointWithWrongDtypeLeavesTheModelUnchanged) {
    Scratch s;
    Generator gen(5);
    nn::Mlp<double> saved("3-4-2", gen);
    nn::save_checkpoint<double>(s.file("f64.safetensors"), saved, nullptr);
    nn::Mlp<float> model("3-4-2", gen);
    const Array<T> before = model.layers()[0].weight().value();
    EXPECT_THROW_MSG(nn::load_checkpoint<T>(s.file("f64.safetensors"), model, nullptr), IoError, "fc1.weight",
                     "F64", "F32");
    EXPECT_EQ(model.layers()[0].weight().value(), before);
    EXPECT_EQ(model(Tn::ones({1, 3})).shape(), (Shape{1, 2}));
    // Wrong shapes too: a 3-5-2 file into a 3-4-2 model.
    nn::Mlp<float> other("3-5-2", gen);
    nn::save_checkpoint<T>(s.file("shape.safetensors"), other, nullptr);
    EXPECT_THROW_MSG(nn::load_checkpoint<T>(s.file("shape.safetensors"), model, nullptr), IoError, "fc1.weight");
    EXPECT_EQ(model.layers()[0].weight().value(), before);
}

TEST(BadInput, CheckpointWithAnOverflowingShapeIsRefusedBeforeAnyArray) {
    // load_checkpoint reads through load_safetensors, which checks every shape (shape_overflow) before it
    // makes an array: a 0-element tensor whose strides would overflow std::ptrdiff_t is an IoError.
    Scratch s;
    Generator gen(5);
    nn::Mlp<T> model("3-4-2", gen);
    const Array<T> before = model.layers()[0].weight().value();
    const std::string header =
        R"({"fc1.weight": {"dtype": "F32", "shape": [0, 4294967296, 4294967296], "data_offsets": [0, 0]}})";
    const std::uint64_t length = header.size();
    std::ofstream(s.file("huge.safetensors"), std::ios::binary)
        << std::string(reinterpret_cast<const char*>(&length), 8) << header;  // little-endian host (serialize.cpp)
    EXPECT_THROW_MSG(nn::load_checkpoint<T>(s.file("huge.safetensors"), model, nullptr), IoError,
                     "huge.safetensors", "tensor 'fc1.weight': shape [0, 4294967296, 4294967296] of F32",
                     "the stride of dimension 0 (the product of dimensions 1 to 2) overflows", "dimension 0 is 0");
    EXPECT_THROW_MSG(nn::read_checkpoint_info(s.file("huge.safetensors")), IoError, "the stride of dimension 0");
    EXPECT_EQ(model.layers()[0].weight().value(), before);
}

TEST(BadInput, SafetensorsWrongDtypeAndNames) {
    Scratch s;
    save_safetensors(s.file("w.safetensors"), {{"w", Array<double>({1.0, 2.0})}});
    const SafetensorsFile f = load_safetensors(s.file("w.safetensors"));
    EXPECT_THROW_MSG(f.get<float>("w"), IoError, "'w'", "F64", "F32");
    EXPECT_THROW_MSG(f.get<double>("v"), IoError, "no tensor 'v'");
    EXPECT_THROW_MSG(check_tensors(f, {{"w", DType::F32, {2}}}), IoError, "w", "F64");
    EXPECT_THROW_MSG(check_tensors(f, {{"w", DType::F64, {3}}}), IoError, "w");
    EXPECT_EQ(f.get<double>("w")(1), 2.0);
    EXPECT_THROW_MSG(save_safetensors(s.file("x.safetensors"), {{"", Array<float>({1.0f})}}), ValueError, "empty");
    EXPECT_THROW_MSG(save_safetensors(s.file("x.safetensors"), {{"a", Array<float>({1.0f})}, {"a", Array<float>({2.0f})}}),
                     ValueError, "duplicate");
    EXPECT_THROW_MSG(load_safetensors(s.file("missing.safetensors")), IoError, "missing.safetensors");
    EXPECT_FALSE(fs::exists(s.file("x.safetensors")));
}

TEST(BadInput, IdxAndCsvFiles) {
    Scratch s;
    EXPECT_THROW_MSG(data::read_idx<T>(s.file("none.idx")), IoError, "none.idx", "cannot open");
    EXPECT_THROW_MSG(data::write_idx<T>(s.file("a.idx"), Array<T>({1.5f}), data::IdxType::UByte), ValueError);
    EXPECT_THROW_MSG(data::write_idx<T>(s.file("a.idx"), Array<T>({300.0f}), data::IdxType::UByte), ValueError);
    EXPECT_THROW_MSG(data::write_idx<T>(s.file("a.idx"), Array<T>({-1.0f}), data::IdxType::UByte), ValueError);
    EXPECT_FALSE(fs::exists(s.file("a.idx")));
    EXPECT_THROW_MSG(data::read_idx_labels(s.file("none.idx")), IoError, "cannot open");
    // Doubles (1e300, -1, 2.5) read as uint8: refused rather than cast (a float → integer cast out of range is UB).
    for (double v : {1e300, -1.0, 2.5, kNaN}) {
        data::write_idx<double>(s.file("d.idx"), Array<double>({0.0, v}), data::IdxType::Double);
        EXPECT_THROW_MSG(data::read_idx<std::uint8_t>(s.file("d.idx")), IoError, "d.idx", "element 1", "does not fit");
    }
    data::write_idx<double>(s.file("d.idx"), Array<double>({0.0, 255.0}), data::IdxType::Double);
    EXPECT_EQ(data::read_idx<std::uint8_t>(s.file("d.idx"))(1), 255);
    EXPECT_EQ(data::read_idx<T>(s.file("d.idx"))(1), 255.0f);
    EXPECT_THROW_MSG(data::read_csv<T>(s.file("none.csv")), IoError, "none.csv");
    std::istringstream ragged("1,2\n3\n");
    EXPECT_THROW_MSG(data::parse_csv<T>(ragged, {}, "ragged"), IoError, "ragged", "line 2");
    std::istringstream text("1,x\n");
    EXPECT_THROW_MSG(data::parse_csv<T>(text, {}, "text"), IoError, "text", "line 1");
    data::CsvOptions label;
    label.label_column = 5;
    std::istringstream narrow_table("1,2\n");
    EXPECT_THROW_MSG(data::parse_csv<T>(narrow_table, label, "narrow"), IoError, "narrow");
}

TEST(BadInput, DatasetsAndLoaders) {
    data::Dataset<T> d;
    d.x = Array<T>({{1, 2}, {3, 4}, {5, 6}});
    d.y = Array<T>({0, 1});
    d.num_classes = 2;
    EXPECT_THROW_MSG(d.validate(), ShapeError);
    d.y = Array<T>({0, 1, 2});
    EXPECT_THROW_MSG(d.validate(), ValueError, "2");
    d.y = Array<T>({0, 1, 1});
    d.validate();
    EXPECT_THROW_MSG(data::DataLoader<T>(d, {0}, Generator(1)), ValueError, "batch_size");
    data::Dataset<T> empty;
    empty.x = Array<T>::from_shape({0, 2});
    empty.y = Array<T>::from_shape({0});
    EXPECT_THROW_MSG(data::DataLoader<T>(empty, {1}, Generator(1)), ValueError, "empty");
    Generator gen(6);
    EXPECT_THROW_MSG(data::train_validation_split(d, 1.5, gen), ValueError, "validation_fraction");
    EXPECT_THROW_MSG(data::train_validation_split(d, kNaN, gen), ValueError, "validation_fraction");
    data::DataLoader<T> loader(d, {2}, Generator(1));
    std::size_t rows = 0;
    while (loader.next()) rows += loader.batch().x.shape()[0];
    EXPECT_EQ(rows, 3u);
}

}  // namespace
