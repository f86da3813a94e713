// bpcheck: every hidden activation × output/loss pair × L2 on/off × depth 1–4 agrees three ways (autograd, the
// delta reference, finite differences) in double and float; a reference with a wrong f' is caught; kinks are
// flagged, not failed; a custom activation is refused; golden fixtures round-trip and a tampered gradient fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"
#include "nn/check/bpcheck.hpp"
#include "nn/check/bpcheck_fixture.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/data/serialize.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

const char* const hidden_activations[] = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "abs", "identity"};

struct Head {
    Loss loss;
    const char* output;  // the Mlp's output activation
};
const Head heads[] = {{Loss::mse, "identity"},       {Loss::mse, "sigmoid"},       {Loss::mse_half, "identity"},
                      {Loss::mse_half, "tanh"},      {Loss::softmax_ce, "identity"}, {Loss::softmax_ce, "softmax"},
                      {Loss::bce, "identity"},       {Loss::bce, "sigmoid"}};

// "3-5-2-4:relu:sigmoid-out" with widths 1..5 (the output ≥ 2 for softmax) drawn from gen.
std::string random_spec(Generator& gen, std::size_t depth, const std::string& hidden, const Head& head) {
    std::string spec = std::to_string(1 + gen.below(5));
    for (std::size_t l = 1; l <= depth; ++l) {
        const std::size_t lo = l == depth && head.loss == Loss::softmax_ce ? 2 : 1;
        spec += "-" + std::to_string(lo + gen.below(6 - lo));
    }
    return spec + ":" + hidden + ":" + head.output + "-out";
}

template <class T>
BpcheckReport run(const std::string& spec, Loss loss, double lambda, std::size_t batch, std::uint64_t seed,
                  BpcheckOptions<T> options = {}) {
    Generator gen(seed);
    Mlp<T> mlp(spec, gen);
    randomize_biases(mlp, gen);
    const CheckBatch<T> b = make_check_batch<T>(mlp.spec(), loss, batch, gen);
    options.lambda = lambda;
    return bpcheck(mlp, b.X, b.Y, loss, options);
}

TEST(Bpcheck, EveryActivationLossL2AndDepthAgreesThreeWaysInDouble) {
    BpcheckOptions<double> options;
    options.tolerances.analytic = {1e-13, 1e-9};
    options.tolerances.numeric = {1e-12, 1e-9};
    Generator arch(2024);
    std::size_t configs = 0, coordinates = 0, flagged = 0;
    for (const char* hidden : hidden_activations)
        for (const Head& head : heads)
            for (double lambda : {0.0, 0.1})
                for (std::size_t depth = 1; depth <= 4; ++depth) {
                    const std::string spec = random_spec(arch, depth, hidden, head);
                    const std::size_t batch = 1 + arch.below(4);
                    const BpcheckReport r = run<double>(spec, head.loss, lambda, batch, arch.bits(), options);
                    ++configs;
                    coordinates += r.fd_count();
                    flagged += r.flagged_count();
                    EXPECT_TRUE(r.ok()) << r.table();
                    EXPECT_LE(r.flagged_count() * 5, r.fd_count()) << "too many kinks: " << r.table();
                    EXPECT_NEAR(r.loss_autograd, r.loss_fd, 1e-12 * (1 + r.loss_fd)) << r.table();
                }
    EXPECT_EQ(configs, 8u * 8u * 2u * 4u);
    EXPECT_GT(coordinates, 10000u);
    EXPECT_LE(flagged * 100, coordinates) << flagged << " of " << coordinates << " coordinates flagged";
}

TEST(Bpcheck, FloatAgreesToFloatTolerances) {
    Generator arch(7);
    for (const char* hidden : hidden_activations)
        for (const Head& head : heads) {
            const std::size_t depth = 2 + arch.below(2);
            const std::string spec = random_spec(arch, depth, hidden, head);
            const BpcheckReport r = run<float>(spec, head.loss, 0.05, 1 + arch.below(4), arch.bits());
            EXPECT_TRUE(r.ok()) << r.table();
            EXPECT_EQ(r.dtype, "float");
        }
}

TEST(Bpcheck, ReportsEveryLayerAndQuantity) {
    const BpcheckReport r = run<double>("4-6-5-3:tanh", Loss::softmax_ce, 0.01, 4, 1);
    ASSERT_EQ(r.layers.size(), 3u);
    for (std::size_t l = 0; l < 3; ++l) {
        EXPECT_EQ(r.layers[l].layer, l + 1);
        ASSERT_EQ(r.layers[l].quantities.size(), 3u);
        EXPECT_EQ(r.layers[l].quantities[0].name, "W");
        EXPECT_EQ(r.layers[l].quantities[2].name, "delta");
    }
    EXPECT_EQ(r.layers[0].quantities[0].shape, (Shape{6, 4}));
    EXPECT_EQ(r.layers[2].quantities[2].shape, (Shape{4, 3}));
    EXPECT_EQ(r.fd_count(), (24u + 6 + 24) + (30u + 5 + 20) + (15u + 3 + 12));
    // The output layer is named as the spec's header names it (once "softmax_ce" in the table and "identity@3" in
    // the header); the loss's head is the convention's business.
    EXPECT_EQ(r.spec, "4-6-5-3:tanh@1:tanh@2:identity@3");
    EXPECT_EQ(r.layers[2].activation, "identity");
    EXPECT_NE(r.convention.find("loss softmax_ce on the logits z(3)"), std::string::npos) << r.convention;
    // The table says what its columns, "fd" and "-" mean, and the batch convention, which it prints first.
    const std::string table = r.table();
    EXPECT_EQ(table.find("bpcheck 4-6-5-3:tanh@1:tanh@2:identity@3  loss softmax_ce  lambda 0.01  batch 4  double\n" +
                         r.convention + "loss value: autograd "),
              0u)
        << table;
    EXPECT_NE(table.find("\n3     identity    delta [4, 3]"), std::string::npos) << table;
    EXPECT_NE(table.find("abs/rel: the largest |x − y| over the quantity, and it divided by the quantity's largest"),
              std::string::npos);
    EXPECT_NE(table.find("fd: central finite differences of the loss on a forward pass of their own"), std::string::npos);
    EXPECT_NE(table.find("\"-\": nothing compared"), std::string::npos);
    EXPECT_EQ(r.table(false).find("loss value: autograd "), 0u);
    EXPECT_TRUE(r.ok()) << r.table();
    EXPECT_NE(r.table().find("PASS"), std::string::npos);
}

TEST(Bpcheck, SamplesFiniteDifferenceCoordinatesWhenAsked) {
    BpcheckOptions<double> options;
    options.max_fd_per_quantity = 3;
    const BpcheckReport r = run<double>("4-6-3:sigmoid", Loss::mse, 0, 4, 3, options);
    for (const auto& l : r.layers)
        for (const auto& q : l.quantities) EXPECT_EQ(q.fd_count, std::min<std::size_t>(3, q.shape.size() == 1 ? q.shape[0] : q.shape[0] * q.shape[1]));
    EXPECT_TRUE(r.ok()) << r.table();
}

// ---- kinks ---------------------------------------------------------------------------------------------------

TEST(Bpcheck, FlagsCoordinatesWhoseStencilCrossesAKink) {
    // A zero input row and zero biases put that sample's z(1) exactly on ReLU's kink.
    Generator gen(5);
    Mlp<double> mlp("3-4-2:relu", gen);
    CheckBatch<double> b = make_check_batch<double>(mlp.spec(), Loss::mse_half, 3, gen);
    xt::view(b.X, 1, xt::all()) = 0.0;
    const BpcheckReport r = bpcheck(mlp, b.X, b.Y, Loss::mse_half);
    const QuantityCheck& db1 = r.layers[0].quantities[1];
    const QuantityCheck& delta1 = r.layers[0].quantities[2];
    EXPECT_EQ(db1.flagged.size(), 4u) << r.table();  // every b(1)_i moves sample 1's z(1)_i across 0
    EXPECT_EQ(delta1.flagged, (std::vector<std::size_t>{4, 5, 6, 7})) << r.table();  // row 1 of z(1)
    EXPECT_TRUE(r.ok()) << r.table();
    EXPECT_EQ(r.flagged_count(), db1.flagged.size() + delta1.flagged.size());
}

// ---- a broken reference is caught ------------------------------------------------------------------------------

// The delta recurrence with a wrong f' on hidden layers: σ'(z) taken as σ(z) (the (1 − σ) forgotten), tanh'(z) as
// 1 − tanh(z) (the square forgotten). The output delta is the real one, so only the hidden layers go wrong.
template <class T>
reference::BackpropResult<T> broken_reference(const reference::MlpParams<T>& net, const Array<T>& X, const Array<T>& Y,
                                              Loss loss, T lambda) {
    reference::BackpropResult<T> r = reference::delta_backprop(net, X, Y, loss, lambda);
    const T m = static_cast<T>(X.shape()[0]);
    for (std::size_t l = net.layers.size() - 1; l-- > 0;) {
        auto& cur = r.layers[l];
        const auto& f = net.layers[l].activation;
        const T alpha = net.layers[l].resolved_alpha();
        Array<T> wrong = f == ActivationKind::sigmoid ? Array<T>(cur.a)
                         : f == ActivationKind::tanh  ? Array<T>(1 - cur.a)
                                                      : reference::activation_derivative(f, cur.z, alpha);
        cur.delta = xt::linalg::dot(r.layers[l + 1].delta, net.layers[l + 1].W) * wrong;
        cur.dW = xt::linalg::dot(xt::transpose(cur.delta), r.a(l)) + (lambda / m) * net.layers[l].W;
        cur.db = xt::sum(cur.delta, {0}, immediate);
    }
    return r;
}

TEST(Bpcheck, CatchesAReferenceWithAWrongDerivative) {
    for (const char* hidden : {"sigmoid", "tanh"}) {
        BpcheckOptions<double> options;
        options.reference = broken_reference<double>;
        const BpcheckReport r = run<double>(std::string("3-5-4-2:") + hidden, Loss::mse_half, 0.1, 4, 11, options);
        EXPECT_FALSE(r.ok()) << r.table();
        for (std::size_t l : {0, 1}) {  // the hidden layers: the reference disagrees with autograd and with FD
            for (const auto& q : r.layers[l].quantities) {
                EXPECT_FALSE(q.autograd_vs_reference.ok) << hidden << " layer " << l + 1 << " " << q.name;
                EXPECT_FALSE(q.reference_vs_fd.ok) << hidden << " layer " << l + 1 << " " << q.name;
                EXPECT_TRUE(q.autograd_vs_fd.ok) << hidden << " layer " << l + 1 << " " << q.name;
            }
        }
        EXPECT_TRUE(r.layers[2].ok()) << r.table();  // the output layer's delta is right
        EXPECT_NE(r.table().find("FAIL"), std::string::npos);
        EXPECT_NE(r.table().find("worst reference vs fd"), std::string::npos) << r.table();
    }
}

TEST(Bpcheck, TheSameBrokenReferenceIsFineWhereItIsNotUsed) {
    // Control for the test above: with softplus hidden units the double uses the true derivative and must pass.
    BpcheckOptions<double> options;
    options.reference = broken_reference<double>;
    EXPECT_TRUE(run<double>("3-5-4-2:softplus", Loss::mse_half, 0.1, 4, 11, options).ok());
}

TEST(Bpcheck, RefusesAnOutputThatDoesNotFitTheLoss) {
    Generator gen(1);
    Mlp<double> sig("3-4-2:tanh:sigmoid-out", gen);
    const CheckBatch<double> b = make_check_batch<double>(sig.spec(), Loss::softmax_ce, 2, gen);
    EXPECT_THROW(bpcheck(sig, b.X, b.Y, Loss::softmax_ce), ValueError);
    Mlp<double> soft("3-4-2:tanh:softmax-out", gen);
    EXPECT_THROW(bpcheck(soft, b.X, b.Y, Loss::mse), ValueError);
    EXPECT_THROW(bpcheck(soft, b.X, b.Y, Loss::bce), ValueError);
}

// One softmax output: the loss is 0 and every gradient 0 whatever the weights, which would pass three ways silently.
TEST(Bpcheck, RefusesSoftmaxCrossEntropyOnOneOutput) {
    Generator gen(1);
    Mlp<double> mlp("2-3-1:tanh", gen);
    const CheckBatch<double> b = make_check_batch<double>(mlp.spec(), Loss::softmax_ce, 3, gen);
    EXPECT_THROW_MSG(bpcheck(mlp, b.X, b.Y, Loss::softmax_ce), ValueError, "bpcheck: softmax_ce needs at least 2 outputs",
                     "got 1; use bce");
}

TEST(Bpcheck, RefusesACustomActivation) {
    register_activation("swish", [](const auto& x) { return x * sigmoid(x); });
    Generator gen(1);
    Mlp<double> mlp("3-4-2:swish", gen);
    const CheckBatch<double> b = make_check_batch<double>(mlp.spec(), Loss::mse, 2, gen);
    EXPECT_THROW_MSG(bpcheck(mlp, b.X, b.Y, Loss::mse), ValueError,
                     "bpcheck: layer 1's activation swish is a custom activation, which the delta reference has no "
                     "formula for");
    unregister_activation("swish");
}

// ---- golden fixtures -------------------------------------------------------------------------------------------

std::string temp_path(const std::string& name) {
    return std::string(DG_BINARY_DIR) + "/bpcheck_test_" + name + ".safetensors";
}

template <class T>
void round_trip(const std::string& spec, Loss loss, double lambda) {
    const std::string path = temp_path(std::string(dtype_label<T>()) + "_" + reference::loss_name(loss));
    Generator gen(3);
    Mlp<T> mlp(spec, gen);
    randomize_biases(mlp, gen);
    const CheckBatch<T> b = make_check_batch<T>(mlp.spec(), loss, 4, gen);
    save_bpcheck_fixture(path, mlp, b.X, b.Y, loss, lambda);

    const FixtureReport good = check_bpcheck_fixture(path);
    EXPECT_TRUE(good.ok()) << good.table();
    EXPECT_EQ(good.rows.size(), 1 + 3 * mlp.num_layers());
    EXPECT_EQ(good.spec, mlp.spec().str());
    EXPECT_EQ(good.lambda, lambda);
    for (const auto& row : good.rows) EXPECT_EQ(row.comparison.max_abs, 0.0) << row.name;  // same code, same bits

    const Fixture<T> f = load_bpcheck_fixture<T>(path);
    EXPECT_TRUE(bpcheck(*f.mlp, f.X, f.Y, f.loss, BpcheckOptions<T>{f.lambda}).ok());

    // Tamper with one stored gradient entry: the check must fail on that tensor only.
    SafetensorsFile file = load_safetensors(path);
    for (auto& t : file.tensors)
        if (t.name == "grad.fc1.weight") std::get<Array<T>>(t.value)(0, 1) *= T(1.01);
    save_safetensors(path, file.tensors, file.metadata);
    const FixtureReport bad = check_bpcheck_fixture(path);
    EXPECT_FALSE(bad.ok());
    for (const auto& row : bad.rows) EXPECT_EQ(row.comparison.ok, row.name != "grad.fc1.weight") << row.name;
    EXPECT_NE(bad.table().find("FAIL"), std::string::npos);
    std::remove(path.c_str());
}

TEST(BpcheckFixture, RoundTripPassesAndATamperedGradientFails) {
    round_trip<double>("4-5-3:tanh", Loss::softmax_ce, 0.01);
    round_trip<double>("3-4-4-2:relu:sigmoid-out", Loss::bce, 0);
    round_trip<float>("3-5-2:elu:sigmoid-out", Loss::mse, 0.1);
}

TEST(BpcheckFixture, RefusesAFileThatIsNotAFixture) {
    const std::string path = temp_path("not_a_fixture");
    save_safetensors(path, {{"x", Array<double>(xt::zeros<double>({2}))}});
    EXPECT_THROW(check_bpcheck_fixture(path), IoError);
    std::remove(path.c_str());
}

}  // namespace
}  // namespace dg::nn
