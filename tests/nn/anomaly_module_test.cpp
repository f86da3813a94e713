// Anomaly mode through the nn front end: an exploding learning rate is caught at the first NaN/Inf, and the
// error names the op and the module it was created in.
#include <gtest/gtest.h>

#include "autograd/inspect/anomaly.hpp"
#include "nn/loss.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/optim/sgd.hpp"

using namespace dg;

TEST(AnomalyModule, ExplodingLearningRateIsCaughtWithTheModulePath) {
    Generator gen(3);
    nn::Mlp<float> model("4-8-3:relu", gen);
    optim::SGD<float> opt(model.parameters(), optim::SGDOptions(1e30));
    Tensor<float> x = Tensor<float>::randn({16, 4}, gen, 0, 100);
    std::vector<std::size_t> y(16);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = i % 3;

    AnomalyGuard anomaly;
    int step = 0;
    std::string message;
    try {
        for (; step < 50; ++step) {
            Tensor<float> loss = nn::cross_entropy(model(x), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
    } catch (const AnomalyError& e) {
        message = e.what();
    }
    ASSERT_FALSE(message.empty()) << "50 steps at lr 1e30 produced no NaN/Inf";
    EXPECT_LT(step, 50);
    // The first non-finite value arises inside the model: the message says which layer.
    EXPECT_NE(message.find("created in fc"), std::string::npos) << message;
}

TEST(AnomalyModule, HealthyTrainingRunsUnderAnomalyMode) {
    Generator gen(4);
    nn::Mlp<double> model("3-5-2:tanh", gen);
    optim::SGD<double> opt(model.parameters(), optim::SGDOptions(0.1));
    Tensor<double> x = Tensor<double>::randn({8, 3}, gen);
    std::vector<std::size_t> y{0, 1, 0, 1, 1, 0, 0, 1};
    AnomalyGuard anomaly;
    double first = 0, last = 0;
    for (int step = 0; step < 30; ++step) {
        Tensor<double> loss = nn::cross_entropy(model(x), y);
        if (step == 0) first = loss.item();
        last = loss.item();
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    EXPECT_LT(last, first);
}
