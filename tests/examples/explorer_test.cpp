// The explorer's data (examples/common/explorer.hpp) for CNN and recurrent specs and the parts all models share: the
// networks drawn, the notes keyed by the node whose gradient they explain, their numbers against the references run
// here (conv_backprop, bptt_*), the relations they state, autograd's rows, and the agreement table's keys.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "autograd/array/errors.hpp"
#include "common/explorer.hpp"
#include "nn/check/bpcheck_cnn.hpp"
#include "nn/check/bpcheck_rnn.hpp"
#include "nn/reference/bptt_lstm.hpp"
#include "nn/reference/bptt_rnn.hpp"
#include "nn/reference/conv_backprop.hpp"
#include "nn/reference/conv_planes.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg {
namespace {

using nlohmann::json;

// Every number of a column (a vector's entries, or a map's rows) of a view, by its id.
std::vector<double> numbers(const json& p) {
    std::vector<double> out;
    for (const auto& row : p["rows"])
        for (const auto& v : row) out.push_back(v.get<double>());
    return out;
}

// The preview of column `id` of a view (vectors blocks, or channel `channel` of a maps block) or of a note's own
// grid blocks.
const json& column_of(const json& view, const std::string& id, std::size_t channel = 0, const json* note = nullptr) {
    if (note)
        for (const auto& b : (*note)["blocks"])
            if (b.value("id", "") == id) return b["p"];
    for (const auto& b : view["blocks"]) {
        if (b.contains("columns"))
            for (const auto& c : b["columns"])
                if (c["id"] == id) return c["p"];
        if (b.contains("channels"))
            for (const auto& c : b["channels"][channel]["columns"])
                if (c["id"] == id) return c["p"];
    }
    throw std::runtime_error("no column " + id);
}

// result = (Σ sum) ⊙ Π times, entry by entry, on the JSON's numbers.
void expect_relation(const json& note, const json& view, std::size_t channel = 0) {
    for (const auto& r : note["relations"]) {
        const std::vector<double> result = numbers(column_of(view, r["result"], channel, &note));
        for (std::size_t i = 0; i < result.size(); ++i) {
            double sum = 0, scale = 0, prod = 1;
            for (const auto& id : r["sum"]) {
                const double v = numbers(column_of(view, id, channel, &note))[i];
                sum += v;
                scale += std::abs(v);
            }
            for (const auto& id : r["times"]) prod *= numbers(column_of(view, id, channel, &note))[i];
            EXPECT_NEAR(result[i], sum * prod, 1e-12 * (1 + scale)) << r.dump() << " entry " << i;
        }
    }
}

// The notes in the order backward visits their nodes.
std::vector<json> notes_in_order(const json& data) {
    std::vector<json> out;
    for (const auto& s : data["steps"])
        if (data["notes"].contains(std::to_string(s["node"].get<int>()))) out.push_back(data["notes"][std::to_string(s["node"].get<int>())]);
    return out;
}

TEST(ExplorerCnn, NetworkAndNotesFromTheConvReference) {
    Generator gen(1);
    nn::Cnn<double> cnn("1x6x6-c2k3p1-relu-m2-flat-3", gen);
    const auto batch = nn::make_check_batch<double>(cnn.spec(), nn::Loss::softmax_ce, 2, gen);
    const json data = examples::cnn_explorer_json(cnn, batch.X, batch.Y, nn::Loss::softmax_ce, nn::BpcheckReport{});

    const json& net = data["network"];
    EXPECT_EQ(net["kind"], "cnn");
    EXPECT_EQ(net["input"], json({1, 6, 6}));
    ASSERT_EQ(net["layers"].size(), 4u);
    EXPECT_EQ(net["layers"][0]["token"], "c2k3p1");
    EXPECT_EQ(net["layers"][0]["names"], json({"conv1", "act1"}));
    EXPECT_EQ(net["layers"][1]["kind"], "max_pool");
    EXPECT_EQ(net["layers"][1]["output"], json({2, 3, 3}));
    EXPECT_EQ(net["layers"][2]["output"], json({18}));
    EXPECT_EQ(net["layers"][3]["names"], json({"fc1"}));
    EXPECT_FALSE(data.contains("reference_gap"));

    // One note per layer, each at the node z(l) (whose label is the layer's module), output layer first.
    const std::vector<json> notes = notes_in_order(data);
    ASSERT_EQ(notes.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(notes[i]["layer"], 4 - i);
    for (const auto& [key, note] : data["notes"].items())
        EXPECT_EQ(data["nodes"][std::stoi(key)]["label"], net["layers"][note["layer"].get<int>() - 1]["names"][0]);
    EXPECT_EQ(notes[0]["formula"], "δ(4) = (softmax(z(4)) − y) / m");

    // Layer 1's note: its maps are the reference's δ(1), ∂loss/∂a(1) is max pooling's routing of δ(2) (one entry per
    // window, at the window's maximum of a(1), equal to that δ(2) entry), and autograd's map equals the reference's.
    const auto ref = reference::conv_backprop(nn::conv_reference_params(cnn, nn::Loss::softmax_ce), batch.X, batch.Y,
                                              nn::Loss::softmax_ce);
    const json& conv = notes[3];
    EXPECT_EQ(conv["formula"], "δ(1) = route(δ(2) → each window's arg-max) ⊙ f'(z(1))");
    ASSERT_EQ(conv["samples"], json({0, 1}));
    for (std::size_t s = 0; s < 2; ++s) {
        const json& view = conv["views"][0][s];
        for (std::size_t c = 0; c < 2; ++c) {
            const Array<double> d = reference::plane(ref.layers[0].delta, s, c), a = reference::plane(ref.layers[0].a, s, c);
            const std::vector<double> delta = numbers(column_of(view, "delta", c)), back = numbers(column_of(view, "back", c));
            const std::vector<double> autograd = numbers(column_of(view, "autograd", c));
            ASSERT_EQ(delta.size(), 36u);
            for (std::size_t i = 0; i < 36; ++i) {
                EXPECT_EQ(delta[i], d.data()[i]);
                EXPECT_NEAR(autograd[i], delta[i], 1e-15);
            }
            for (std::size_t wi = 0; wi < 3; ++wi)
                for (std::size_t wj = 0; wj < 3; ++wj) {
                    std::size_t nonzero = 0, at = 0, argmax = 0;
                    for (std::size_t u = 0; u < 2; ++u)
                        for (std::size_t v = 0; v < 2; ++v) {
                            const std::size_t k = (2 * wi + u) * 6 + 2 * wj + v;
                            if (back[k] != 0) ++nonzero, at = k;
                            if (a.data()[k] > a.data()[argmax] || (u == 0 && v == 0)) argmax = k;
                        }
                    EXPECT_LE(nonzero, 1u);
                    if (nonzero) {
                        EXPECT_EQ(at, argmax) << "window " << wi << "," << wj;
                        EXPECT_DOUBLE_EQ(back[at], ref.layers[1].delta(s, c, wi, wj));
                    }
                }
            expect_relation(conv, view, c);
        }
    }
    // The conv layer's ΔW(1) beside autograd's: the reference's kernel gradient, o = c = 1.
    ASSERT_EQ(conv["blocks"].size(), 2u);
    EXPECT_EQ(numbers(conv["blocks"][0]["p"]), std::vector<double>(ref.layers[0].dW.data(), ref.layers[0].dW.data() + 9));
    const std::vector<double> dW = numbers(conv["blocks"][0]["p"]), dW_autograd = numbers(conv["blocks"][1]["p"]);
    for (std::size_t i = 0; i < 9; ++i) EXPECT_NEAR(dW_autograd[i], dW[i], 1e-14);

    // The pooling layer's note: flatten sends δ(3) back reshaped; pooling has no activation.
    EXPECT_EQ(notes[2]["formula"], "δ(2) = reshape(δ(3))");
    expect_relation(notes[2], notes[2]["views"][0][1], 1);
    // The flatten layer's: W(4)ᵀδ(4), vectors, with the next layer's weights shown.
    EXPECT_EQ(notes[1]["formula"], "δ(3) = W(4)ᵀ δ(4)");
    EXPECT_EQ(notes[1]["blocks"][0]["id"], "W_next");
    expect_relation(notes[1], notes[1]["views"][0][0]);
}

TEST(ExplorerCnn, BatchNormHasNoReferenceAndNoNotes) {
    Generator gen(2);
    nn::Cnn<double> cnn("1x6x6-c2k3p1-bn-relu-m2-flat-3", gen);
    const auto batch = nn::make_check_batch<double>(cnn.spec(), nn::Loss::softmax_ce, 3, gen);
    const json data = examples::cnn_explorer_json(cnn, batch.X, batch.Y, nn::Loss::softmax_ce, nn::BpcheckReport{});
    EXPECT_EQ(data["notes"].size(), 0u);
    EXPECT_EQ(data["reference_gap"], "layer 2 (bn) is a batch normalization, which the conv delta reference leaves out");
    EXPECT_GT(data["steps"].size(), 5u);
}

TEST(ExplorerRecurrent, ElmanNotesPerTimeStepFromBptt) {
    Generator gen(3);
    nn::RecurrentNet<double> net("3-5-4:rnn:T4", gen);
    const auto batch = nn::make_check_batch<double>(net.spec(), nn::Loss::softmax_ce, 2, gen);
    const json data = examples::recurrent_explorer_json(net, batch.X, batch.Y, nn::Loss::softmax_ce, nn::BpcheckReport{});
    const json& drawn = data["network"];
    EXPECT_EQ(drawn["kind"], "recurrent");
    EXPECT_EQ(drawn["steps"], 4);
    EXPECT_EQ(drawn["hidden"], json({5}));
    EXPECT_EQ(drawn["loss_at"], "every");
    EXPECT_EQ(drawn["names"]["layers"], json({"rnn1"}));
    EXPECT_EQ(drawn["names"]["head"], "head");

    const std::vector<json> notes = notes_in_order(data);
    ASSERT_EQ(notes.size(), 2u);  // the head's, then the layer's
    EXPECT_EQ(notes[0]["layer"], 2);
    EXPECT_EQ(notes[0]["times"], json({1, 2, 3, 4}));
    const json& note = notes[1];
    EXPECT_EQ(note["layer"], 1);
    EXPECT_EQ(note["formula"], "δ_t = (W_hhᵀ δ_{t+1} + ∂l_t/∂h_t) ⊙ f'(z_t)");
    EXPECT_EQ(note["times"], json({1, 2, 3, 4}));

    reference::RnnParams<double> p;
    const auto& l = *net.layers()[0];
    p.layers.push_back({l.weight_ih(0).value(), l.weight_hh(0).value(), l.bias_ih(0).value(), l.bias_hh(0).value(), ActivationKind::tanh});
    p.head = {net.head()->weight().value(), net.head()->bias().value(), ActivationKind::identity, {}};
    const auto ref = reference::bptt_rnn(p, batch.X, {}, batch.Y, nn::Loss::softmax_ce, nn::LossAt::every_step);
    for (std::size_t t = 0; t < 4; ++t)
        for (std::size_t s = 0; s < 2; ++s) {
            const json& view = note["views"][t][s];
            const std::vector<double> delta = numbers(column_of(view, "delta")), autograd = numbers(column_of(view, "autograd"));
            for (std::size_t j = 0; j < 5; ++j) {
                EXPECT_EQ(delta[j], ref.layers[0].delta[t](s, j));
                EXPECT_NEAR(autograd[j], delta[j], 1e-15);
            }
            if (t == 3)
                for (double v : numbers(column_of(view, "recurrent"))) EXPECT_EQ(v, 0.0);  // nothing comes back from t = T + 1
            expect_relation(note, view);
        }
}

TEST(ExplorerRecurrent, LstmGatesAndTheHeadAtTheLastStep) {
    Generator gen(4);
    nn::RecurrentNet<double> net("2-4-3:lstm:T3:last", gen);
    const auto batch = nn::make_check_batch<double>(net.spec(), nn::Loss::mse, 3, gen);
    const json data = examples::recurrent_explorer_json(net, batch.X, batch.Y, nn::Loss::mse, nn::BpcheckReport{}, 2);
    const std::vector<json> notes = notes_in_order(data);
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_EQ(notes[0]["times"], json({3}));  // the loss at the last step only
    EXPECT_EQ(notes[0]["samples"], json({0, 1}));
    EXPECT_EQ(notes[0]["formula"], "δ(out) = 2 (a(out) − y) ⊙ f'(z(out)) / (m·n)");
    const json& note = notes[1];
    reference::LstmParams<double> p;
    const auto& l = *net.layers()[0];
    p.layers.push_back({l.weight_ih(0).value(), l.weight_hh(0).value(), l.bias_ih(0).value(), l.bias_hh(0).value()});
    p.head = {net.head()->weight().value(), net.head()->bias().value(), ActivationKind::identity, {}};
    const auto ref = reference::bptt_lstm(p, batch.X, {}, {}, batch.Y, nn::Loss::mse, nn::LossAt::last_step);
    const char* gates[] = {"di", "df", "dg", "do"};
    for (std::size_t t = 0; t < 3; ++t)
        for (std::size_t s = 0; s < 2; ++s) {
            const json& view = note["views"][t][s];
            for (std::size_t q = 0; q < 4; ++q) {
                const std::vector<double> d = numbers(column_of(view, gates[q]));
                for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(d[j], ref.layers[0].delta[t](s, q * 4 + j));
            }
            const std::vector<double> above = numbers(column_of(view, "above"));
            if (t < 2)
                for (double v : above) EXPECT_EQ(v, 0.0);  // no loss before the last step
            expect_relation(note, view);
        }
}

TEST(ExplorerMlp, NotesInTheSharedFormat) {
    Generator gen(7);
    nn::Mlp<double> mlp("3-4-2:tanh", gen);
    const auto batch = nn::make_check_batch<double>(mlp.spec(), nn::Loss::mse_half, 3, gen);
    const nn::BpcheckReport report = nn::bpcheck(mlp, batch.X, batch.Y, nn::Loss::mse_half);  // the drawing's activations
    const json data = examples::mlp_explorer_json(mlp, batch.X, batch.Y, nn::Loss::mse_half, 0, report, 2);
    EXPECT_EQ(data["network"]["kind"], "mlp");
    const std::vector<json> notes = notes_in_order(data);
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_EQ(notes[0]["formula"], "δ(L) = (a(L) − y) ⊙ f'(z(L)) / m");
    EXPECT_EQ(notes[1]["formula"], "δ(1) = W(2)ᵀ δ(2) ⊙ f'(z(1))");
    EXPECT_EQ(notes[1]["samples"], json({0, 1}));  // max_samples 2 of 3
    EXPECT_FALSE(notes[1].contains("times"));
    const auto net = nn::reference_params(mlp, nn::Loss::mse_half);
    const auto ref = reference::delta_backprop(net, batch.X, batch.Y, nn::Loss::mse_half);
    const Array<double>& W2 = net.layers[1].W;  // [2, 4]: shown whole
    EXPECT_EQ(numbers(notes[1]["blocks"][0]["p"]), std::vector<double>(W2.begin(), W2.end()));
    for (std::size_t s = 0; s < 2; ++s) {
        const json& view = notes[1]["views"][0][s];
        const std::vector<double> delta = numbers(column_of(view, "delta"));
        for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(delta[j], ref.layers[0].delta(s, j));
        expect_relation(notes[1], view);
        expect_relation(notes[0], notes[0]["views"][0][s]);
    }
}

TEST(ExplorerAgreement, FiniteDifferencesKeyAndEveryRow) {
    Generator gen(5);
    nn::RecurrentNet<double> net("2-3-2:gru:T2", gen);
    const auto batch = nn::make_check_batch<double>(net.spec(), nn::Loss::softmax_ce, 2, gen);
    const nn::BpcheckReport report = nn::bpcheck(net, batch.X, batch.Y, nn::Loss::softmax_ce);
    const json ag = examples::agreement_json(report);
    EXPECT_EQ(ag["loss"]["finite_differences"].get<double>(), report.loss_fd);
    EXPECT_FALSE(ag["loss"].contains("fd_model"));
    std::size_t rows = 0;
    for (const auto& l : report.layers) rows += l.quantities.size();
    EXPECT_EQ(ag["rows"].size(), rows);
    EXPECT_EQ(ag["fd_precision"], "double");
    EXPECT_TRUE(ag["ok"].get<bool>());
    std::set<std::string> quantities;
    for (const auto& r : ag["rows"]) quantities.insert(r["quantity"]);
    EXPECT_TRUE(quantities.count("delta t2"));
}

TEST(ExplorerErrors, NoSamplesAsked) {
    Generator gen(6);
    nn::Cnn<double> cnn("1x4x4-c1k3-flat-2", gen);
    const auto batch = nn::make_check_batch<double>(cnn.spec(), nn::Loss::softmax_ce, 2, gen);
    EXPECT_THROW(examples::cnn_explorer_json(cnn, batch.X, batch.Y, nn::Loss::softmax_ce, nn::BpcheckReport{}, 0), ValueError);
    nn::RecurrentNet<double> net("2-3-2:rnn:T2", gen);
    const auto seq = nn::make_check_batch<double>(net.spec(), nn::Loss::softmax_ce, 2, gen);
    EXPECT_THROW(examples::recurrent_explorer_json(net, seq.X, seq.Y, nn::Loss::softmax_ce, nn::BpcheckReport{}, 0), ValueError);
}

}  // namespace
}  // namespace dg
