// Custom activations: a registered swish in an Mlp spec gives the hand-computed forward, trains a step and
// gradchecks; unknown names list the registered ones; bad registrations, unregistering and non-elementwise functions.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "autograd/inspect/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "nn/nn.hpp"
#include "nn/optim/sgd.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

using test::all_close;

// swish(x) = x σ(x), registered for the lifetime of a test.
class CustomActivation : public ::testing::Test {
protected:
    void SetUp() override { register_activation("swish", [](const auto& x) { return x * sigmoid(x); }); }
    void TearDown() override { unregister_activation("swish"); }
};

double swish(double x) { return x / (1 + std::exp(-x)); }

TEST_F(CustomActivation, AnMlpSpecNamesIt) {
    const MlpSpec spec = parse_mlp_spec("2-3-1:swish");
    ASSERT_EQ(spec.activations.size(), 2u);
    EXPECT_EQ(spec.activations[0].kind, ActivationKind::custom);
    EXPECT_EQ(spec.activations[0].custom, "swish");
    EXPECT_EQ(spec.str(), "2-3-1:swish@1:identity@2");
    EXPECT_EQ(parse_mlp_spec(spec.str()).str(), spec.str());
    EXPECT_EQ(parse_mlp_spec("2-3-1:swish-out").activations[1].custom, "swish");

    // The forward pass is W2·swish(W1 x + b1) + b2, computed here by hand.
    Generator gen(7);
    Mlp<double> mlp("2-3-1:swish", gen);
    EXPECT_EQ(mlp.layers()[0].activation->type_name(), "swish");
    const Array<double>& W1 = mlp.layers()[0].weight().value();
    const Array<double>& W2 = mlp.layers()[1].weight().value();
    const double x[2] = {0.7, -1.3};
    double y = mlp.layers()[1].bias().value()(0);
    for (std::size_t i = 0; i < 3; ++i)
        y += W2(0, i) * swish(W1(i, 0) * x[0] + W1(i, 1) * x[1] + mlp.layers()[0].bias().value()(i));
    EXPECT_TRUE(all_close(mlp(Tensor<double>({{x[0], x[1]}})), {1, 1}, {y}, 1e-15, 1e-14));
}

TEST_F(CustomActivation, AnMlpWithItTrainsAStep) {
    Generator gen(3);
    Mlp<float> mlp("4-8-3:swish", gen);
    const Tensor<float> x = Tensor<float>::randn({5, 4}, gen);
    const Tensor<float> target = Tensor<float>::randn({5, 3}, gen);
    optim::SGD<float> opt(mlp.parameters(), optim::SGDOptions(0.1));
    const Tensor<float> loss = mse(mlp(x), target);
    opt.zero_grad();
    loss.backward();
    const Tensor<float> w = mlp.layers()[0].weight();
    const Array<float> before = w.value(), grad = w.grad().value();
    EXPECT_GT(xt::amax(xt::abs(grad))(), 0.0f);  // the gradient reaches layer 1 through swish'
    opt.step();
    EXPECT_TRUE(all_close(w.value(), Array<float>(before - 0.1f * grad), 1e-7, 1e-6));
    EXPECT_LT(mse(mlp(x), target).item(), loss.item());
}

TEST_F(CustomActivation, AnMlpWithItGradchecks) {
    Generator gen(5);
    Mlp<double> mlp("3-4-4-2:swish:swish-out", gen);
    const auto report = gradcheck([&mlp](const std::vector<Tensor<double>>& in) { return mlp(in[0]); },
                                  {Tensor<double>(Tensor<double>::randn({2, 3}, gen).value(), true)});
    EXPECT_TRUE(report.ok) << report.str();
    EXPECT_EQ(report.checked, 6u);
    Activation<double> f("swish");
    const auto module = gradcheck([&f](const std::vector<Tensor<double>>& in) { return f(in[0]); },
                                  {Tensor<double>(Tensor<double>::randn({3, 4}, gen).value(), true)});
    EXPECT_TRUE(module.ok) << module.str();
}

TEST_F(CustomActivation, UnknownNamesListTheBuiltInAndRegisteredOnes) {
    EXPECT_THROW_MSG(parse_mlp_spec("4-8-3:swsh"), ValueError, "MLP spec \"4-8-3:swsh\"", "unknown activation \"swsh\"",
                     "sigmoid", "log_softmax", "registered: swish");
    EXPECT_THROW_MSG(Activation<float>("swsh"), ValueError, "unknown activation \"swsh\"", "registered: swish");
    EXPECT_THROW_MSG(parse_mlp_spec("4-8-3:swish(2)"), ValueError, "swish takes no parameter");
}

TEST_F(CustomActivation, BadRegistrations) {
    const auto id = [](const auto& x) { return x; };
    EXPECT_THROW_MSG(register_activation("swish", id), ValueError, "\"swish\" is already registered");
    EXPECT_THROW_MSG(register_activation("relu", id), ValueError, "\"relu\" is a built-in activation");
    EXPECT_THROW_MSG(register_activation("linear", id), ValueError, "\"linear\" is a built-in activation");
    EXPECT_THROW_MSG(register_activation("my-act", id), ValueError, "\"my-act\" is not a valid name");
    EXPECT_THROW_MSG(register_activation("2x", id), ValueError, "\"2x\" is not a valid name");
    EXPECT_THROW_MSG(register_activation("", id), ValueError, "is not a valid name");
    EXPECT_THROW_MSG(register_activation("gate_out", id), ValueError, "ends in \"_out\"");
    EXPECT_THROW_MSG(register_activation("half", ActivationFn<float>(), ActivationFn<double>(id)), ValueError,
                     "\"half\" needs a float and a double function");
    EXPECT_EQ(registered_activations(), std::vector<std::string>{"swish"});
}

TEST_F(CustomActivation, UnregisteringKeepsBuiltModulesWorking) {
    Generator gen(1);
    Mlp<double> mlp("2-3-1:swish", gen);
    EXPECT_TRUE(unregister_activation("swish"));
    EXPECT_FALSE(unregister_activation("swish"));
    EXPECT_THROW_MSG(parse_mlp_spec("2-3-1:swish"), ValueError, "unknown activation \"swish\"",
                     "no custom activation is registered");
    const Tensor<double> y = mlp(Tensor<double>({{1.0, 2.0}}));
    EXPECT_EQ(y.shape(), (Shape{1, 1}));
    EXPECT_THROW_MSG(activate(Tensor<double>({1.0}), mlp.layers()[0].act()), ValueError,
                     "no custom activation \"swish\" is registered (registered: none)");
    register_activation("swish", [](const auto& x) { return x * sigmoid(x); });  // for TearDown
}

TEST_F(CustomActivation, AFunctionThatChangesTheShapeIsAShapeError) {
    register_activation("total", [](const auto& x) { return sum(x); });
    Activation<float> f("total");
    EXPECT_THROW_MSG(f(Tensor<float>::ones({2, 3})), ShapeError,
                     "total: the custom activation returned shape [] for an input of shape [2, 3]", "elementwise");
    unregister_activation("total");
}

}  // namespace
}  // namespace dg::nn
