// bpcheck on CNN specs: every activation with both pooling kinds and every loss agrees three ways (autograd, the conv
// delta reference, finite differences) in double and float, grouped convolutions too; batch and layer norm are checked
// two ways and say so; a finite-difference step that is too large fails the check; kinks are flagged; CNN fixtures
// round-trip and a tampered gradient fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "autograd/array/errors.hpp"
#include "nn/check/bpcheck_cnn.hpp"
#include "nn/data/serialize.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

template <class T>
BpcheckReport run(const std::string& spec, Loss loss, std::size_t batch, std::uint64_t seed,
                  const BpcheckOptions<T>& options = {}) {
    Generator gen(seed);
    Cnn<T> cnn(spec, gen);
    const CheckBatch<T> b = make_check_batch<T>(cnn.spec(), loss, batch, gen);
    return bpcheck(cnn, b.X, b.Y, loss, options);
}

/// The largest relative autograd-vs-reference error over every quantity, and the numbers compared with FD.
struct Totals {
    double worst_ref = 0;
    std::size_t fd = 0, flagged = 0, ref_compared = 0;
};
Totals totals(const BpcheckReport& r) {
    Totals t;
    for (const LayerCheck& l : r.layers)
        for (const QuantityCheck& q : l.quantities) {
            t.worst_ref = std::max(t.worst_ref, q.autograd_vs_reference.max_rel);
            t.ref_compared += q.autograd_vs_reference.compared;
            t.fd += q.autograd_vs_fd.compared;
            t.flagged += q.flagged.size();
        }
    return t;
}

TEST(BpcheckCnn, EveryActivationWithBothPoolingKindsAgreesThreeWays) {
    const char* activations[] = {"sigmoid", "tanh", "relu", "leaky_relu(0.2)", "elu", "softplus", "abs", "identity"};
    std::size_t configs = 0, flagged = 0, fd = 0;
    for (const char* act : activations)
        for (const char* pool : {"m2", "a2"}) {
            // conv → pool → conv (stride 2, padding) → flatten → dense → dense, the activation on every layer but the
            // output, and once on a pooling layer itself.
            const std::string spec = std::string("1x6x6-c2k3p1-") + act + "-" + pool + "-c3k2s2p1-" + act + "-flat-5-" +
                                     act + "-3";
            SCOPED_TRACE(spec);
            const BpcheckReport r = run<double>(spec, Loss::softmax_ce, 3, 7 + configs);
            EXPECT_TRUE(r.ok()) << r.table();
            EXPECT_TRUE(r.reference_run);
            ASSERT_EQ(r.layers.size(), 6u);
            EXPECT_EQ(r.layers[0].quantities.size(), 3u);  // W, b, delta
            EXPECT_EQ(r.layers[1].quantities.size(), 1u);  // a pool has delta only
            const Totals t = totals(r);
            EXPECT_LT(t.worst_ref, 1e-12) << r.table();
            EXPECT_GT(t.ref_compared, 300u);
            EXPECT_GT(t.fd, 200u);
            fd += t.fd;
            flagged += t.flagged;
            ++configs;
        }
    EXPECT_EQ(configs, 16u);
    EXPECT_LT(flagged, fd / 20);  // kinks are rare: most coordinates are compared
    // An activation after pooling, dilation, a strided average pool with padding, the mse losses with an output
    // activation, and bce.
    for (const auto& [spec, loss] : {std::pair<const char*, Loss>{"2x7x6-c3k3d2p1-tanh-a3s2p1-relu-flat-4-sigmoid", Loss::mse},
                                     {"1x5x5-c2k2-elu-m3s1p1-flat-softplus-3-tanh", Loss::mse_half},
                                     {"1x5x5-c2k2-m2-sigmoid-flat-2", Loss::bce}}) {
        SCOPED_TRACE(spec);
        const BpcheckReport r = run<double>(spec, loss, 4, 3);
        EXPECT_TRUE(r.ok()) << r.table();
        EXPECT_LT(totals(r).worst_ref, 1e-12) << r.table();
    }
}

TEST(BpcheckCnn, AgreesInFloat) {
    const BpcheckReport r = run<float>("1x6x6-c2k3p1-tanh-m2-flat-4-relu-3", Loss::softmax_ce, 3, 5);
    EXPECT_TRUE(r.ok()) << r.table();
    EXPECT_EQ(r.dtype, "float");
    EXPECT_GT(totals(r).ref_compared, 100u);
}

TEST(BpcheckCnn, NormsAreCheckedTwoWaysAndSaySo) {
    for (const auto& [spec, what] : {std::pair<const char*, const char*>{"1x6x6-c2k3p1-bn-relu-m2-flat-4-bn-tanh-3", "batch normalization"},
                                     {"1x6x6-c2k3-ln-elu-flat-3", "layer normalization"}}) {
        SCOPED_TRACE(spec);
        const BpcheckReport r = run<double>(spec, Loss::softmax_ce, 4, 11);
        EXPECT_TRUE(r.ok()) << r.table();
        EXPECT_FALSE(r.reference_run);
        EXPECT_NE(r.note.find(what), std::string::npos) << r.note;
        EXPECT_NE(r.note.find("two ways"), std::string::npos);
        EXPECT_NE(r.table().find("reference - (not run)"), std::string::npos);
        const Totals t = totals(r);
        EXPECT_EQ(t.ref_compared, 0u);
        EXPECT_GT(t.fd, 100u);
    }
    // A grouped convolution goes to the reference as the full one with a kernel zero between groups: three ways.
    const BpcheckReport g = run<double>("4x5x5-c6k3g2-tanh-c4k2g2p1-relu-flat-3", Loss::softmax_ce, 3, 12);
    EXPECT_TRUE(g.ok()) << g.table();
    EXPECT_TRUE(g.reference_run);
    EXPECT_EQ(g.layers[0].quantities[0].shape, (Shape{6, 2, 3, 3}));
    EXPECT_LT(totals(g).worst_ref, 1e-12) << g.table();
    EXPECT_GT(totals(g).ref_compared, 300u);
    // Batch norm's γ and β are checked as the layer's parameters.
    const BpcheckReport r = run<double>("1x4x4-c2k3-bn-flat-2", Loss::mse, 3, 1);
    ASSERT_EQ(r.layers[1].quantities.size(), 3u);
    EXPECT_EQ(r.layers[1].quantities[0].name, "gamma");
    EXPECT_EQ(r.layers[1].quantities[1].name, "beta");
    EXPECT_TRUE(r.ok()) << r.table();
}

TEST(BpcheckCnn, CanFailAndFlagsKinks) {
    // A step of 0.5 makes the finite differences' truncation error visible: autograd and the reference still agree.
    BpcheckOptions<double> coarse;
    coarse.eps = 0.5;
    const BpcheckReport r = run<double>("1x6x6-c2k3p1-tanh-a2-flat-3", Loss::softmax_ce, 3, 2, coarse);
    EXPECT_FALSE(r.ok());
    EXPECT_LT(totals(r).worst_ref, 1e-12);
    EXPECT_NE(r.table().find("FAIL"), std::string::npos);
    // Many ReLU units with small inputs and a step of 0.05: stencils cross kinks, which are flagged, not failed.
    BpcheckOptions<double> wide;
    wide.eps = 0.05;
    wide.tolerances.numeric = {1e-6, 1e-3};
    const BpcheckReport k = run<double>("1x6x6-c3k3p1-relu-m2-flat-4-relu-3", Loss::softmax_ce, 4, 3, wide);
    EXPECT_GT(totals(k).flagged, 0u) << k.table();
    EXPECT_TRUE(k.ok()) << k.table();
}

TEST(BpcheckCnn, RefusesWhatItCannotCheck) {
    Generator gen(0);
    Cnn<double> cnn("1x4x4-c2k3-relu-flat-3-softmax", gen);
    const CheckBatch<double> b = make_check_batch<double>(cnn.spec(), Loss::mse, 2, gen);
    EXPECT_THROW_MSG(bpcheck(cnn, b.X, b.Y, Loss::bce), ValueError, "does not fit output activation softmax");
    BpcheckOptions<double> l2;
    l2.lambda = 0.1;
    EXPECT_THROW_MSG(bpcheck(cnn, b.X, b.Y, Loss::mse, l2), ValueError, "MLP specs only");
    EXPECT_THROW_MSG(bpcheck(cnn, b.X, Array<double>(xt::zeros<double>({2, 4})), Loss::softmax_ce), ShapeError, "[m, 3]");
}

TEST(BpcheckCnn, FixturesRoundTripAndATamperedGradientFails) {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("dg_bpcheck_cnn_" + std::to_string(::getpid()) + ".safetensors")).string();
    Generator gen(4);
    Cnn<double> cnn("1x6x6-c2k3p1-bn-relu-m2-flat-3", gen);
    const CheckBatch<double> b = make_check_batch<double>(cnn.spec(), Loss::softmax_ce, 3, gen);
    save_bpcheck_fixture(path, cnn, b.X, b.Y, Loss::softmax_ce);
    const FixtureReport ok = check_bpcheck_fixture(path);
    EXPECT_TRUE(ok.ok()) << ok.table();
    EXPECT_EQ(ok.rows.size(), 12u);  // the loss, 6 parameters (conv1, bn1, fc1: 2 each), z of 5 layers
    SafetensorsFile file = load_safetensors(path);
    for (NamedArray& t : file.tensors)
        if (t.name == "grad.conv1.weight") std::get<Array<double>>(t.value).data()[3] += 1e-6;
    save_safetensors(path, file.tensors, file.metadata);
    const FixtureReport bad = check_bpcheck_fixture(path);
    EXPECT_FALSE(bad.ok());
    std::size_t failed = 0;
    for (const FixtureRow& row : bad.rows) failed += !row.comparison.ok;
    EXPECT_EQ(failed, 1u) << bad.table();
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace dg::nn
