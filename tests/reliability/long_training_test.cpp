// A long training loop (an MLP trained for thousands of steps with Adam, graphs built and freed every step):
// under `make sanitize` LeakSanitizer checks at exit that nothing the loop allocated leaked (a backward
// closure holding its own node, an optimizer buffer never freed, ...). Here it also checks that it learns.
#include <cmath>
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "nn/nn.hpp"
#include "nn/optim/optim.hpp"

namespace {

using namespace dg;

TEST(LongTraining, ThreeThousandAdamStepsOnAnMlpLearnAndFreeEveryGraph) {
    Generator gen(42);
    nn::Mlp<float> model("6-16-16-3:tanh", gen);
    optim::Adam<float> adam(model.parameters(), optim::AdamOptions(1e-2));
    // Three classes separated by the sign of two coordinates (learnable, not trivially).
    const std::size_t n = 48;
    const Tensor<float> x = Tensor<float>::randn({n, 6}, gen);
    std::vector<std::size_t> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        const float a = x.value()(i, 0), b = x.value()(i, 1);
        y[i] = a > 0 ? (b > 0 ? 0 : 1) : 2;
    }
    double first = 0, last = 0;
    for (int step = 0; step < 3000; ++step) {
        adam.zero_grad();
        const Tensor<float> loss = nn::cross_entropy(model(x), y);
        loss.backward();
        adam.step();
        if (step == 0) first = loss.item();
        last = loss.item();
    }
    EXPECT_TRUE(std::isfinite(last));
    EXPECT_LT(last, 0.1 * first);
    // Each step's graph is gone: the weights are leaves again with nothing holding them but the model,
    // the optimizer and this test (no graph node keeps a reference).
    for (const Tensor<float>& p : model.parameters()) EXPECT_TRUE(p.is_leaf());
}

}  // namespace
