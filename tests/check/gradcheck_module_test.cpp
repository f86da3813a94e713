// gradcheck of a module: every trainable parameter is checked under its name, through the module's own forward;
// the user's case (parameters handed to dg::gradcheck with a function that reads the module) now checks real
// gradients; a forward that reads a parameter off the graph fails, naming it; values and .grad are left alone.
#include <cmath>
#include <cstring>
#include <memory>

#include <gtest/gtest.h>

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"
#include "nn/check/gradcheck_module.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/loss.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

using Inputs = std::vector<Tensor<double>>;

/// y = x·Wᵀ + b, but W enters through a detached copy: its gradient never reaches the parameter. A frozen
/// "offset" is added too.
class DetachedWeight : public Module<double> {
public:
    explicit DetachedWeight(Generator& gen) {
        weight_ = register_parameter("weight", Tensor<double>::randn({2, 3}, gen));
        bias_ = register_parameter("bias", Tensor<double>::randn({2}, gen));
        offset_ = register_parameter("offset", Tensor<double>::randn({2}, gen), false);
    }
    Tensor<double> forward(const Tensor<double>& x) override {
        return add(add(matmul(x, transpose(weight_.detach())), bias_), offset_);
    }

private:
    Tensor<double> weight_, bias_, offset_;
};

bool has(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

class GradcheckModule : public ::testing::Test {
protected:
    Generator gen{7};
    // 4·8 + 8 + 8·3 + 3 = 67 parameter elements, as in the report that found the vacuous check.
    Mlp<double> mlp{"4-8-3:tanh", gen};
    Tensor<double> x = Tensor<double>::randn({5, 4}, gen);
};

TEST_F(GradcheckModule, TheUsersCallNowChecksRealGradients) {
    // f reads the module, not its argument: the old gradcheck perturbed copies and reported 0 = 0 for all 67.
    const auto f = [&](const Inputs&) { return mlp(x); };
    const auto r = dg::gradcheck(f, mlp.parameters());
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(r.checked, 67u);
    for (const GradcheckInput& in : r.inputs) {
        EXPECT_FALSE(in.all_zero()) << in.str();
        EXPECT_NE(in.numeric, 0.0) << in.str();
        EXPECT_NEAR(in.analytic, in.numeric, 1e-8) << in.str();
    }
}

TEST_F(GradcheckModule, ChecksEveryParameterUnderItsName) {
    std::vector<Array<double>> before;
    for (const auto& p : mlp.parameters()) before.push_back(p.value());
    const auto r = gradcheck(mlp, x);
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(r.checked, 67u);
    const auto named = mlp.named_parameters();
    ASSERT_EQ(r.inputs.size(), named.size());
    for (std::size_t i = 0; i < named.size(); ++i) {
        EXPECT_EQ(r.inputs[i].name, named[i].first);
        EXPECT_EQ(r.inputs[i].shape, named[i].second.shape());
        EXPECT_EQ(std::memcmp(named[i].second.value().data(), before[i].data(), before[i].size() * sizeof(double)), 0)
            << named[i].first << " not restored";
        EXPECT_FALSE(named[i].second.has_grad()) << named[i].first << " was left a gradient";
    }
    EXPECT_TRUE(has(r.str(), "input 0 \"fc1.weight\" [8, 4], worst at [")) << r.str();
    EXPECT_TRUE(has(r.str(), "input 3 \"fc2.bias\" [3], worst at [")) << r.str();
    EXPECT_TRUE(has(r.str(), "compared: the gradient of sum(f(x) * R), R random [5, 3]")) << r.str();
}

TEST_F(GradcheckModule, ALossOfTheOutputAndTheInputToo) {
    const Tensor<double> target = Tensor<double>::randn({5, 3}, gen);
    Tensor<double> input = x.detach().set_requires_grad();
    ModuleGradcheckOptions options;
    options.check_input = true;
    const auto r = gradcheck(mlp, input, [&](const Tensor<double>& y) { return mse(y, target); }, options);
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(r.checked, 67u + 20u);
    EXPECT_EQ(r.quantity, "f(x)");
    ASSERT_EQ(r.inputs.size(), 5u);
    EXPECT_EQ(r.inputs[4].name, "input");
    // The reported values are the loss's gradient: compare the worst element of fc2.bias with autograd's.
    const Tensor<double> g = grad<double>({mse(mlp(input), target)}, {mlp.parameter("fc2.bias")})[0];
    const GradcheckInput& bias = r.inputs[3];
    EXPECT_DOUBLE_EQ(bias.analytic, g.value().data()[bias.index]);
    EXPECT_NEAR(bias.numeric, bias.analytic, 1e-9);
    // A constant input cannot be checked.
    EXPECT_THROW_MSG(gradcheck(mlp, x, {}, options), ValueError, "gradcheck: input 4 \"input\" (shape [5, 4]) does not require grad");
}

TEST_F(GradcheckModule, AParameterReadOffTheGraphFailsByName) {
    DetachedWeight layer(gen);
    const auto r = gradcheck(layer, Tensor<double>::randn({4, 3}, gen));
    EXPECT_FALSE(r.ok);
    ASSERT_EQ(r.inputs.size(), 2u);  // the frozen offset is a constant
    EXPECT_EQ(r.inputs[0].name, "weight");
    EXPECT_TRUE(r.inputs[0].analytic_zero);
    EXPECT_FALSE(r.inputs[0].numeric_zero);
    EXPECT_EQ(r.inputs[1].failed, 0u);  // the bias is right
    EXPECT_TRUE(has(r.problem, "input 0 \"weight\": the analytic gradient is 0 at every element but the numeric one is not"))
        << r.problem;
    EXPECT_FALSE(has(r.problem, "bias")) << r.problem;
}

TEST_F(GradcheckModule, NothingToCheckIsAnError) {
    auto frozen = std::make_shared<DetachedWeight>(gen);
    for (auto& p : frozen->parameters()) p.set_requires_grad(false);
    EXPECT_THROW_MSG(gradcheck(*frozen, x), ValueError, "gradcheck: Module has no parameter that requires grad");
}

}  // namespace
}  // namespace dg::nn
