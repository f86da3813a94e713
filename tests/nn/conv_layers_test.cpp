// The convolutional layers: Conv2d, MaxPool2d, AvgPool2d, BatchNorm1d/2d, LayerNorm, Flatten — values against hand
// computations, PyTorch's default initialization, gradients, buffers in checkpoints, clone, Sequential, and errors
// that name the module and the shape it expected.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "autograd/ops.hpp"
#include "nn/checkpoint.hpp"
#include "nn/nn.hpp"
#include "support/allclose.hpp"
#include "support/make_tensor.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn {
namespace {

using test::all_close;
using test::set_values;


// ---- Conv2d -----------------------------------------------------------------------------------------------

TEST(Conv2dLayer, ForwardIsTheCrossCorrelationPlusBias) {
    Generator gen(0);
    Conv2d<double> conv(1, 2, 2, gen, {Conv2dOptions{1, 1}});  // 2×2 kernel, padding 1
    set_values(conv.weight(), {1, 0, 0, 1,     // out 0: x[i, j] + x[i+1, j+1]
                        0, 1, 0, 0});   // out 1: x[i, j+1]
    set_values(conv.bias(), {0.5, -1});
    const Tensor<double> x = reshape(Tensor<double>({1.0, 2.0, 3.0, 4.0}), {1, 1, 2, 2});
    // Padded plane rows: [0 0 0 0], [0 1 2 0], [0 3 4 0], [0 0 0 0]; the output is 3×3.
    EXPECT_TRUE(all_close(conv(x), {1, 2, 3, 3},
                          {1.5, 2.5, 0.5, 3.5, 5.5, 2.5, 0.5, 3.5, 4.5,   // out 0: + 0.5
                           -1, -1, -1, 0, 1, -1, 2, 3, -1}));              // out 1: − 1
    EXPECT_EQ(conv.output_shape({7, 1, 5, 4}), (Shape{7, 2, 6, 5}));
    EXPECT_EQ(conv.describe(), "Conv2d 1→2 k2 p1");
}

TEST(Conv2dLayer, DefaultInitIsPyTorchs) {
    Generator gen(3);
    Conv2d<double> conv(16, 32, 3, gen);
    const double bound = 1.0 / std::sqrt(16.0 * 9.0);  // fan_in = C_in·kH·kW
    EXPECT_EQ(conv.weight().shape(), (Shape{32, 16, 3, 3}));
    double sq = 0, top = 0;
    for (double w : conv.weight().value()) {
        sq += w * w;
        top = std::max(top, std::abs(w));
    }
    EXPECT_LE(top, bound);
    EXPECT_GT(top, 0.99 * bound);
    // U(−a, a) has variance a²/3: 4608 draws put the sample within a few percent.
    EXPECT_NEAR(sq / 4608.0, bound * bound / 3, 0.05 * bound * bound / 3);
    for (double b : conv.bias().value()) EXPECT_LE(std::abs(b), bound);
    EXPECT_GT(xt::amax(xt::abs(conv.bias().value()))(), 0.5 * bound);
    // Groups: fan_in counts the channels of one group.
    Generator gen2(3);
    Conv2d<double> grouped(16, 32, 3, gen2, {Conv2dOptions{1, 0, 1, 4}});
    EXPECT_EQ(grouped.weight().shape(), (Shape{32, 4, 3, 3}));
    EXPECT_LE(xt::amax(xt::abs(grouped.weight().value()))(), 1.0 / 6.0);
    EXPECT_GT(xt::amax(xt::abs(grouped.weight().value()))(), 0.99 / 6.0);
    // The same seed, the same weights.
    Generator again(3);
    Conv2d<double> twin(16, 32, 3, again);
    EXPECT_TRUE(all_close(twin.weight(), conv.weight(), 0, 0));
}

TEST(Conv2dLayer, GradientsOfWeightBiasAndInput) {
    Generator gen(1);
    Conv2d<double> conv(2, 3, Size2(3, 2), gen, {Conv2dOptions{{2, 1}, {1, 0}, {1, 2}}});
    const Tensor<double> x = test::randn({2, 2, 5, 6}, 4);
    EXPECT_GRADCHECK([&](const std::vector<Tensor<double>>& in) { return conv(in[0]); }, x, conv.weight(), conv.bias());
}

TEST(Conv2dLayer, BadInputNamesTheLayerAndTheExpectedShape) {
    Generator gen(0);
    Sequential<float> model;
    model.push_back("conv1", std::make_shared<Conv2d<float>>(1, 16, 3, gen));
    model.push_back("conv2", std::make_shared<Conv2d<float>>(32, 64, 3, gen));
    auto conv2 = model.child<Conv2d<float>>("conv2");
    EXPECT_THROW_MSG((*conv2)(Tensor<float>::zeros({64, 16, 14, 14})), ShapeError,
                     "conv2 (Conv2d 32→64 k3): expected [N, 32, H, W], got [64, 16, 14, 14]");
    EXPECT_THROW_MSG((*conv2)(Tensor<float>::zeros({32, 14, 14})), ShapeError, "expected [N, 32, H, W], got [32, 14, 14]");
    // Through the Sequential: the error names the path of the layer that failed.
    EXPECT_THROW_MSG(model(Tensor<float>::zeros({2, 1, 8, 8})), ShapeError, "conv2 (Conv2d 32→64 k3): expected [N, 32");
    // A kernel larger than the padded input.
    Conv2d<float> big(1, 1, 5, gen, {Conv2dOptions{1, 1}});
    EXPECT_THROW_MSG(big(Tensor<float>::zeros({1, 1, 2, 6})), ShapeError, "the window spans 5×5",
                     "padded by 1 is 4×8", "expected H ≥ 3 and W ≥ 3");
    EXPECT_THROW_MSG(Conv2d<float>(1, 1, 3, gen, {Conv2dOptions{0}}), ValueError, "stride", "at least 1");
    EXPECT_THROW_MSG(Conv2d<float>(6, 4, 3, gen, {Conv2dOptions{1, 0, 1, 4}}), ValueError, "groups 4 must divide");
    EXPECT_THROW_MSG(Conv2d<float>(0, 4, 3, gen), ValueError, "must be positive");
    EXPECT_THROW_MSG(Conv2d<float>(static_cast<std::size_t>(-1), 4, 3, gen), ValueError, "too large");
}

// ---- pooling ----------------------------------------------------------------------------------------------

TEST(PoolLayers, MaxAndAverageOfEachWindow) {
    const Tensor<double> x = reshape(Tensor<double>({1.0, 5.0, 2.0, 0.0, -1.0, 3.0, 4.0, 8.0, 7.0, 6.0, -2.0, 9.0,
                                                     0.0, 1.0, 2.0, 3.0}),
                                     {1, 1, 4, 4});
    MaxPool2d<double> max2(2);
    AvgPool2d<double> avg2(2);
    EXPECT_TRUE(all_close(max2(x), {1, 1, 2, 2}, {5, 8, 7, 9}));
    EXPECT_TRUE(all_close(avg2(x), {1, 1, 2, 2}, {2, 3.5, 3.5, 3}));
    // Kernel 3, stride 1, padding 1: max over each 3×3 neighbourhood (padding never wins).
    MaxPool2d<double> max3({3, 1, 1});
    EXPECT_EQ(max3.output_shape({2, 3, 4, 4}), (Shape{2, 3, 4, 4}));
    EXPECT_EQ(max3.describe(), "MaxPool2d 3 s1 p1");
    EXPECT_DOUBLE_EQ(max3(x).value()(0, 0, 0, 0), 5.0);
    AvgPool2d<double> avg3({3, 1, 1});
    EXPECT_DOUBLE_EQ(avg3(x).value()(0, 0, 0, 0), (1 + 5 - 1 + 3) / 9.0);  // zeros count in the mean
    const Tensor<double> r = test::randn({2, 2, 5, 5}, 9);
    EXPECT_GRADCHECK([&](const std::vector<Tensor<double>>& in) { return avg3(in[0]); }, r);
}

TEST(PoolLayers, BadInputNamesTheLayer) {
    Sequential<float> model;
    model.push_back("pool1", std::make_shared<MaxPool2d<float>>(2));
    model.push_back("pool2", std::make_shared<AvgPool2d<float>>(4));
    EXPECT_THROW_MSG(model(Tensor<float>::zeros({2, 3, 6, 6})), ShapeError, "pool2 (AvgPool2d 4): the window spans 4×4",
                     "[2, 3, 3, 3]");
    EXPECT_THROW_MSG(model(Tensor<float>::zeros({3, 6, 6})), ShapeError, "pool1 (MaxPool2d 2): expected [N, C, H, W], got [3, 6, 6]");
    EXPECT_THROW_MSG(MaxPool2d<float>(0), ValueError, "at least 1×1");
    EXPECT_THROW_MSG(AvgPool2d<float>(PoolOptions{3, 1, 2}), ValueError, "padding 2 is more than half the kernel");
}

// ---- batch norm ---------------------------------------------------------------------------------------------

TEST(BatchNormLayer, TrainingStandardizesPerChannelAndUpdatesTheRunningStatistics) {
    BatchNorm2d<double> bn(2);
    set_values(bn.weight(), {2, 1});
    set_values(bn.bias(), {0, 10});
    // Channel 0 holds 1..8, channel 1 holds 0 everywhere but one 8 (over N = 2 images of 2×2).
    const Tensor<double> x = reshape(Tensor<double>({1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0,   //
                                                     5.0, 6.0, 7.0, 8.0, 0.0, 0.0, 0.0, 8.0}),
                                     {2, 2, 2, 2});
    const Tensor<double> y = bn(x);
    // Channel 0: mean 4.5, biased variance 5.25; y = 2·(x − 4.5)/√(5.25 + 1e-5).
    const double s0 = 2 / std::sqrt(5.25 + 1e-5);
    EXPECT_NEAR(y.value()(0, 0, 0, 0), (1 - 4.5) * s0, 1e-12);
    EXPECT_NEAR(y.value()(1, 0, 1, 1), (8 - 4.5) * s0, 1e-12);
    // Channel 1: mean 1, biased variance 7; y = (x − 1)/√7 + 10.
    EXPECT_NEAR(y.value()(1, 1, 1, 1), 7 / std::sqrt(7 + 1e-5) + 10, 1e-12);
    // Running statistics: 0.9·0 + 0.1·mean, 0.9·1 + 0.1·unbiased variance (5.25·8/7 = 6, 7·8/7 = 8).
    EXPECT_TRUE(all_close(bn.running_mean(), {2}, {0.45, 0.1}));
    EXPECT_TRUE(all_close(bn.running_var(), {2}, {0.9 + 0.6, 0.9 + 0.8}));
    EXPECT_DOUBLE_EQ(bn.num_batches_tracked().item(), 1.0);
    bn(x);
    EXPECT_DOUBLE_EQ(bn.num_batches_tracked().item(), 2.0);
    EXPECT_NEAR(bn.running_mean().value()(0), 0.9 * 0.45 + 0.45, 1e-12);
}

TEST(BatchNormLayer, EvalUsesTheRunningStatistics) {
    BatchNorm1d<double> bn(3);
    set_values(bn.running_mean(), {1, 2, 3});
    set_values(bn.running_var(), {4, 1, 0.25});
    bn.eval();
    const Tensor<double> x({{1.0, 0.0, 3.5}});  // one sample is fine in evaluation
    EXPECT_TRUE(all_close(bn(x), {1, 3},
                          {0.0, -2 / std::sqrt(1 + 1e-5), 0.5 / std::sqrt(0.25 + 1e-5)}, 1e-12));
    EXPECT_DOUBLE_EQ(bn.num_batches_tracked().item(), 0.0);  // evaluation counts no batch
    EXPECT_TRUE(all_close(bn.running_mean(), {3}, {1, 2, 3}));
    bn.train();
    EXPECT_THROW_MSG(bn(x), ValueError, "more than 1 value per channel");
}

TEST(BatchNormLayer, GradientsInTraining) {
    BatchNorm2d<double> bn(3);
    set_values(bn.weight(), {1.5, -0.5, 2});
    set_values(bn.bias(), {0.1, 0.2, -0.3});
    const Tensor<double> x = test::randn({4, 3, 2, 3}, 11);
    EXPECT_GRADCHECK([&](const std::vector<Tensor<double>>& in) { return bn(in[0]) * bn(in[0]); }, x, bn.weight(),
                     bn.bias());
    BatchNorm1d<double> bn1(4);
    const Tensor<double> x1 = test::randn({5, 4, 3}, 12);
    EXPECT_GRADCHECK([&](const std::vector<Tensor<double>>& in) { return tanh(bn1(in[0])); }, x1, bn1.weight());
}

TEST(BatchNormLayer, BuffersAreInTheStateDictAndRoundTripThroughACheckpoint) {
    auto make = [] {
        Generator gen(5);
        return std::make_shared<Sequential<float>>(std::make_shared<Conv2d<float>>(1, 2, 3, gen),
                                                   std::make_shared<BatchNorm2d<float>>(2));
    };
    auto model = make();
    std::vector<std::string> names;
    for (const auto& [name, t] : model->state_dict()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                               "1.running_var", "1.num_batches_tracked"}));
    EXPECT_EQ(model->parameters().size(), 4u);  // buffers are not trained
    Generator data(6);
    (*model)(Tensor<float>::randn({4, 1, 5, 5}, data));
    (*model)(Tensor<float>::randn({4, 1, 5, 5}, data));
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("dg_conv_layers_" + std::to_string(::getpid()) + ".safetensors")).string();
    save_checkpoint(path, *model, nullptr);
    auto loaded = make();
    load_checkpoint(path, *loaded, nullptr);
    std::filesystem::remove(path);
    for (const char* name : {"1.running_mean", "1.running_var", "1.num_batches_tracked"}) {
        SCOPED_TRACE(name);
        EXPECT_TRUE(all_close(loaded->buffer(name), model->buffer(name), 0, 0));
    }
    EXPECT_FLOAT_EQ(loaded->buffer("1.num_batches_tracked").item(), 2.0f);
    EXPECT_GT(std::abs(loaded->buffer("1.running_mean").value()(0)), 0.0f);
    // The loaded model evaluates exactly as the saved one.
    model->eval();
    loaded->eval();
    const Tensor<float> x = Tensor<float>::randn({2, 1, 5, 5}, data);
    EXPECT_TRUE(all_close((*loaded)(x), (*model)(x), 0, 0));
}

TEST(BatchNormLayer, BadInputNamesTheLayer) {
    Sequential<float> model;
    model.push_back("bn1", std::make_shared<BatchNorm2d<float>>(32));
    EXPECT_THROW_MSG(model(Tensor<float>::zeros({64, 16, 14, 14})), ShapeError,
                     "bn1 (BatchNorm2d 32): expected [N, 32, H, W], got [64, 16, 14, 14]");
    BatchNorm1d<float> bn(8);
    EXPECT_THROW_MSG(bn(Tensor<float>::zeros({4, 8, 2, 2})), ShapeError, "expected [N, 8] or [N, 8, L], got [4, 8, 2, 2]");
    EXPECT_THROW_MSG(BatchNorm2d<float>(0), ValueError, "num_features");
    EXPECT_THROW_MSG(BatchNorm2d<float>(4, {-1.0}), ValueError, "eps");
}

// ---- layer norm, flatten ------------------------------------------------------------------------------------------

TEST(LayerNormLayer, StandardizesEachSampleOverTheTrailingDims) {
    LayerNorm<double> ln({2, 2});
    set_values(ln.weight(), {1, 2, 1, 1});
    set_values(ln.bias(), {0, 0, 0, 1});
    const Tensor<double> x = reshape(Tensor<double>({1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 4.0}), {2, 2, 2});
    const double s = 1 / std::sqrt(1.25 + 1e-5), t = 1 / std::sqrt(3 + 1e-5);  // variances 1.25 and 3
    EXPECT_TRUE(all_close(ln(x), {2, 2, 2}, {-1.5 * s, -0.5 * s * 2, 0.5 * s, 1.5 * s + 1, -t, -t * 2, -t, 3 * t + 1},
                          1e-12));
    const Tensor<double> r = test::randn({3, 2, 2}, 2);
    EXPECT_GRADCHECK([&](const std::vector<Tensor<double>>& in) { return ln(in[0]) * in[0]; }, r, ln.weight(), ln.bias());
    EXPECT_THROW_MSG(ln(Tensor<double>::zeros({3, 2, 3})), ShapeError, "expected [*, ...] ending in [2, 2]", "got [3, 2, 3]");
    EXPECT_THROW_MSG(LayerNorm<double>(Shape{}), ValueError, "normalized_shape");
}

TEST(FlattenLayer, MergesTheDimsAfterTheBatch) {
    Flatten<double> flat;
    const Tensor<double> x = test::randn({2, 3, 4, 5}, 1);
    const Tensor<double> y = flat(x);
    EXPECT_EQ(y.shape(), (Shape{2, 60}));
    EXPECT_TRUE(all_close(y.value(), Array<double>(xt::reshape_view(x.value(), {2, 60})), 0, 0));
    EXPECT_EQ(Flatten<double>(0, 1)(x).shape(), (Shape{6, 4, 5}));
    EXPECT_THROW_MSG(Flatten<double>(1, 4)(x), ShapeError, "Flatten 1..4: dims 1..4 do not fit an input of rank 4");
}

// ---- together ----------------------------------------------------------------------------------------------

TEST(ConvLayers, ASequentialCnnTrainsClonesAndSwitchesMode) {
    Generator gen(8);
    auto model = std::make_shared<Sequential<double>>(
        std::make_shared<Conv2d<double>>(1, 4, 3, gen, Conv2dLayerOptions{Conv2dOptions{1, 1}}),
        std::make_shared<BatchNorm2d<double>>(4), std::make_shared<ReLU<double>>(), std::make_shared<MaxPool2d<double>>(2),
        std::make_shared<Conv2d<double>>(4, 6, 3, gen), std::make_shared<AvgPool2d<double>>(2),
        std::make_shared<Flatten<double>>(), std::make_shared<LayerNorm<double>>(Shape{6}),
        std::make_shared<Linear<double>>(6, 3, gen));
    const Tensor<double> x = Tensor<double>::randn({5, 1, 8, 8}, gen);
    EXPECT_EQ((*model)(x).shape(), (Shape{5, 3}));
    EXPECT_NE(model->to_string().find("BatchNorm2d 4"), std::string::npos);

    // A clone computes the same and owns its buffers: training the clone leaves the original's statistics alone.
    auto twin = model->clone();
    model->eval();
    twin->eval();
    EXPECT_TRUE(all_close((*twin)(x), (*model)(x), 0, 0));
    twin->train();
    (*twin)(x);
    EXPECT_FALSE(all_close(twin->buffer("1.running_mean"), model->buffer("1.running_mean"), 0, 0));
    EXPECT_DOUBLE_EQ(model->buffer("1.num_batches_tracked").item(), 1.0);

    // The whole network's gradients in training mode.
    model->train();
    const Tensor<double> xs = Tensor<double>::randn({3, 1, 8, 8}, gen, 0.0, 1.0, true);
    EXPECT_GRADCHECK([&](const std::vector<Tensor<double>>& in) { return (*model)(in[0]); }, xs);
}

}  // namespace
}  // namespace dg::nn
