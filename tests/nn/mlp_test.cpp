// Mlp: the spec grammar (valid forms and each kind of bad spec), the forward pass against the notes' XOR
// network, parameter names, layer export, and the recorded δ(l) = ∂l/∂z(l) against the delta recurrence.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.hpp"
#include "nn/nn.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn {
namespace {

using test::all_close;

std::vector<std::string> act_names(const MlpSpec& s) {
    std::vector<std::string> names;
    for (const auto& a : s.activations) names.push_back(a.str());
    return names;
}

using Names = std::vector<std::string>;
using Sizes = std::vector<std::size_t>;

TEST(MlpSpec, ParsesTheDocumentedForms) {
    MlpSpec s = parse_mlp_spec("784-100-10:sigmoid");
    EXPECT_EQ(s.sizes, (Sizes{784, 100, 10}));
    EXPECT_EQ(act_names(s), (Names{"sigmoid", "identity"}));

    s = parse_mlp_spec("2-16-16-1:tanh:sigmoid-out");
    EXPECT_EQ(s.sizes, (Sizes{2, 16, 16, 1}));
    EXPECT_EQ(act_names(s), (Names{"tanh", "tanh", "sigmoid"}));

    EXPECT_EQ(act_names(parse_mlp_spec("3-4-2")), (Names{"sigmoid", "identity"}));  // the defaults
    EXPECT_EQ(act_names(parse_mlp_spec("784-10")), (Names{"identity"}));            // one layer
    EXPECT_EQ(act_names(parse_mlp_spec("784-100-10:relu:softmax-out")), (Names{"relu", "softmax"}));
    EXPECT_EQ(act_names(parse_mlp_spec("4-8-8-3:relu:leaky_relu(0.2)@2")),
              (Names{"relu", "leaky_relu(0.2)", "identity"}));
    EXPECT_EQ(act_names(parse_mlp_spec("4-8-3:elu(0.5)-out")), (Names{"sigmoid", "elu(0.5)"}));
    EXPECT_EQ(act_names(parse_mlp_spec("4-8-3:leaky-relu:log-softmax-out")), (Names{"leaky_relu(0.01)", "log_softmax"}));
    // A per-layer option overrides the hidden and output ones, whatever its position.
    EXPECT_EQ(act_names(parse_mlp_spec("2-3-3-3-1:abs@2:tanh:linear-out:softplus@4")),
              (Names{"tanh", "abs", "tanh", "softplus"}));
    // Spaces around tokens are ignored.
    s = parse_mlp_spec("  2 - 3 : tanh : leaky_relu( 0.3 )-out ");
    EXPECT_EQ(s.sizes, (Sizes{2, 3}));
    EXPECT_EQ(act_names(s), (Names{"leaky_relu(0.3)"}));
}

TEST(MlpSpec, CanonicalTextRoundTrips) {
    const MlpSpec s = parse_mlp_spec("2-16-16-1:tanh:sigmoid-out");
    EXPECT_EQ(s.str(), "2-16-16-1:tanh@1:tanh@2:sigmoid@3");
    const MlpSpec t = parse_mlp_spec(s.str());
    EXPECT_EQ(t.sizes, s.sizes);
    EXPECT_EQ(act_names(t), act_names(s));
}

struct BadSpec {
    const char* spec;
    const char* problem;  // a fragment the message must contain
};

TEST(MlpSpec, BadSpecsAreValueErrorsQuotingTheSpec) {
    const std::vector<BadSpec> cases{
        {"", "the spec is empty"},
        {"   ", "the spec is empty"},
        {"784", "an MLP needs an input and an output size"},
        {"784-x-10", "size 2 is \"x\", not a positive integer"},
        {"784-1.5-10", "size 2 is \"1.5\""},
        {"784--10", "size 2 is \"\""},
        {"-784-10", "size 1 is \"\""},
        {"784-0-10", "size 2 is 0"},
        {"784-10:swish", "unknown activation \"swish\""},
        {"3-6-4:tanh:T4", "\"T4\" is a recurrent spec's sequence length; a recurrent spec names its cell first, e.g. 3-6-4:rnn:T4"},
        {"784-10:", "option 1 is empty"},
        {"784-100-10:softmax", "softmax on hidden layer 1"},
        {"784-100-10:log_softmax@1", "log_softmax on hidden layer 1"},
        {"784-10:relu@2", "layer 2 in \"relu@2\" is out of range 1..1"},
        {"784-10:relu@0", "out of range"},
        {"784-10:relu@x", "the layer in \"relu@x\" is not a number"},
        {"784-10:sigmoid(2)", "sigmoid takes no parameter"},
        {"784-10:leaky_relu(abc)", "is not a number"},
        {"784-10:leaky_relu(0.2", "lacks its closing ')'"},
        {"784-100-10:relu:tanh", "the hidden activation is given twice"},
        {"784-10:relu-out:tanh-out", "the output activation is given twice"},
        {"784-10:relu@1:tanh@1", "layer 1's activation is given twice"},
        {"784-10:-out", "names no activation"},
        {"99999999999-10", "too large"},
    };
    for (const auto& c : cases) {
        const std::string quoted = "MLP spec \"" + std::string(c.spec) + "\"";
        EXPECT_THROW_MSG(parse_mlp_spec(c.spec), ValueError, quoted.c_str(), c.problem, "expected sizes such as")
            << "spec: " << c.spec;
    }
    Generator gen(0);
    EXPECT_THROW_MSG(Mlp<float>("3-x", gen), ValueError, "MLP spec \"3-x\"");
}

// The notes' XOR from three sigmoid neurons: h1 = OR = σ(20x1 + 20x2 − 10), h2 = NAND = σ(−20x1 − 20x2 + 30),
// y = AND(h1, h2) = σ(20h1 + 20h2 − 30).
TEST(Mlp, ForwardReproducesTheXorNetwork) {
    Generator gen(0);
    Mlp<double> xor_net("2-2-1:sigmoid:sigmoid-out", gen);
    {
        NoGradGuard no_grad;
        Tensor<double> w1 = xor_net.layers()[0].weight(), b1 = xor_net.layers()[0].bias();
        Tensor<double> w2 = xor_net.layers()[1].weight(), b2 = xor_net.layers()[1].bias();
        w1.mutable_value() = Array<double>({{20, 20}, {-20, -20}});
        b1.mutable_value() = Array<double>({-10, 30});
        w2.mutable_value() = Array<double>({{20, 20}});
        b2.mutable_value() = Array<double>({-30});
    }
    const Tensor<double> x({{0.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}, {1.0, 1.0}});
    const Tensor<double> y = xor_net(x);
    ASSERT_EQ(y.shape(), (Shape{4, 1}));
    const auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    const double xs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    for (int i = 0; i < 4; ++i) {
        const double h1 = sig(20 * xs[i][0] + 20 * xs[i][1] - 10), h2 = sig(-20 * xs[i][0] - 20 * xs[i][1] + 30);
        EXPECT_NEAR(y.at(i), sig(20 * h1 + 20 * h2 - 30), 1e-14) << i;
    }
    EXPECT_LT(y.at(0), 0.01);
    EXPECT_GT(y.at(1), 0.99);
    EXPECT_GT(y.at(2), 0.99);
    EXPECT_LT(y.at(3), 0.01);
}

TEST(Mlp, ChildrenAndParametersAreNamedByLayer) {
    Generator gen(1);
    Mlp<float> mlp("5-4-3:tanh", gen);
    std::vector<std::string> names;
    for (const auto& [name, p] : mlp.named_parameters()) names.push_back(name);
    EXPECT_EQ(names, (Names{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
    EXPECT_EQ(mlp.layers()[1].linear->path(), "fc2");
    EXPECT_EQ(mlp.layers()[0].activation->path(), "act1");
    EXPECT_EQ(mlp.describe(), "Mlp 5-4-3:tanh@1:identity@2");
    EXPECT_EQ(mlp(Tensor<float>::ones({6, 5})).shape(), (Shape{6, 3}));
    const std::string summary = mlp.to_string();
    EXPECT_NE(summary.find("parameters: 39 total, 39 trainable"), std::string::npos) << summary;  // 24 + 15
    EXPECT_THROW_MSG(mlp(Tensor<float>::ones({6, 4})), ShapeError,
                     "fc1 (Linear 5→4): input has shape [6, 4], expected [*, 5]");
}

TEST(Mlp, LayerArraysFeedTheDeltaReference) {
    Generator gen(2);
    MlpOptions options;
    options.linear.bias_init = Init::constant(0.5);
    Mlp<double> mlp("3-4-2:leaky_relu(0.2):sigmoid-out", gen, options);
    const auto arrays = mlp.layer_arrays();
    ASSERT_EQ(arrays.size(), 2u);
    EXPECT_TRUE(all_close(arrays[0].W, mlp.layers()[0].weight().value(), 0, 0));
    EXPECT_EQ(shape_of(arrays[1].W), (Shape{2, 4}));
    EXPECT_TRUE(all_close(arrays[1].b, Array<double>({0.5, 0.5}), 0, 0));
    EXPECT_EQ(arrays[0].activation.kind, ActivationKind::leaky_relu);
    EXPECT_DOUBLE_EQ(arrays[0].activation.alpha, 0.2);
    EXPECT_EQ(arrays[1].activation.kind, ActivationKind::sigmoid);
    // A copy: changing the array leaves the model alone.
    auto copy = mlp.layer_arrays();
    copy[0].W(0, 0) += 1;
    EXPECT_NE(copy[0].W(0, 0), mlp.layers()[0].weight().value()(0, 0));
}

// δ(l) recorded through retain_grad against the recurrence written out with plain arrays:
// δ(L) = (a(L) − y)/m ⊙ σ'(z(L)) for mse_half with a sigmoid output, δ(l) = (δ(l+1)·W(l+1)) ⊙ f'(z(l)).
TEST(Mlp, RecordedPreactivationGradientsAreTheDeltas) {
    Generator gen(3);
    Mlp<double> mlp("3-5-4-2:tanh:sigmoid-out", gen);
    mlp.record_preactivations();
    const Tensor<double> x = test::randn({6, 3}, 21, false);
    const Tensor<double> y = test::uniform({6, 2}, 22, 0, 1, false);
    const Tensor<double> out = mlp(x);
    mse_half(out, y).backward();

    const auto& z = mlp.preactivations();
    const auto& a = mlp.layer_outputs();
    ASSERT_EQ(z.size(), 3u);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_TRUE(a[2].same(out));
    // z(1) = x·W(1)ᵀ + b(1), from the arrays.
    const Array<double> z1 = xt::linalg::dot(x.value(), xt::transpose(mlp.layers()[0].weight().value())) +
                             mlp.layers()[0].bias().value();
    EXPECT_TRUE(all_close(z[0].value(), z1, 1e-14, 1e-12));

    const double m = 6;
    const Array<double> aL = a[2].value();
    Array<double> delta = (aL - y.value()) / m * aL * (1.0 - aL);
    EXPECT_TRUE(all_close(z[2].grad().value(), delta, 1e-14, 1e-10));
    for (int l = 1; l >= 0; --l) {
        const Array<double> t = a[l].value();
        delta = xt::linalg::dot(delta, mlp.layers()[l + 1].weight().value()) * (1.0 - t * t);
        EXPECT_TRUE(all_close(z[l].grad().value(), delta, 1e-14, 1e-10)) << "layer " << l + 1;
        // ΔW(l+1) = δ(l+1)ᵀ a(l) is what the engine accumulated into the weight.
    }
    const Array<double> dW1 = xt::linalg::dot(xt::transpose(delta), x.value());
    EXPECT_TRUE(all_close(mlp.layers()[0].weight().grad().value(), dW1, 1e-14, 1e-10));
}

TEST(Mlp, RecordingAddsNoNodeForALinearOutput) {
    Generator gen(4);
    Mlp<double> mlp("2-3-2:relu", gen);
    mlp.record_preactivations();
    const Tensor<double> out = mlp(test::randn({4, 2}, 5, false));
    // The graph of a recorded forward is that of a plain one: linear, relu, linear — no copy of z(L) as a(L).
    EXPECT_EQ(out.op(), std::string("linear"));
    EXPECT_TRUE(mlp.layer_outputs()[1].same(out));
    cross_entropy(out, std::vector<std::size_t>{0, 1, 1, 0}).backward();
    // With an identity output, a(L) is z(L) itself, and its gradient is δ(L) = (softmax(z) − onehot)/m.
    const auto& z = mlp.preactivations();
    EXPECT_TRUE(z[1].same(out));
    Array<double> p = xt::exp(z[1].value());
    Array<double> row_sums = xt::sum(p, {1}, immediate);
    row_sums.reshape({4, 1});
    p = p / row_sums;
    const std::vector<std::size_t> t{0, 1, 1, 0};
    for (std::size_t i = 0; i < 4; ++i) p(i, t[i]) -= 1;
    EXPECT_TRUE(all_close(z[1].grad().value(), Array<double>(p / 4.0), 1e-14, 1e-10));
    // Recording off: nothing is kept from the next forward.
    mlp.record_preactivations(false);
    mlp(test::randn({1, 2}, 6, false));
    EXPECT_EQ(mlp.preactivations()[0].shape(), (Shape{4, 3}));
}

TEST(Mlp, BuildsInEvalAndNoGradModeToo) {
    Generator gen(5);
    Mlp<float> mlp("4-3-2:relu:softmax-out", gen);
    mlp.record_preactivations();
    NoGradGuard no_grad;
    const Tensor<float> p = mlp(Tensor<float>::ones({2, 4}));
    EXPECT_NEAR(p.at(0) + p.at(1), 1.0f, 1e-6f);  // softmax rows sum to 1
    EXPECT_FALSE(mlp.preactivations()[0].requires_grad());
}

}  // namespace
}  // namespace dg::nn
