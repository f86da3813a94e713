// Layers: Linear, every activation, Sequential, Dropout, Embedding — values against hand computations,
// shapes, gradients, and errors that name the module.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/ops.hpp"
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


// ---- Linear -----------------------------------------------------------------------------------------------

TEST(Linear, ForwardIsXTimesWTransposedPlusB) {
    Generator gen(0);
    Linear<double> fc(3, 2, gen);
    set_values(fc.weight(), {1, 2, 3, 4, 5, 6});  // W [2, 3]
    set_values(fc.bias(), {0.5, -1});
    const Tensor<double> x({{1.0, 0.0, -1.0}, {2.0, 1.0, 0.0}});
    // row 0: [1−3+0.5, 4−6−1] = [−1.5, −3]; row 1: [2+2+0.5, 8+5−1] = [4.5, 12]
    EXPECT_TRUE(all_close(fc(x), {2, 2}, {-1.5, -3, 4.5, 12}));
    // One sample [in] → [out], and extra leading dimensions [2, 1, in] → [2, 1, out].
    EXPECT_TRUE(all_close(fc(Tensor<double>({1.0, 0.0, -1.0})), {2}, {-1.5, -3}));
    EXPECT_TRUE(all_close(fc(reshape(x, {2, 1, 3})), {2, 1, 2}, {-1.5, -3, 4.5, 12}));
}

TEST(Linear, GradientsFollowTheLayerFormulas) {
    Generator gen(0);
    Linear<double> fc(3, 2, gen);
    set_values(fc.weight(), {1, 2, 3, 4, 5, 6});
    const Tensor<double> x({{1.0, 0.0, -1.0}, {2.0, 1.0, 0.0}}, true);
    const Tensor<double> g({{1.0, -1.0}, {0.5, 2.0}});
    sum(fc(x) * g).backward();
    // gW = gᵀx = [[1·1+0.5·2, 0+0.5, −1+0], [−1+4, 0+2, 1+0]]; gb = Σ_rows g; gx = g·W
    EXPECT_TRUE(all_close(fc.weight().grad(), {2, 3}, {2, 0.5, -1, 3, 2, 1}));
    EXPECT_TRUE(all_close(fc.bias().grad(), {2}, {1.5, 1}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {1 - 4, 2 - 5, 3 - 6, 0.5 + 8, 1 + 10, 1.5 + 12}));
    EXPECT_GRADCHECK([&fc](const std::vector<Tensor<double>>& in) { return fc(in[0]); }, test::randn({4, 3}, 5));
}

TEST(Linear, DefaultInitIsFanInUniformWeightsAndZeroBias) {
    Generator gen(7);
    Linear<double> fc(400, 300, gen);
    const double bound = 1.0 / std::sqrt(400.0);
    const Array<double>& w = fc.weight().value();
    EXPECT_LE(xt::amax(w)(), bound);
    EXPECT_GE(xt::amin(w)(), -bound);
    EXPECT_GT(xt::amax(w)(), 0.99 * bound);  // the whole range is used: not a smaller default
    // Variance of U(−a, a) is a²/3 (120,000 draws: 5σ of the sample variance is about 1.1 %).
    const double var = xt::mean(w * w)();
    EXPECT_NEAR(var, bound * bound / 3, 0.02 * bound * bound / 3);
    EXPECT_EQ(xt::amax(xt::abs(fc.bias().value()))(), 0.0);
    EXPECT_EQ(fc.weight().shape(), (Shape{300, 400}));
}

TEST(Linear, OptionsChooseBiasAndInit) {
    Generator gen(7);
    LinearOptions options;
    options.bias = false;
    options.weight_init = Init::constant(0.25);
    Linear<float> fc(2, 3, gen, options);
    EXPECT_FALSE(fc.has_bias());
    EXPECT_EQ(fc.parameters().size(), 1u);
    EXPECT_EQ(fc.describe(), "Linear 2→3 no bias");
    EXPECT_FLOAT_EQ(fc(Tensor<float>({{1.0f, 3.0f}})).at(2), 1.0f);  // 0.25·(1+3)
    EXPECT_THROW_MSG(Linear<float>(0, 3, gen), ValueError, "Linear", "positive", "0→3");
}

TEST(Linear, ShapeErrorNamesTheModulePathAndTheExpectedShape) {
    Generator gen(0);
    Mlp<float> mlp("256-128-10", gen);
    const Tensor<float> x = Tensor<float>::zeros({32, 256});
    try {
        (*mlp.layers()[1].linear)(x);
        FAIL() << "no ShapeError";
    } catch (const ShapeError& e) {
        EXPECT_STREQ(e.what(), "fc2 (Linear 128→10): input has shape [32, 256], expected [*, 128]");
    }
    // A root layer names itself by its description.
    Linear<float> fc(4, 2, gen);
    EXPECT_THROW_MSG(fc(Tensor<float>::zeros({3, 5})), ShapeError, "Linear 4→2: input has shape [3, 5]",
                     "expected [*, 4]");
    EXPECT_THROW_MSG(fc(Tensor<float>::scalar(1)), ShapeError, "input has shape []");
}

// ---- activations --------------------------------------------------------------------------------------------

struct ActivationCase {
    ActivationKind kind;
    double alpha;
    std::vector<double> expected;  // f at x = −2, −0.5, 0, 1.5
};

TEST(Activation, ValuesMatchTheFormulas) {
    const std::vector<double> xs{-2, -0.5, 0, 1.5};
    const auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
    const std::vector<ActivationCase> cases{
        {ActivationKind::identity, 0, xs},
        {ActivationKind::sigmoid, 0, {sig(-2), sig(-0.5), 0.5, sig(1.5)}},
        {ActivationKind::tanh, 0, {-0.9640275800758169, -0.46211715726000974, 0, 0.9051482536448664}},
        {ActivationKind::relu, 0, {0, 0, 0, 1.5}},
        {ActivationKind::leaky_relu, 0.1, {-0.2, -0.05, 0, 1.5}},
        {ActivationKind::elu, 0.5, {0.5 * (std::exp(-2) - 1), 0.5 * (std::exp(-0.5) - 1), 0, 1.5}},
        {ActivationKind::softplus, 0, {std::log1p(std::exp(-2)), std::log1p(std::exp(-0.5)), std::log(2.0),
                                       std::log1p(std::exp(1.5))}},
        {ActivationKind::abs, 0, {2, 0.5, 0, 1.5}},
    };
    for (const auto& c : cases) {
        Activation<double> f(c.kind, c.alpha);
        EXPECT_TRUE(all_close(f(Tensor<double>({-2.0, -0.5, 0.0, 1.5})), {4}, c.expected, 1e-15, 1e-14))
            << activation_name(c.kind);
    }
}

TEST(Activation, SoftmaxAndLogSoftmaxWorkAlongTheLastAxis) {
    const Tensor<double> x({{1.0, 2.0, 3.0}, {0.0, 0.0, 0.0}});
    const double s = 1 + std::exp(-1) + std::exp(-2);
    const std::vector<double> p{std::exp(-2) / s, std::exp(-1) / s, 1 / s};
    EXPECT_TRUE(all_close(Softmax<double>()(x), {2, 3}, {p[0], p[1], p[2], 1. / 3, 1. / 3, 1. / 3}, 1e-15));
    EXPECT_TRUE(all_close(LogSoftmax<double>()(x), {2, 3},
                         {std::log(p[0]), std::log(p[1]), std::log(p[2]), -std::log(3.0), -std::log(3.0),
                          -std::log(3.0)},
                         1e-14));
    EXPECT_THROW_MSG(Softmax<double>()(Tensor<double>::scalar(1)), ShapeError, "Softmax", "at least 1 dimension");
}

TEST(Activation, EveryKindGradchecks) {
    for (ActivationKind k : builtin_activations) {
        Activation<double> f(k, 0.3);
        const auto report = gradcheck([&f](const std::vector<Tensor<double>>& in) { return f(in[0]); },
                                      {test::away_from_zero({3, 4}, 11)});
        EXPECT_TRUE(report.ok) << activation_name(k) << ": " << report.str();
    }
}

TEST(Activation, NamedClassesAndParsing) {
    EXPECT_EQ(LeakyReLU<float>(0.1).describe(), "LeakyReLU(α=0.1)");
    EXPECT_DOUBLE_EQ(LeakyReLU<float>().alpha(), 0.01);
    EXPECT_DOUBLE_EQ(ELU<float>().alpha(), 1.0);
    EXPECT_EQ(ReLU<float>().describe(), "ReLU");
    EXPECT_DOUBLE_EQ(ReLU<float>().alpha(), 0.0);  // α means nothing to ReLU
    // From text, as an Mlp spec writes it (the vocabulary's parser: activation_kind_test.cpp).
    const Activation<float> leaky("leaky-relu(0.2)");
    EXPECT_EQ(leaky.kind(), ActivationKind::leaky_relu);
    EXPECT_DOUBLE_EQ(leaky.alpha(), 0.2);
    EXPECT_EQ(Activation<float>("linear").describe(), "Identity");
    EXPECT_THROW_MSG(Activation<float>("swish"), ValueError, "unknown activation \"swish\"", "sigmoid", "softplus");
    EXPECT_THROW_MSG(Activation<float>(ActivationKind::elu, NAN), ValueError, "elu: alpha must be finite");
}

// ---- Sequential ---------------------------------------------------------------------------------------------

TEST(Sequential, AppliesModulesInOrder) {
    Generator gen(4);
    auto fc1 = std::make_shared<Linear<double>>(3, 4, gen);
    auto fc2 = std::make_shared<Linear<double>>(4, 2, gen);
    Sequential<double> seq{fc1, std::make_shared<Tanh<double>>(), fc2};
    const Tensor<double> x = test::randn({5, 3}, 9, false);
    EXPECT_TRUE(all_close(seq(x), fc2->forward(tanh(fc1->forward(x))), 0, 0));
    EXPECT_EQ(seq.size(), 3u);
    EXPECT_EQ(seq[1]->type_name(), "Tanh");
    EXPECT_THROW_MSG(seq[3], ValueError, "index 3 out of range for 3 modules");
    seq.push_back("out", std::make_shared<Sigmoid<double>>());
    EXPECT_EQ(seq.named_children().back().first, "out");
    EXPECT_EQ(seq(x).shape(), (Shape{5, 2}));
}

TEST(Sequential, MakeSharedTakesTheModulesDirectly) {
    Generator gen(4);
    auto fc1 = std::make_shared<Linear<double>>(3, 4, gen);
    auto fc2 = std::make_shared<Linear<double>>(4, 2, gen);
    // No initializer list needed: pointers of any module classes, named by their index.
    const auto seq = std::make_shared<Sequential<double>>(fc1, std::make_shared<Tanh<double>>(), fc2);
    ASSERT_EQ(seq->size(), 3u);
    EXPECT_EQ(seq->named_children()[2].first, "2");
    EXPECT_TRUE((*seq)[0] == fc1);
    EXPECT_EQ(fc2->path(), "2");
    const Tensor<double> x = test::randn({5, 3}, 9, false);
    EXPECT_TRUE(all_close((*seq)(x), fc2->forward(tanh(fc1->forward(x))), 0, 0));
    const Sequential<double> one(std::make_shared<ReLU<double>>());
    EXPECT_EQ(one.size(), 1u);
}

// ---- Dropout ------------------------------------------------------------------------------------------------

TEST(Dropout, EvalModeIsTheIdentity) {
    Generator gen(5);
    Dropout<double> drop(0.5, gen);
    drop.eval();
    const Tensor<double> x = test::randn({10, 10}, 1, false);
    EXPECT_TRUE(all_close(drop(x), x, 0, 0));
}

TEST(Dropout, TrainingZeroesAFractionPAndPreservesTheMean) {
    Generator gen(5);
    const double p = 0.3;
    Dropout<double> drop(p, gen);
    const std::size_t n = 1000000;
    const Tensor<double> y = drop(Tensor<double>::ones({n}));
    std::size_t zeros = 0;
    bool survivors_scaled = true;
    for (double v : y.value()) {
        if (v == 0) ++zeros;
        else survivors_scaled = survivors_scaled && std::abs(v - 1 / (1 - p)) < 1e-15;
    }
    EXPECT_TRUE(survivors_scaled);
    // The zero count is Binomial(n, p); the output mean has variance p/(1−p)/n. Both within 5σ.
    EXPECT_NEAR(static_cast<double>(zeros) / n, p, 5 * std::sqrt(p * (1 - p) / n));
    EXPECT_NEAR(xt::mean(y.value())(), 1.0, 5 * std::sqrt(p / (1 - p) / n));
}

TEST(Dropout, GradientIsTheScaledMaskAndSeedsRepeat) {
    Generator gen(6);
    Dropout<double> drop(0.5, gen);
    const Tensor<double> x = Tensor<double>::full({1000}, 3.0, true);
    const Tensor<double> y = drop(x);
    sum(y).backward();
    // y = x·mask with mask ∈ {0, 2}: the gradient is the mask itself, y/3.
    EXPECT_TRUE(all_close(x.grad().value(), Array<double>(y.value() / 3.0), 0, 0));
    for (double g : x.grad().value()) ASSERT_TRUE(g == 0.0 || g == 2.0) << g;  // 1/(1 − p) = 2

    Generator a(42), b(42);
    Dropout<double> d1(0.5, a), d2(0.5, b), d3(0.5, a);
    const Tensor<double> ones = Tensor<double>::ones({256});
    const Array<double> m1 = d1(ones).value(), m2 = d2(ones).value(), m3 = d3(ones).value();
    EXPECT_TRUE(all_close(m1, m2, 0, 0));               // same seed, same mask
    EXPECT_GT(xt::sum(xt::not_equal(m1, m3))(), 50u);  // a second layer from one generator differs
}

TEST(Dropout, EdgeRatesAndBadRates) {
    Generator gen(7);
    Dropout<double> all(1.0, gen), none(0.0, gen);
    const Tensor<double> x = test::randn({50}, 2, false);
    EXPECT_EQ(xt::amax(xt::abs(all(x).value()))(), 0.0);
    EXPECT_TRUE(all_close(none(x), x, 0, 0));
    EXPECT_THROW_MSG(Dropout<double>(1.5, gen), ValueError, "Dropout", "[0, 1]", "1.5");
    EXPECT_THROW_MSG(Dropout<double>(std::nan(""), gen), ValueError, "Dropout", "nan");
}

// ---- Embedding ----------------------------------------------------------------------------------------------

TEST(Embedding, LooksUpRowsAndAccumulatesGradients) {
    Generator gen(8);
    Embedding<double> emb(4, 2, gen);
    set_values(emb.weight(), {0, 1, 10, 11, 20, 21, 30, 31});
    const Tensor<double> y = emb.forward(std::vector<std::size_t>{2, 0, 2});
    EXPECT_TRUE(all_close(y, {3, 2}, {20, 21, 0, 1, 20, 21}));
    sum(y * Tensor<double>({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}})).backward();
    // Row 2 is used twice: its gradient is the sum of both rows of g.
    EXPECT_TRUE(all_close(emb.weight().grad(), {4, 2}, {3, 4, 0, 0, 6, 8, 0, 0}));

    // Indices as a tensor of any shape S give S + [dim].
    const Tensor<double> idx({{3.0, 1.0}, {0.0, 3.0}});
    EXPECT_TRUE(all_close(emb(idx), {2, 2, 2}, {30, 31, 10, 11, 0, 1, 30, 31}));
    EXPECT_EQ(emb.describe(), "Embedding 4×2");
}

TEST(Embedding, BadIndicesAreValueErrorsNamingTheModule) {
    Generator gen(8);
    Sequential<float> model;
    auto emb = std::make_shared<Embedding<float>>(5, 3, gen);
    model.push_back("emb", emb);
    EXPECT_THROW_MSG(emb->forward(std::vector<std::size_t>{1, 5}), ValueError,
                     "emb (Embedding 5×3): index 5 at position 1 is out of range [0, 5)");
    EXPECT_THROW_MSG(model(Tensor<float>({0.0f, 7.0f})), ValueError, "emb (Embedding 5×3)", "index 7", "[0, 5)");
    EXPECT_THROW_MSG(model(Tensor<float>({1.5f})), ValueError, "emb (Embedding 5×3)", "not a non-negative integer");
    EXPECT_THROW_MSG(model(Tensor<float>({-1.0f})), ValueError, "index -1");
}

TEST(Embedding, DefaultInitIsStandardNormal) {
    Generator gen(9);
    Embedding<double> emb(1000, 100, gen);
    const Array<double>& w = emb.weight().value();
    const double n = static_cast<double>(w.size());
    EXPECT_NEAR(xt::mean(w)(), 0.0, 5 / std::sqrt(n));
    EXPECT_NEAR(xt::variance(w)(), 1.0, 5 * std::sqrt(2 / n));
}

}  // namespace
}  // namespace dg::nn
