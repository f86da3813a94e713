// bpcheck on recurrent networks (nn/check/bpcheck_rnn.*): three-way agreement for the Elman network (tanh, ReLU), the
// LSTM and the GRU, δ per layer and per step in the report, embedding input, the loss at the last step,
// float, golden fixtures that round-trip and catch a changed gradient, and errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>

#include "nn/check/bpcheck_rnn.hpp"
#include "nn/data/serialize.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

/// The check of `spec` on a batch of 3 sequences, as `bpcheck --spec` runs it.
template <class T = double>
BpcheckReport check(const std::string& spec, Loss loss, std::uint64_t seed = 1) {
    Generator gen(seed);
    RecurrentNet<T> net(spec, gen);
    const CheckBatch<T> batch = make_check_batch<T>(net.spec(), loss, 3, gen);
    return bpcheck(net, batch.X, batch.Y, loss);
}

/// Every quantity compared with the finite differences and, everywhere, with the reference.
void expect_all_compared(const BpcheckReport& r) {
    for (const auto& layer : r.layers)
        for (const auto& q : layer.quantities) {
            EXPECT_GT(q.autograd_vs_fd.compared + q.flagged.size(), 0u) << layer.layer << " " << q.name;
            EXPECT_EQ(q.autograd_vs_reference.compared, q.autograd.size()) << layer.layer << " " << q.name;
            // The values themselves, for --show and --json: the reference's only when it ran.
            EXPECT_EQ(shape_of(q.autograd), q.shape);
            EXPECT_EQ(shape_of(q.fd), q.shape);
            EXPECT_EQ(shape_of(q.reference), q.shape);
        }
}

/// Row names of a report's layer.
std::vector<std::string> names(const LayerCheck& l) {
    std::vector<std::string> out;
    for (const auto& q : l.quantities) out.push_back(q.name);
    return out;
}

TEST(BpttBpcheck, ElmanTanhAgreesThreeWaysWithDeltaAtEveryStep) {
    const BpcheckReport r = check("3-5-4-3:rnn:T4", Loss::softmax_ce);
    EXPECT_TRUE(r.ok()) << r.table();
    EXPECT_TRUE(r.reference_run);
    expect_all_compared(r);
    ASSERT_EQ(r.layers.size(), 3u);  // two recurrent layers and the head
    EXPECT_EQ(r.layers[0].layer, 1u);
    EXPECT_EQ(r.layers[0].activation, "rnn-tanh");
    EXPECT_EQ(names(r.layers[1]), (std::vector<std::string>{"W_ih", "W_hh", "b_ih", "b_hh", "delta t1", "delta t2",
                                                             "delta t3", "delta t4"}));
    EXPECT_EQ(r.layers[1].quantities[4].shape, (Shape{3, 4}));  // δ_1 of layer 2: [N, H]
    EXPECT_EQ(names(r.layers[2]), (std::vector<std::string>{"W", "b", "delta"}));
    EXPECT_EQ(r.layers[2].quantities[2].shape, (Shape{12, 3}));  // the head's δ: T·N rows
    EXPECT_NEAR(r.loss_autograd, r.loss_reference, 1e-12);
    EXPECT_NEAR(r.loss_autograd, r.loss_fd, 1e-12);
    EXPECT_NE(r.table().find("delta t4"), std::string::npos);
}

TEST(BpttBpcheck, ElmanReluAgreesThreeWaysAtTheLastStep) {
    const BpcheckReport r = check("2-6-3:rnn-relu:T5:last", Loss::mse_half, 2);
    EXPECT_TRUE(r.ok()) << r.table();
    expect_all_compared(r);
    EXPECT_EQ(r.layers.back().quantities.back().shape, (Shape{3, 3}));  // the head reads the last step only
}

TEST(BpttBpcheck, LstmAgreesThreeWaysWithTheGatesDeltaAndAnEmbedding) {
    const BpcheckReport r = check("emb6x3-4-4-6:lstm:T3", Loss::softmax_ce, 3);
    EXPECT_TRUE(r.ok()) << r.table();
    expect_all_compared(r);
    ASSERT_EQ(r.layers.size(), 4u);
    EXPECT_EQ(r.layers[0].layer, 0u);
    EXPECT_EQ(names(r.layers[0]), (std::vector<std::string>{"E"}));
    EXPECT_EQ(r.layers[1].quantities[0].shape, (Shape{16, 3}));  // W_ih: the gate blocks i, f, g, o
    EXPECT_EQ(r.layers[1].quantities[4].shape, (Shape{3, 16}));  // δ_1: [N, 4H]
}

TEST(BpttBpcheck, GruAgreesThreeWaysWithTheBlocksDelta) {
    const BpcheckReport r = check("3-4-4-2:gru:T4", Loss::softmax_ce, 4);
    EXPECT_TRUE(r.ok()) << r.table();
    EXPECT_TRUE(r.reference_run);
    expect_all_compared(r);
    EXPECT_EQ(r.layers[0].quantities[4].shape, (Shape{3, 12}));  // δ_1: [N, 3H], blocks r, z, n
    EXPECT_NEAR(r.loss_autograd, r.loss_reference, 1e-12);
}

TEST(BpttBpcheck, FloatAgreesWithinFloatsTolerances) {
    const BpcheckReport r = check<float>("3-6-3:lstm:T4", Loss::softmax_ce, 5);
    EXPECT_TRUE(r.ok()) << r.table();
    EXPECT_EQ(r.dtype, "float");
}

TEST(BpttBpcheck, RefusesL2) {
    Generator gen(6);
    RecurrentNet<double> net("3-4-2:rnn", gen);
    const CheckBatch<double> b = make_check_batch<double>(net.spec(), Loss::softmax_ce, 2, gen);
    BpcheckOptions<double> o;
    o.lambda = 0.1;
    EXPECT_THROW_MSG(bpcheck(net, b.X, b.Y, Loss::softmax_ce, o), ValueError, "L2", "not supported");
}

TEST(BpttBpcheck, FixturesRoundTripAndCatchAChangedGradient) {
    const std::string dir = (std::filesystem::temp_directory_path() / ("dg_bptt_" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(dir);
    Generator gen(7);
    RecurrentNet<double> net("emb5x3-4-5:lstm:T3", gen);
    const CheckBatch<double> b = make_check_batch<double>(net.spec(), Loss::softmax_ce, 2, gen);
    const std::string file = dir + "/golden.safetensors";
    save_bpcheck_fixture(file, net, b.X, b.Y, Loss::softmax_ce);
    const FixtureReport ok = check_bpcheck_fixture(file);  // dispatched on the spec
    EXPECT_TRUE(ok.ok()) << ok.table();
    EXPECT_EQ(ok.spec, "emb5x3-4-5:lstm:T3:every");
    std::vector<std::string> rows;
    for (const auto& row : ok.rows) rows.push_back(row.name);
    EXPECT_EQ(rows.front(), "loss");
    EXPECT_NE(std::find(rows.begin(), rows.end(), "grad.delta1"), rows.end());
    EXPECT_NE(std::find(rows.begin(), rows.end(), "grad.rnn1.weight_hh_l0"), rows.end());
    EXPECT_EQ(rows.back(), "grad.z2");

    // The same file with one stored δ changed: the recomputation disagrees there.
    SafetensorsFile f = load_safetensors(file);
    for (auto& t : f.tensors)
        if (t.name == "grad.delta1") std::get<Array<double>>(t.value).flat(5) += 1e-3;
    const std::string changed = dir + "/changed.safetensors";
    save_safetensors(changed, f.tensors, f.metadata);
    const FixtureReport bad = check_bpcheck_fixture(changed);
    EXPECT_FALSE(bad.ok());
    EXPECT_NE(bad.table().find("grad.delta1"), std::string::npos);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dg::nn
