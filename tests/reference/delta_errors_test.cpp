// Misuse of the delta reference: each bad shape or value throws the right dg:: error type, and the message names
// the function, the layer and the actual vs expected shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_backprop.hpp"
#include "nn/reference/delta_sgd.hpp"

namespace dg::reference {
namespace {

// A valid 4-3-2 net and a batch of 6: each test breaks one thing.
struct Fixture {
    MlpParams<double> net{{{xt::ones<double>({3, 4}), xt::zeros<double>({3}), ActivationKind::tanh, {}},
                           {xt::ones<double>({2, 3}), xt::zeros<double>({2}), ActivationKind::identity, {}}}};
    Array<double> X = xt::ones<double>({6, 4});
    Array<double> Y = xt::ones<double>({6, 2}) * 0.5;
};

// Runs f, expects exception E and returns its message (empty, with a failure, if nothing or the wrong type).
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type: " << e.what();
        return {};
    }
    ADD_FAILURE() << "nothing was thrown";
    return {};
}

TEST(DeltaErrors, WeightShapeNamesLayerAndShapes) {
    Fixture f;
    f.net.layers[1].W = xt::ones<double>({3, 5});
    f.net.layers[1].b = xt::zeros<double>({3});
    EXPECT_EQ(message_of<ShapeError>([&] { delta_backprop(f.net, f.X, f.Y, Loss::mse); }),
              "delta_backprop: layer 2 weight has shape [3, 5], expected [*, 3]");
    f.net.layers[0].W = xt::ones<double>({4});
    EXPECT_EQ(message_of<ShapeError>([&] { delta_loss(f.net, f.X, f.Y, Loss::mse); }),
              "delta_loss: layer 1 weight has shape [4], expected [*, 4]");
}

TEST(DeltaErrors, BiasInputAndTargetShapes) {
    Fixture f;
    f.net.layers[0].b = xt::zeros<double>({1, 3});
    EXPECT_EQ(message_of<ShapeError>([&] { delta_backprop(f.net, f.X, f.Y, Loss::mse); }),
              "delta_backprop: layer 1 bias has shape [1, 3], expected [3]");

    Fixture g;
    const Array<double> x1 = xt::ones<double>({4});
    const std::string x_msg = message_of<ShapeError>([&] { delta_backprop(g.net, x1, g.Y, Loss::mse); });
    EXPECT_NE(x_msg.find("input X has shape [4], expected [m, n_in]"), std::string::npos) << x_msg;

    const Array<double> y_bad = xt::ones<double>({5, 2});
    EXPECT_EQ(message_of<ShapeError>([&] { delta_backprop(g.net, g.X, y_bad, Loss::mse); }),
              "delta_backprop: target Y has shape [5, 2], expected [6, 2]");
}

TEST(DeltaErrors, ValuesTheReferenceRejects) {
    Fixture f;
    MlpParams<double> empty;
    EXPECT_EQ(message_of<ValueError>([&] { delta_backprop(empty, f.X, f.Y, Loss::mse); }),
              "delta_backprop: the network has no layers");
    const std::string neg = message_of<ValueError>([&] { delta_backprop(f.net, f.X, f.Y, Loss::mse, -0.5); });
    EXPECT_NE(neg.find("lambda is -0.5"), std::string::npos) << neg;

    f.net.layers[1].activation = ActivationKind::relu;
    const std::string ce = message_of<ValueError>([&] { delta_backprop(f.net, f.X, f.Y, Loss::softmax_ce); });
    EXPECT_NE(ce.find("must be identity, got relu"), std::string::npos) << ce;
    const std::string bce = message_of<ValueError>([&] { delta_backprop(f.net, f.X, f.Y, Loss::bce); });
    EXPECT_NE(bce.find("identity or sigmoid, got relu"), std::string::npos) << bce;
    // relu at the output is fine for the mean squared errors (the general δ(L) = ∂l/∂a ⊙ f'(z)).
    EXPECT_NO_THROW(delta_backprop(f.net, f.X, f.Y, Loss::mse_half));

    f.net.layers[0].activation = ActivationKind::leaky_relu;
    f.net.layers[0].alpha = std::numeric_limits<double>::quiet_NaN();
    const std::string alpha = message_of<ValueError>([&] { delta_backprop(f.net, f.X, f.Y, Loss::mse); });
    EXPECT_NE(alpha.find("layer 1 alpha is nan"), std::string::npos) << alpha;
}

TEST(DeltaErrors, ActivationsWithoutAFormulaNameTheLayer) {
    Fixture f;
    f.net.layers[0].activation = ActivationKind::softmax;
    EXPECT_EQ(message_of<ValueError>([&] { delta_backprop(f.net, f.X, f.Y, Loss::mse); }),
              "delta_backprop: layer 1 activation is softmax, which the delta reference has no formula for (it has "
              "the elementwise built-ins)");
    f.net.layers[0].activation = ActivationKind::tanh;
    f.net.layers[1].activation = ActivationKind::custom;
    const std::string custom = message_of<ValueError>([&] { delta_loss(f.net, f.X, f.Y, Loss::mse); });
    EXPECT_NE(custom.find("delta_loss: layer 2 activation is custom, which the delta reference has no formula"),
              std::string::npos)
        << custom;
}

TEST(DeltaErrors, SgdStepThrowsAndLeavesTheNetUnchanged) {
    Fixture f;
    SgdWorkspace<double> ws;
    const MlpParams<double> before = f.net;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::string lr = message_of<ValueError>([&] { delta_sgd_step(f.net, f.X, f.Y, Loss::mse, nan, 0.0, ws); });
    EXPECT_NE(lr.find("delta_sgd_step: learning rate is nan"), std::string::npos) << lr;
    const Array<double> y_bad = xt::ones<double>({6, 3});
    EXPECT_EQ(message_of<ShapeError>([&] { delta_sgd_step(f.net, f.X, y_bad, Loss::mse, 0.1, 0.0, ws); }),
              "delta_sgd_step: target Y has shape [6, 3], expected [6, 2]");
    for (std::size_t l = 0; l < 2; ++l) {
        EXPECT_EQ(f.net.layers[l].W, before.layers[l].W);
        EXPECT_EQ(f.net.layers[l].b, before.layers[l].b);
    }
}

TEST(DeltaErrors, LossFunctionsCheckTheirShapes) {
    const Array<double> z = xt::zeros<double>({2, 3}), y = xt::zeros<double>({2, 2});
    const std::string msg = message_of<ShapeError>([&] { loss_value(Loss::mse, z, z, y); });
    EXPECT_NE(msg.find("loss_value: z, a and y must all be [m, n]; got z [2, 3], a [2, 3], y [2, 2]"),
              std::string::npos)
        << msg;
    Array<double> delta;
    EXPECT_THROW(output_delta_into(Loss::bce, ActivationKind::identity, 0.0, z, z, y, delta), ShapeError);
}

}  // namespace
}  // namespace dg::reference
