// First checks of the core: a scalar chain, fan-out accumulation, broadcast reduction, matmul gradcheck.
#include <gtest/gtest.h>

#include "autograd/inspect/gradcheck.hpp"
#include "autograd/ops.hpp"

using namespace dg;

TEST(Smoke, ChainRuleOnScalars) {
    Tensord x = Tensord::scalar(2.0, true);
    Tensord y = x * x * 3.0 + x;  // dy/dx = 6x + 1 = 13
    y.backward();
    EXPECT_DOUBLE_EQ(x.grad().item(), 13.0);
}

TEST(Smoke, BroadcastGradientIsReduced) {
    Tensord a({{1, 2, 3}, {4, 5, 6}}, true);
    Tensord b({10, 20, 30}, true);
    sum(a * b).backward();
    EXPECT_EQ(b.grad().shape(), (Shape{3}));
    EXPECT_DOUBLE_EQ(b.grad().at(0), 5.0);
    EXPECT_DOUBLE_EQ(a.grad().at(4), 20.0);
}

TEST(Smoke, MatmulGradcheck) {
    Generator gen(1);
    auto a = Tensord::randn({3, 4}, gen, 0, 1, true);
    auto b = Tensord::randn({4, 2}, gen, 0, 1, true);
    auto r = gradcheck([](const std::vector<Tensord>& x) { return matmul(x[0], x[1]); }, {a, b});
    EXPECT_TRUE(r.ok) << r.str();
    auto r2 = gradgradcheck([](const std::vector<Tensord>& x) { return tanh(matmul(x[0], x[1])); }, {a, b});
    EXPECT_TRUE(r2.ok) << r2.str();
}
