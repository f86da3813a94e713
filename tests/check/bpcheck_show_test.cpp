// bpcheck --show: a report carries the three computations' values entry by entry (NaN where no finite difference
// was taken); the batch convention's factor turns δ(L) into the ŷ − y of one sample; the printed grid holds the
// values in the stated format, whole or previewed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "autograd/engine.hpp"
#include "nn/check/bpcheck.hpp"
#include "nn/check/bpcheck_cnn.hpp"
#include "nn/check/bpcheck_show.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::nn {
namespace {

struct Checked {
    BpcheckReport report;
    reference::BackpropResult<double> ref;
    MlpGradients<double> autograd;
    CheckBatch<double> batch;
};

Checked check(const std::string& spec, Loss loss, std::size_t m, std::size_t fd_max = 0, double lambda = 0) {
    Generator gen(7);
    Mlp<double> mlp(spec, gen);
    randomize_biases(mlp, gen);
    Checked c;
    c.batch = make_check_batch<double>(mlp.spec(), loss, m, gen);
    BpcheckOptions<double> options;
    options.max_fd_per_quantity = fd_max;
    options.seed = 3;
    options.lambda = lambda;
    c.report = bpcheck(mlp, c.batch.X, c.batch.Y, loss, options);
    c.ref = reference::delta_backprop(reference_params(mlp, loss), c.batch.X, c.batch.Y, loss, lambda);
    c.autograd = autograd_gradients(mlp, c.batch.X, c.batch.Y, loss, lambda);
    return c;
}

TEST(BpcheckValues, AreAutogradsTheReferencesAndTheFiniteDifferencesEntryByEntry) {
    const Checked c = check("3-5-4:relu", Loss::softmax_ce, 3, 6);
    for (std::size_t k = 0; k < 2; ++k) {
        const LayerCheck& layer = c.report.layers[k];
        const Array<double>* ag[] = {&c.autograd.dW[k], &c.autograd.db[k], &c.autograd.delta[k]};
        const Array<double>* ref[] = {&c.ref.layers[k].dW, &c.ref.layers[k].db, &c.ref.layers[k].delta};
        for (std::size_t i = 0; i < 3; ++i) {
            const QuantityCheck& q = layer.quantities[i];
            EXPECT_EQ(q.autograd, *ag[i]) << q.name << k + 1;
            EXPECT_EQ(q.reference, *ref[i]) << q.name << k + 1;
            ASSERT_EQ(shape_of(q.fd), q.shape);
            std::size_t taken = 0;
            for (std::size_t j = 0; j < q.fd.size(); ++j) {
                if (std::isnan(q.fd.flat(j))) continue;
                ++taken;
                EXPECT_NEAR(q.fd.flat(j), q.autograd.flat(j), 1e-9) << q.name << k + 1 << " entry " << j;
            }
            // a sample of 6 per quantity, less the ones whose stencil crossed a kink
            EXPECT_EQ(taken, std::min<std::size_t>(q.fd.size(), 6) - q.flagged.size()) << q.name << k + 1;
            EXPECT_EQ(q.fd_count, std::min<std::size_t>(q.fd.size(), 6));
        }
    }
}

// What the convention tells a student: m·δ(L) is softmax(z(L)) − y, sample by sample.
TEST(BatchConvention, ItsFactorTurnsTheOutputDeltaIntoYHatMinusY) {
    struct Case {
        Loss loss;
        const char* spec;
        const char* by_hand;
        double factor;  // m = 4 samples, n = 3 outputs
    };
    const Case cases[] = {{Loss::softmax_ce, "2-3-3:tanh", "A sample's ŷ − y worked by hand is 4 × its row of δ(2)", 4},
                          {Loss::bce, "2-3-3:tanh", "A sample's ŷ − y worked by hand is 12 × its row of δ(2)", 12},
                          {Loss::mse_half, "2-3-3:tanh", "A sample's ŷ − y worked by hand is 4 × its row of δ(2)", 4},
                          {Loss::mse, "2-3-3:tanh", "A sample's ŷ − y worked by hand is 6 × its row of δ(2)", 6}};
    for (const Case& k : cases) {
        const Checked c = check(k.spec, k.loss, 4);
        EXPECT_NE(c.report.convention.find(k.by_hand), std::string::npos) << c.report.convention;
        const auto& top = c.ref.layers.back();  // a(L): softmax / σ of z(L) for the heads, z(L) for identity
        const Array<double>& delta = c.report.layers.back().quantities[2].autograd;
        for (std::size_t i = 0; i < delta.size(); ++i)
            EXPECT_NEAR(k.factor * delta.flat(i), top.a.flat(i) - c.batch.Y.flat(i), 1e-14) << reference::loss_name(k.loss);
    }
}

TEST(BatchConvention, NamesTheHeadTheFactorAndThePenalty) {
    const std::string ce = batch_convention(Loss::softmax_ce, "softmax", 3, 5, 4);
    EXPECT_NE(ce.find("on the logits z(3) (the output's softmax is taken inside the loss)"), std::string::npos) << ce;
    EXPECT_NE(ce.find("δ(3) = (softmax(z(3)) − y) / m"), std::string::npos) << ce;
    EXPECT_NE(ce.find("a mean over the m = 5 samples"), std::string::npos) << ce;
    EXPECT_EQ(ce.find("λ"), std::string::npos) << ce;
    const std::string mse = batch_convention(Loss::mse, "sigmoid", 2, 3, 2, 0.5);
    EXPECT_NE(mse.find("δ(2) = 2 (a(2) − y) ⊙ f'(z(2)) / (m·n)"), std::string::npos) << mse;
    EXPECT_NE(mse.find("m·n = 6 entries"), std::string::npos) << mse;
    EXPECT_NE(mse.find("(ŷ − y) ⊙ f'(z(2)) worked by hand is 3 ×"), std::string::npos) << mse;
    EXPECT_NE(mse.find("(λ/m) W(l)"), std::string::npos) << mse;
    EXPECT_NE(mse.find("λ = 0.5"), std::string::npos) << mse;
}

// A CNN's report states the convention too, with its conv layers' ΔW and Δb, and its factor holds on the logits.
TEST(BatchConvention, ACnnReportStatesItAndItsFactorHolds) {
    Generator gen(7);
    Cnn<double> cnn("1x6x6-c2k3p1-relu-m2-flat-3", gen);
    const std::size_t m = 4, L = cnn.num_layers();
    const CheckBatch<double> b = make_check_batch<double>(cnn.spec(), Loss::softmax_ce, m, gen);
    const BpcheckReport r = bpcheck(cnn, b.X, b.Y, Loss::softmax_ce, BpcheckOptions<double>{});
    const std::string dL = "δ(" + std::to_string(L) + ")";
    EXPECT_NE(r.convention.find("A sample's ŷ − y worked by hand is 4 × its row of " + dL), std::string::npos)
        << r.convention;
    EXPECT_NE(r.convention.find("for a conv layer ΔW(l) = a(l−1)\n  correlated with δ(l)"), std::string::npos)
        << r.convention;
    EXPECT_NE(show_gradients(r).find(r.convention), std::string::npos);

    Array<double> z;
    {
        NoGradGuard no_grad;
        z = cnn(Tensor<double>(b.X)).value();
    }
    const QuantityCheck* delta = nullptr;
    for (const QuantityCheck& q : r.layers.back().quantities)
        if (q.name == "delta") delta = &q;
    ASSERT_NE(delta, nullptr);
    ASSERT_EQ(delta->autograd.shape(), z.shape());
    for (std::size_t i = 0; i < m; ++i) {
        double sum = 0;
        for (std::size_t j = 0; j < 3; ++j) sum += std::exp(z(i, j));
        for (std::size_t j = 0; j < 3; ++j)
            EXPECT_NEAR(double(m) * delta->autograd(i, j), std::exp(z(i, j)) / sum - b.Y(i, j), 1e-14) << i << ", " << j;
    }
}

TEST(FixedFormat, KeepsFourSignificantDigitsOfTheLargest) {
    EXPECT_EQ(fixed_format(0.2), "%.4f");
    EXPECT_EQ(fixed_format(0.002), "%.6f");
    EXPECT_EQ(fixed_format(3.5), "%.3f");
    EXPECT_EQ(fixed_format(300), "%.1f");
    EXPECT_EQ(fixed_format(123456), "%.0f");
    EXPECT_EQ(fixed_format(0), "%.4f");
}

std::string formatted(double v, double largest) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fixed_format(largest).c_str(), v);
    return buf;
}

double largest_of(const QuantityCheck& q) {
    double s = 0;
    for (const Array<double>* a : {&q.autograd, &q.reference, &q.fd})
        for (double v : *a)
            if (!std::isnan(v)) s = std::max(s, std::abs(v));
    return s;
}

TEST(ShowGradients, PrintsEveryEntryOfASmallNetworkThreeTimesInOrder) {
    const Checked c = check("2-3-2:sigmoid", Loss::mse_half, 2);
    const std::string text = show_gradients(c.report);
    EXPECT_NE(text.find(c.report.convention), std::string::npos);
    // layer 2 before layer 1, δ before ΔW before Δb
    const std::size_t l2 = text.find("layer 2 (identity)"), l1 = text.find("layer 1 (sigmoid)");
    ASSERT_NE(l2, std::string::npos);
    ASSERT_NE(l1, std::string::npos);
    EXPECT_LT(l2, l1);
    EXPECT_LT(text.find("δ(2)  [2, 2]"), text.find("ΔW(2)  [2, 3]"));
    EXPECT_LT(text.find("ΔW(2)  [2, 3]"), text.find("Δb(2)  [2]"));
    // δ(1) [2, 3]: sample 1's three lines hold its entries in the quantity's format
    const QuantityCheck& d1 = c.report.layers[0].quantities[2];
    const double largest = largest_of(d1);
    std::string row;
    for (std::size_t j = 0; j < 3; ++j) row += formatted(d1.autograd(1, j), largest);
    const std::size_t at = text.find("sample 1  autograd", text.find("δ(1)  [2, 3]"));
    ASSERT_NE(at, std::string::npos) << text;
    const std::string lines = text.substr(at, text.find("norm", at) - at);
    std::size_t from = 0;
    for (const char* who : {"autograd", "reference", "fd"}) {
        from = lines.find(who, from);
        ASSERT_NE(from, std::string::npos) << lines;
        const std::string line = lines.substr(from, lines.find('\n', from) - from);
        for (std::size_t j = 0; j < 3; ++j)
            EXPECT_NE(line.find(formatted(d1.autograd(1, j), largest)), std::string::npos) << who << ": " << line;
    }
    EXPECT_EQ(text.find("…"), std::string::npos) << "a small network is printed whole";
}

TEST(ShowGradients, PreviewsLargeQuantitiesAndMarksMissingFiniteDifferences) {
    const Checked c = check("12-10-3:tanh", Loss::softmax_ce, 2, 4);
    ShowOptions o;  // ΔW(1) is [10, 12]: more than 8 rows and 8 columns
    const std::string text = show_gradients(c.report, o);
    EXPECT_NE(text.find("ΔW(1)  [10, 12]: row i: unit i of layer 1, column j: unit j of layer 0 (the input) (the first 4 × 6 "
                        "of 10 × 12)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("… 6 more rows"), std::string::npos);
    // 4 finite differences of 120 entries: "-" for the others, and the norm over those it has
    EXPECT_NE(text.find("(over the 4 entries it has)"), std::string::npos) << text;
    const std::size_t fd_line = text.find("fd", text.find("unit 0  autograd", text.find("ΔW(1)")));
    EXPECT_NE(text.substr(fd_line, text.find('\n', fd_line) - fd_line).find(" -"), std::string::npos);
}

// A check that keeps only comparisons (no arrays), or ran no reference, is said so, never printed from missing memory.
TEST(ShowGradients, SaysWhatACheckDidNotRecord) {
    BpcheckReport r;
    LayerCheck layer;
    layer.layer = 1;
    layer.activation = "relu";
    QuantityCheck bare;
    bare.name = "W";
    bare.shape = {2, 3};
    QuantityCheck no_reference = bare;
    no_reference.name = "b";
    no_reference.shape = {2};
    no_reference.autograd = Array<double>({0.25, -0.5});
    no_reference.fd = Array<double>({0.25, -0.5});
    no_reference.fd_count = 2;
    layer.quantities = {bare, no_reference};
    r.layers.push_back(layer);
    const std::string text = show_gradients(r);
    EXPECT_NE(text.find("ΔW(1)  [2, 3]: no values recorded by this check"), std::string::npos) << text;
    EXPECT_NE(text.find("reference   (none)"), std::string::npos) << text;
    EXPECT_NE(text.find("autograd     0.2500  -0.5000"), std::string::npos) << text;
    EXPECT_NE(text.find("norm ‖·‖: autograd 0.559017  reference -  fd 0.559017\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace dg::nn
