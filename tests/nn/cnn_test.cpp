// The CNN spec and the Cnn module: parsing with shape inference, the canonical text, errors that quote the spec,
// children under PyTorch-style names, the forward pass (images or flat rows), recorded pre-activations, forward_from,
// clone and gradients.
#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "nn/nn.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"

namespace dg::nn {
namespace {

using test::all_close;

TEST(CnnSpec, ParsesLayersAndInfersEveryShape) {
    const CnnSpec s = parse_cnn_spec("1x28x28-c32k3p1-bn-relu-m2-c64k3p1-bn-relu-m2-flat-128-relu-10");
    EXPECT_EQ(s.input_shape(), (Shape{1, 28, 28}));
    ASSERT_EQ(s.layers.size(), 9u);  // activations belong to the layer before them
    EXPECT_EQ(s.layers[0].kind, CnnLayerKind::conv);
    EXPECT_EQ(s.layers[0].size, 32u);
    EXPECT_EQ(s.layers[0].kernel, 3u);
    EXPECT_EQ(s.layers[0].padding, 1u);
    EXPECT_FALSE(s.layers[0].activation.has_value());
    EXPECT_EQ(s.layers[1].kind, CnnLayerKind::batch_norm);
    EXPECT_EQ(s.layers[1].activation->kind, ActivationKind::relu);
    const std::vector<Shape> shapes = {{32, 28, 28}, {32, 28, 28}, {32, 14, 14}, {64, 14, 14}, {64, 14, 14},
                                       {64, 7, 7},   {3136},       {128},        {10}};
    for (std::size_t l = 0; l < shapes.size(); ++l) EXPECT_EQ(s.layers[l].output, shapes[l]) << l;
    EXPECT_EQ(s.output_features(), 10u);
    EXPECT_EQ(s.str(), "1x28x28-c32k3p1-bn-relu-m2-c64k3p1-bn-relu-m2-flat-128-relu-10");

    // Every option, spaces, a negative α, the canonical text dropping defaults.
    const CnnSpec t = parse_cnn_spec(" 2x9x8 - c4k3s2p1d1g2 - leaky_relu(-0.5) - a3s1p1 - m2s1 - flat - ln - 5 ");
    EXPECT_EQ(t.layers[0].output, (Shape{4, 5, 4}));  // (9 + 2 − 3)/2 + 1, (8 + 2 − 3)/2 + 1
    EXPECT_EQ(t.layers[1].output, (Shape{4, 5, 4}));
    EXPECT_EQ(t.layers[2].output, (Shape{4, 4, 3}));  // stride 1
    EXPECT_EQ(t.layers[3].output, (Shape{48}));
    EXPECT_DOUBLE_EQ(t.layers[0].activation->alpha, -0.5);
    EXPECT_EQ(t.str(), "2x9x8-c4k3s2p1g2-leaky_relu(-0.5)-a3s1p1-m2s1-flat-ln-5");
    EXPECT_EQ(parse_cnn_spec(t.str()).str(), t.str());
    // Dilation: a 3-tap kernel with d2 spans 5.
    EXPECT_EQ(parse_cnn_spec("1x7x7-c2k3d2-flat-3").layers[0].output, (Shape{2, 3, 3}));
    EXPECT_TRUE(is_cnn_spec("1x28x28-c8k3-flat-10"));
    EXPECT_FALSE(is_cnn_spec("784-100-10:relu"));
    EXPECT_FALSE(is_cnn_spec("emb27x8-16-27:lstm:T5"));  // a recurrent spec's embedding
    EXPECT_TRUE(is_cnn_spec("28x28-c8k3-flat-10"));       // a malformed image: the CNN parser says what is wrong
}

TEST(CnnSpec, BadSpecsQuoteTheSpecAndSayWhatWasExpected) {
    struct Case {
        const char* spec;
        std::vector<const char*> fragments;
    };
    const Case cases[] = {
        {"", {"CNN spec \"\"", "empty"}},
        {"28x28-c8k3-flat-10", {"expected the image as CxHxW"}},
        {"1x0x28-flat-10", {"extent \"0\""}},
        {"1x28x28", {"no layers"}},
        {"1x28x28-c32k5-m2-c64k5-m2-c64k5-flat-10",
         {"token 6 \"c64k5\" (layer 5): its 5×5 window does not fit its input 64×4×4",
          "expected an input of at least 5×5"}},
        {"1x4x4-c2k3p1-m5-flat-2", {"(layer 2): its 5×5 window does not fit its input 2×4×4"}},
        {"1x8x8-c8k3-128-10", {"token 3 \"128\" (layer 2): a dense layer needs 'flat' before it (its input is the image 8×6×6)"}},
        {"1x8x8-flat-c8k3-10", {"a convolution after 'flat'"}},
        {"1x8x8-c8k3-relu", {"ends in images 8×6×6", "add 'flat'"}},
        {"1x8x8-relu-flat-4", {"token 2 \"relu\": an activation needs a layer before it"}},
        {"1x8x8-c8k3-relu-tanh-flat-4", {"layer 1 already has the activation relu"}},
        {"1x8x8-c8k3-nope-flat-4", {"token 3 \"nope\"", "not an activation", "relu"}},
        {"1x8x8-c8k3-softmax-flat-4", {"softmax on layer 1"}},
        {"1x8x8-c8k3s0-flat-4", {"'s' is 0; expected at least 1"}},
        {"1x8x8-c8k3q2-flat-4", {"unknown option 'q'"}},
        {"1x8x8-c8k3p1p1-flat-4", {"option 'p' is given twice"}},
        {"1x8x8-c8-flat-4", {"needs its kernel"}},
        {"3x8x8-c4k3g2-flat-4", {"groups 2 must divide the input channels (3)"}},
        {"1x8x8-m3p2-flat-4", {"padding 2 is more than half the window 3"}},
        {"1x8x8-flat-flat-4", {"'flat' is given twice"}},
        {"1x8x8-c1234567k3-flat-4", {"more than 6 digits"}},
        {"1x8x8-c8k3--flat-4", {"token 3 is empty"}},
        {"1x8x8-flat-0", {"at least one unit"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.spec);
        try {
            parse_cnn_spec(c.spec);
            ADD_FAILURE() << "no error";
        } catch (const ValueError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("CNN spec \"" + std::string(c.spec) + "\""), std::string::npos) << what;
            for (const char* f : c.fragments) EXPECT_NE(what.find(f), std::string::npos) << what << "\nmissing: " << f;
        }
    }
}

TEST(Cnn, ChildrenParametersAndBuffersUnderPyTorchNames) {
    Generator gen(1);
    Cnn<float> cnn("1x12x12-c4k3p1-bn-relu-m2-c6k3-relu-a2-flat-ln-16-relu-10", gen);
    std::vector<std::string> names;
    for (const auto& [name, t] : cnn.state_dict()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                                               "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
                                               "conv2.weight", "conv2.bias", "ln1.weight", "ln1.bias", "fc1.weight",
                                               "fc1.bias", "fc2.weight", "fc2.bias"}));
    EXPECT_EQ(cnn.parameter("fc1.weight").shape(), (Shape{16, 24}));  // 6 channels × 2 × 2
    EXPECT_EQ(cnn.parameter("ln1.weight").shape(), (Shape{24}));
    // Dense biases are PyTorch's U(±1/√in), not zeros.
    EXPECT_GT(xt::amax(xt::abs(cnn.parameter("fc1.bias").value()))(), 0.05f);
    EXPECT_LE(xt::amax(xt::abs(cnn.parameter("fc1.bias").value()))(), 1 / std::sqrt(24.0f));
    EXPECT_EQ(cnn.num_layers(), 9u);
    EXPECT_EQ(cnn.layers()[4].kind, CnnLayerKind::avg_pool);
    EXPECT_NE(cnn.to_string().find("Conv2d 4→6 k3"), std::string::npos);
    // The same seed, the same network.
    Generator again(1);
    Cnn<float> twin("1x12x12-c4k3p1-bn-relu-m2-c6k3-relu-a2-flat-ln-16-relu-10", again);
    EXPECT_TRUE(all_close(twin.parameter("conv2.weight"), cnn.parameter("conv2.weight"), 0, 0));
}

TEST(Cnn, ForwardTakesImagesOrRowsAndRecordsPreactivations) {
    Generator gen(2);
    Cnn<double> cnn("1x6x6-c3k3p1-tanh-m2-flat-4-sigmoid-2", gen);
    const Tensor<double> x = Tensor<double>::randn({5, 1, 6, 6}, gen);
    cnn.record_preactivations(true);
    const Tensor<double> y = cnn(x);
    EXPECT_EQ(y.shape(), (Shape{5, 2}));
    EXPECT_TRUE(all_close(cnn(reshape(x, {5, 36})), y, 0, 0));
    ASSERT_EQ(cnn.preactivations().size(), 5u);
    // z(1) is the convolution, a(1) = tanh(z(1)); the last layer has no activation: a(L) is z(L).
    EXPECT_TRUE(all_close(cnn.layer_outputs()[0].value(), Array<double>(xt::tanh(cnn.preactivations()[0].value())), 1e-15));
    EXPECT_EQ(cnn.layer_outputs()[4].value(), cnn.preactivations()[4].value());
    // forward_from(l, z(l)) continues the same pass.
    for (std::size_t l = 1; l <= 5; ++l)
        EXPECT_TRUE(all_close(cnn.forward_from(l, cnn.preactivations()[l - 1]), y, 1e-15)) << l;
    EXPECT_THROW_MSG(cnn.forward_from(6, y), ValueError, "layers are 1..5");
    EXPECT_THROW_MSG(cnn(Tensor<double>::zeros({5, 35})), ShapeError, "expected [N, 1, 6, 6] or [N, 36], got [5, 35]");
    EXPECT_THROW_MSG(cnn(Tensor<double>::zeros({5, 2, 6, 6})), ShapeError, "expected [N, 1, 6, 6]");
}

TEST(Cnn, GradientsOfEveryParameterAndCloneComputesTheSame) {
    Generator gen(3);
    Cnn<double> cnn("2x7x6-c3k3s2p1-elu-bn-a2s1-c4k2-softplus-flat-bn-5-tanh-3", gen);
    const Tensor<double> x = Tensor<double>::randn({4, 2, 7, 6}, gen);
    ASSERT_EQ(cnn.named_parameters().size(), 12u);
    // gradcheck perturbs the parameters in place, through the module.
    const GradcheckReport report = gradcheck([&](const std::vector<Tensor<double>>&) { return cnn(x); },
                                             cnn.named_parameters());
    EXPECT_TRUE(report.ok) << report.str();
    EXPECT_GT(report.checked, 100u);
    auto copy = cnn.clone();
    cnn.eval();
    copy->eval();
    EXPECT_TRUE(all_close((*copy)(x), cnn(x), 0, 0));
    EXPECT_EQ(copy->spec().str(), cnn.spec().str());
    EXPECT_EQ(copy->layers()[1].module.get(), copy->child<Module<double>>("bn1").get());
}

}  // namespace
}  // namespace dg::nn
