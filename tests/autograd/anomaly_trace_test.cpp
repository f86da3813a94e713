// Anomaly mode (NaN/Inf caught in forward and backward, naming the op and where it was created), name scopes
// as labels, and the backward trace sink.
#include <gtest/gtest.h>

#include "autograd/inspect/anomaly.hpp"
#include "autograd/inspect/name_scope.hpp"
#include "autograd/ops.hpp"
#include "support/expect_throw.hpp"

using namespace dg;

TEST(Anomaly, LogOfNegativeIsCaughtInForwardWithOpAndScope) {
    Tensord x({1.0, -2.0, 3.0}, true);
    {
        // Outside anomaly mode log(-2) is NaN, as in NumPy.
        EXPECT_TRUE(std::isnan(log(x).at(1)));
    }
    AnomalyGuard anomaly;
    NameScope model("model");
    NameScope layer("fc1");
    EXPECT_THROW_MSG(log(x), AnomalyError, "log produced NaN");
    EXPECT_THROW_MSG(log(x), AnomalyError, "created in model.fc1");
    EXPECT_THROW_MSG(log(x), AnomalyError, "[3]");
}

TEST(Anomaly, ZeroOverZeroIsCaught) {
    Tensord a({0.0, 1.0}, true);
    Tensord b({0.0, 2.0}, true);
    AnomalyGuard anomaly;
    EXPECT_THROW_MSG(div(a, b), AnomalyError, "div produced NaN or Inf");
}

TEST(Anomaly, NaNInBackwardNamesTheOp) {
    // sqrt(x) at 0 is finite (0) but its gradient 1/(2·0) is Inf: only the backward can catch it.
    Tensord x({0.0, 4.0}, true);
    AnomalyGuard anomaly;
    Tensord y;
    {
        NameScope scope("head");
        y = sum(sqrt(x));
    }
    EXPECT_THROW_MSG(y.backward(), AnomalyError, "the backward of sqrt (created in head)");
}

TEST(Anomaly, GuardRestoresPreviousMode) {
    EXPECT_FALSE(anomaly_enabled());
    {
        AnomalyGuard a;
        EXPECT_TRUE(anomaly_enabled());
    }
    EXPECT_FALSE(anomaly_enabled());
}

TEST(NameScope, NestedScopesJoinAndUnwind) {
    EXPECT_EQ(current_scope(), "");
    Tensord x({1.0}, true);
    {
        NameScope a("net");
        {
            NameScope b("fc2");
            EXPECT_EQ(current_scope(), "net.fc2");
            EXPECT_EQ(tanh(x).label(), "net.fc2");
        }
        EXPECT_EQ(current_scope(), "net");
    }
    EXPECT_EQ(current_scope(), "");
    EXPECT_EQ(tanh(x).label(), "");
}

namespace {
struct Recorder : Observer<double> {
    std::vector<std::string> ops;
    std::vector<double> grads_out;
    void computed(const Tensord& output, const Tensord& grad_out, const TensorList<double>&) override {
        ops.emplace_back(output.op());
        grads_out.push_back(grad_out.value().data()[0]);
    }
};
}  // namespace

TEST(Trace, RecordsEveryNodeInReverseOrderWithItsIncomingGradient) {
    // l = tanh(w·x) * 3 at w = 0.5, x = 2: the trace visits mul_scalar (g = 1), tanh (g = 3), mul (g = 3(1-tanh²(1))).
    Tensord w = Tensord::scalar(0.5, true);
    Tensord x = Tensord::scalar(2.0);
    Recorder rec;
    {
        ObserverGuard<double> trace(rec);
        (tanh(w * x) * 3.0).backward();
    }
    ASSERT_EQ(rec.ops, (std::vector<std::string>{"mul_scalar", "tanh", "mul"}));
    EXPECT_DOUBLE_EQ(rec.grads_out[0], 1.0);
    EXPECT_DOUBLE_EQ(rec.grads_out[1], 3.0);
    const double t = std::tanh(1.0);
    EXPECT_NEAR(rec.grads_out[2], 3.0 * (1 - t * t), 1e-15);
    EXPECT_NEAR(w.grad().item(), 3.0 * (1 - t * t) * 2.0, 1e-15);
}
