// Recurrent ops: rnn/lstm/gru_sequence, the cells and the fused step backwards — values and gradients against the
// unfused composition of existing ops, gradcheck and gradgradcheck in double, float, errors.
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

namespace {

constexpr std::size_t T_ = 3, N = 2, H = 3, C = 2;

/// Weights at a scale that keeps the gates away from saturation, so every path carries gradient.
Tensord weight(const Shape& s, std::uint64_t seed) { return dg::test::uniform(s, seed, -0.6, 0.6); }

/// x·Wᵀ (+ b).
Tensord proj(const Tensord& x, const Tensord& w, const Tensord& b) { return b.defined() ? linear(x, w, b) : linear(x, w); }

/// Step t of [T·N, K] as [N, K].
Tensord at(const Tensord& x, std::size_t t) { return narrow(x, 0, t * N, N); }

/// Column block k (width w) of a 2-d tensor.
Tensord blk(const Tensord& x, std::size_t k, std::size_t w) { return narrow(x, 1, k * w, w); }

// The recurrences as the unfused composition of existing ops, step by step (what the fused ops must equal).
Tensord rnn_unfused(const Tensord& xp, const Tensord& h0, const Tensord& w, const Tensord& b, RnnNonlinearity f) {
    std::vector<Tensord> hs;
    Tensord h = h0;
    for (std::size_t t = 0; t < xp.shape()[0] / N; ++t) {
        const Tensord z = add(at(xp, t), proj(h, w, b));
        h = f == RnnNonlinearity::tanh ? tanh(z) : relu(z);
        hs.push_back(h);
    }
    return concat(hs, 0);
}

Tensord lstm_unfused(const Tensord& xp, const Tensord& h0, const Tensord& c0, const Tensord& w, const Tensord& b) {
    const std::size_t hidden = h0.shape()[1];
    std::vector<Tensord> hs, cs;
    Tensord h = h0, c = c0;
    for (std::size_t t = 0; t < xp.shape()[0] / N; ++t) {
        const Tensord a = add(at(xp, t), proj(h, w, b));
        const Tensord i = sigmoid(blk(a, 0, hidden)), f = sigmoid(blk(a, 1, hidden)), g = tanh(blk(a, 2, hidden)),
                      o = sigmoid(blk(a, 3, hidden));
        c = add(mul(f, c), mul(i, g));
        h = mul(o, tanh(c));
        hs.push_back(h);
        cs.push_back(c);
    }
    hs.insert(hs.end(), cs.begin(), cs.end());
    return concat(hs, 0);
}

Tensord gru_unfused(const Tensord& xp, const Tensord& h0, const Tensord& w, const Tensord& b) {
    const std::size_t hidden = h0.shape()[1];
    std::vector<Tensord> hs;
    Tensord h = h0;
    for (std::size_t t = 0; t < xp.shape()[0] / N; ++t) {
        const Tensord x = at(xp, t), hp = proj(h, w, b);
        const Tensord r = sigmoid(add(blk(x, 0, hidden), blk(hp, 0, hidden)));
        const Tensord z = sigmoid(add(blk(x, 1, hidden), blk(hp, 1, hidden)));
        const Tensord n = tanh(add(blk(x, 2, hidden), mul(r, blk(hp, 2, hidden))));
        h = add(mul(rsub(1.0, z), n), mul(z, h));
        hs.push_back(h);
    }
    return concat(hs, 0);
}

/// The gradients of sum(y ⊙ R) for a fixed random R (the graph is kept: h' and c' of a cell share one).
std::vector<Tensord> grads_of(const Tensord& y, const std::vector<Tensord>& inputs, std::uint64_t seed,
                              bool create_graph = false) {
    const Tensord r = dg::test::randn(y.shape(), seed, false);
    return grad(std::vector<Tensord>{sum(mul(y, r))}, inputs, {}, true, create_graph, false);
}

/// The operands of one recurrence with G gate blocks, all leaves that require grad.
struct Operands {
    Tensord xp, h0, c0, w, b;
    explicit Operands(std::size_t gates, std::uint64_t seed)
        : xp(dg::test::randn({T_ * N, gates * H}, seed)),
          h0(dg::test::uniform({N, H}, seed + 1, -0.8, 0.8)),
          c0(dg::test::randn({N, H}, seed + 2)),
          w(weight({gates * H, H}, seed + 3)),
          b(dg::test::randn({gates * H}, seed + 4)) {}
};

void expect_same_grads(const std::vector<Tensord>& a, const std::vector<Tensord>& b, double tol) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
        SCOPED_TRACE("input " + std::to_string(k));
        EXPECT_TRUE(all_close(a[k], b[k], tol, tol));
    }
}

}  // namespace

// ---- values and gradients against the unfused composition ------------------------------------------------------

TEST(Recurrent, RnnSequenceMatchesUnfused) {
    for (RnnNonlinearity f : {RnnNonlinearity::tanh, RnnNonlinearity::relu})
        for (bool bias : {true, false}) {
            SCOPED_TRACE(std::string(f == RnnNonlinearity::tanh ? "tanh" : "relu") + (bias ? " bias" : " no bias"));
            const Operands o(1, 10);
            const Tensord b = bias ? o.b : Tensord();
            const Tensord fused = rnn_sequence(o.xp, o.h0, o.w, b, f), plain = rnn_unfused(o.xp, o.h0, o.w, b, f);
            EXPECT_EQ(fused.shape(), (Shape{T_ * N, H}));
            EXPECT_TRUE(all_close(fused, plain, 1e-14, 1e-13));
            std::vector<Tensord> in = {o.xp, o.h0, o.w};
            if (bias) in.push_back(o.b);
            expect_same_grads(grads_of(fused, in, 99), grads_of(plain, in, 99), 1e-13);
        }
}

TEST(Recurrent, LstmSequenceMatchesUnfused) {
    for (bool bias : {true, false}) {
        SCOPED_TRACE(bias ? "bias" : "no bias");
        const Operands o(4, 20);
        const Tensord b = bias ? o.b : Tensord();
        const Tensord fused = lstm_sequence(o.xp, o.h0, o.c0, o.w, b), plain = lstm_unfused(o.xp, o.h0, o.c0, o.w, b);
        EXPECT_EQ(fused.shape(), (Shape{2 * T_ * N, H}));
        EXPECT_TRUE(all_close(fused, plain, 1e-14, 1e-13));
        std::vector<Tensord> in = {o.xp, o.h0, o.c0, o.w};
        if (bias) in.push_back(o.b);
        expect_same_grads(grads_of(fused, in, 98), grads_of(plain, in, 98), 1e-13);
    }
}

TEST(Recurrent, GruSequenceMatchesUnfused) {
    for (bool bias : {true, false}) {
        SCOPED_TRACE(bias ? "bias" : "no bias");
        const Operands o(3, 30);
        const Tensord b = bias ? o.b : Tensord();
        const Tensord fused = gru_sequence(o.xp, o.h0, o.w, b), plain = gru_unfused(o.xp, o.h0, o.w, b);
        EXPECT_EQ(fused.shape(), (Shape{T_ * N, H}));
        EXPECT_TRUE(all_close(fused, plain, 1e-14, 1e-13));
        std::vector<Tensord> in = {o.xp, o.h0, o.w};
        if (bias) in.push_back(o.b);
        expect_same_grads(grads_of(fused, in, 97), grads_of(plain, in, 97), 1e-13);
    }
}

TEST(Recurrent, CellsMatchUnfusedSteps) {
    const Tensord x = dg::test::randn({N, C}, 40), h = dg::test::uniform({N, H}, 41, -0.8, 0.8),
                  c = dg::test::randn({N, H}, 42);
    for (std::size_t gates : {1, 3, 4}) {
        SCOPED_TRACE("gates " + std::to_string(gates));
        const Tensord w_ih = weight({gates * H, C}, 43), w_hh = weight({gates * H, H}, 44),
                      b_ih = dg::test::randn({gates * H}, 45), b_hh = dg::test::randn({gates * H}, 46);
        // The unfused step: the sequence composition over one step of the projected input.
        const Tensord xp = linear(x, w_ih, b_ih);
        std::vector<Tensord> cell, plain;
        if (gates == 1) {
            cell = {rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, RnnNonlinearity::relu)};
            plain = {rnn_unfused(xp, h, w_hh, b_hh, RnnNonlinearity::relu)};
        } else if (gates == 3) {
            cell = {gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)};
            plain = {gru_unfused(xp, h, w_hh, b_hh)};
        } else {
            const LstmState<double> s = lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh);
            const Tensord y = lstm_unfused(xp, h, c, w_hh, b_hh);  // [2N, H]
            cell = {s.h, s.c};
            plain = {narrow(y, 0, 0, N), narrow(y, 0, N, N)};
        }
        const std::vector<Tensord> in = {x, h, c, w_ih, w_hh, b_ih, b_hh};
        for (std::size_t k = 0; k < cell.size(); ++k) {
            EXPECT_EQ(cell[k].shape(), (Shape{N, H}));
            EXPECT_TRUE(all_close(cell[k], plain[k], 1e-14, 1e-13));
            const std::vector<Tensord> used = gates == 4 ? in : std::vector<Tensord>{x, h, w_ih, w_hh, b_ih, b_hh};
            expect_same_grads(grads_of(cell[k], used, 96 + k), grads_of(plain[k], used, 96 + k), 1e-13);
        }
    }
}

// The gates are saved by the forward; under create_graph the backward recomputes them by differentiable ops. Both
// sources give the same first derivatives.
TEST(Recurrent, CreateGraphGivesTheSameGradients) {
    const Operands l(4, 50), g(3, 60);
    const std::vector<Tensord> li = {l.xp, l.h0, l.c0, l.w, l.b}, gi = {g.xp, g.h0, g.w, g.b};
    expect_same_grads(grads_of(lstm_sequence(l.xp, l.h0, l.c0, l.w, l.b), li, 7, true),
                      grads_of(lstm_sequence(l.xp, l.h0, l.c0, l.w, l.b), li, 7, false), 1e-13);
    expect_same_grads(grads_of(gru_sequence(g.xp, g.h0, g.w, g.b), gi, 8, true),
                      grads_of(gru_sequence(g.xp, g.h0, g.w, g.b), gi, 8, false), 1e-13);
}

// One step by hand: H = 1, N = 1, zero weights, so a = xp; i = f = o = σ(0) = ½ and, with xp_g = atanh(½), g = ½:
// c' = ½·c + ½·½, h' = ½·tanh(c').
TEST(Recurrent, LstmStepByHand) {
    const Tensord xp({{0.0, 0.0, std::atanh(0.5), 0.0}});
    const Tensord h0 = Tensord::full({1, 1}, 0.3), c0 = Tensord::full({1, 1}, 0.6), w = Tensord::zeros({4, 1});
    const Tensord y = lstm_sequence(xp, h0, c0, w, Tensord());
    const double c = 0.5 * 0.6 + 0.25;
    EXPECT_TRUE(all_close(y, {2, 1}, {0.5 * std::tanh(c), c}, 1e-15));
}

// ---- gradcheck and gradgradcheck ---------------------------------------------------------------------------------

TEST(Recurrent, RnnSequenceGradcheckAndGradgradcheck) {
    for (RnnNonlinearity f : {RnnNonlinearity::tanh, RnnNonlinearity::relu}) {
        SCOPED_TRACE(f == RnnNonlinearity::tanh ? "tanh" : "relu");
        const Fn fn = [f](const std::vector<Tensord>& v) { return rnn_sequence(v[0], v[1], v[2], v[3], f); };
        const Operands o(1, 70);
        EXPECT_GRADCHECK(fn, o.xp, o.h0, o.w, o.b);
        const Operands p(1, 75);
        EXPECT_GRADGRADCHECK(fn, p.xp, p.h0, p.w, p.b);
    }
    // Without a bias, and h0 as a constant: only the given inputs are checked.
    const Operands o(1, 80);
    const Tensord h0 = o.h0.detach();
    EXPECT_GRADGRADCHECK([h0](const std::vector<Tensord>& v) { return rnn_sequence(v[0], h0, v[1], Tensord()); },
                         o.xp, o.w);
}

TEST(Recurrent, LstmSequenceGradcheckAndGradgradcheck) {
    const Fn fn = [](const std::vector<Tensord>& v) { return lstm_sequence(v[0], v[1], v[2], v[3], v[4]); };
    const Operands o(4, 90), p(4, 95);
    EXPECT_GRADCHECK(fn, o.xp, o.h0, o.c0, o.w, o.b);
    EXPECT_GRADGRADCHECK(fn, p.xp, p.h0, p.c0, p.w, p.b);
}

TEST(Recurrent, GruSequenceGradcheckAndGradgradcheck) {
    const Fn fn = [](const std::vector<Tensord>& v) { return gru_sequence(v[0], v[1], v[2], v[3]); };
    const Operands o(3, 100), p(3, 105);
    EXPECT_GRADCHECK(fn, o.xp, o.h0, o.w, o.b);
    EXPECT_GRADGRADCHECK(fn, p.xp, p.h0, p.w, p.b);
}

TEST(Recurrent, CellsGradcheckAndGradgradcheck) {
    const Fn rnn = [](const std::vector<Tensord>& v) { return rnn_cell(v[0], v[1], v[2], v[3], v[4], v[5]); };
    const Fn gru = [](const std::vector<Tensord>& v) { return gru_cell(v[0], v[1], v[2], v[3], v[4], v[5]); };
    // h' and c' together, so that both outputs' backwards are checked.
    const Fn lstm = [](const std::vector<Tensord>& v) {
        const LstmState<double> s = lstm_cell(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        return concat(std::vector<Tensord>{s.h, s.c}, 1);
    };
    for (std::uint64_t seed : {110, 120}) {
        const Tensord x = dg::test::randn({N, C}, seed), h = dg::test::uniform({N, H}, seed + 1, -0.8, 0.8);
        const Tensord c = dg::test::randn({N, H}, seed + 2);
        auto w = [seed](std::size_t g, std::size_t cols, std::uint64_t k) { return weight({g * H, cols}, seed + k); };
        auto b = [seed](std::size_t g, std::uint64_t k) { return dg::test::randn({g * H}, seed + k); };
        if (seed == 110) {
            EXPECT_GRADCHECK(rnn, x, h, w(1, C, 3), w(1, H, 4), b(1, 5), b(1, 6));
            EXPECT_GRADCHECK(gru, x, h, w(3, C, 3), w(3, H, 4), b(3, 5), b(3, 6));
            EXPECT_GRADCHECK(lstm, x, h, c, w(4, C, 3), w(4, H, 4), b(4, 5), b(4, 6));
        } else {
            EXPECT_GRADGRADCHECK(rnn, x, h, w(1, C, 3), w(1, H, 4), b(1, 5), b(1, 6));
            EXPECT_GRADGRADCHECK(gru, x, h, w(3, C, 3), w(3, H, 4), b(3, 5), b(3, 6));
            EXPECT_GRADGRADCHECK(lstm, x, h, c, w(4, C, 3), w(4, H, 4), b(4, 5), b(4, 6));
        }
    }
}

TEST(Recurrent, StepBackwardsGradcheckAndGradgradcheck) {
    // Gates in (0, 1) for the sigmoids and (-1, 1) for tanh, as the forward produces them.
    const Fn lstm = [](const std::vector<Tensord>& v) { return lstm_step_backward(v[0], v[1], v[2], v[3], v[4]); };
    const Fn gru = [](const std::vector<Tensord>& v) { return gru_step_backward(v[0], v[1], v[2]); };
    for (std::uint64_t seed : {130, 140}) {
        const Tensord gh = dg::test::randn({N, H}, seed), gc = dg::test::randn({N, H}, seed + 1);
        const Tensord lg = dg::test::uniform({N, 4 * H}, seed + 2, 0.1, 0.9);
        const Tensord gg = dg::test::uniform({N, 4 * H}, seed + 3, 0.1, 0.9);
        const Tensord cp = dg::test::randn({N, H}, seed + 4), c = dg::test::randn({N, H}, seed + 5);
        const Tensord hp = dg::test::randn({N, H}, seed + 6);
        if (seed == 130) {
            EXPECT_GRADCHECK(lstm, gh, gc, lg, cp, c);
            EXPECT_GRADCHECK(gru, gh, gg, hp);
        } else {
            EXPECT_GRADGRADCHECK(lstm, gh, gc, lg, cp, c);
            EXPECT_GRADGRADCHECK(gru, gh, gg, hp);
        }
    }
}

// ---- float, errors ------------------------------------------------------------------------------------------------

TEST(Recurrent, FloatAgreesWithDouble) {
    auto to_float = [](const Tensord& t) { return Tensorf(Array<float>(xt::cast<float>(t.value())), true); };
    auto to_double = [](const Tensorf& t) { return Array<double>(xt::cast<double>(t.value())); };
    const Operands l(4, 150), g(3, 155), r(1, 158);
    const Tensorf lx = to_float(l.xp), lw = to_float(l.w);
    const Tensorf ly = lstm_sequence(lx, to_float(l.h0), to_float(l.c0), lw, to_float(l.b));
    EXPECT_TRUE(all_close(to_double(ly), lstm_sequence(l.xp, l.h0, l.c0, l.w, l.b).value(), 1e-6, 1e-5));
    const Tensorf gy = gru_sequence(to_float(g.xp), to_float(g.h0), to_float(g.w), to_float(g.b));
    EXPECT_TRUE(all_close(to_double(gy), gru_sequence(g.xp, g.h0, g.w, g.b).value(), 1e-6, 1e-5));
    const Tensorf ry = rnn_sequence(to_float(r.xp), to_float(r.h0), to_float(r.w), to_float(r.b));
    EXPECT_TRUE(all_close(to_double(ry), rnn_sequence(r.xp, r.h0, r.w, r.b).value(), 1e-6, 1e-5));
    // The float backward agrees with the double one.
    sum(ly).backward();
    const Tensord ones = Tensord::ones({2 * T_ * N, H});
    const std::vector<Tensord> exact =
        grad(std::vector<Tensord>{lstm_sequence(l.xp, l.h0, l.c0, l.w, l.b)}, {l.xp, l.w}, {ones});
    EXPECT_TRUE(all_close(to_double(lx.grad()), exact[0].value(), 1e-5, 1e-4));
    EXPECT_TRUE(all_close(to_double(lw.grad()), exact[1].value(), 1e-5, 1e-4));
}

TEST(Recurrent, ErrorsNameTheOpAndTheExpectedShapes) {
    const Operands o(4, 160);
    const Tensord none;
    EXPECT_THROW_MSG(lstm_sequence(o.xp, o.h0, o.c0, weight({5, H}, 1), none), ShapeError, "lstm_sequence", "w_hh",
                     "[5, 3]", "[4H, H]");
    EXPECT_THROW_MSG(lstm_sequence(o.xp, o.h0, o.c0, o.w, dg::test::randn({H}, 2)), ShapeError, "lstm_sequence",
                     "b_hh", "[3]", "[12]");
    EXPECT_THROW_MSG(lstm_sequence(dg::test::randn({T_ * N, 3 * H}, 3), o.h0, o.c0, o.w, o.b), ShapeError,
                     "lstm_sequence", "xp", "[6, 9]", "[T·2, 12]");
    EXPECT_THROW_MSG(lstm_sequence(dg::test::randn({T_ * N + 1, 4 * H}, 3), o.h0, o.c0, o.w, o.b), ShapeError,
                     "lstm_sequence", "xp", "[7, 12]", "T >= 1");
    EXPECT_THROW_MSG(lstm_sequence(dg::test::randn({0, 4 * H}, 3), o.h0, o.c0, o.w, o.b), ShapeError,
                     "lstm_sequence", "T >= 1");
    EXPECT_THROW_MSG(lstm_sequence(o.xp, dg::test::randn({N, H + 1}, 3), o.c0, o.w, o.b), ShapeError,
                     "lstm_sequence", "h0", "[2, 4]", "[N, 3]");
    EXPECT_THROW_MSG(lstm_sequence(o.xp, o.h0, dg::test::randn({N + 1, H}, 4), o.w, o.b), ShapeError,
                     "lstm_sequence", "c0", "[3, 3]", "[2, 3]");
    EXPECT_THROW_MSG(rnn_sequence(narrow(o.xp, 1, 0, H), dg::test::randn({N, H + 1}, 5), weight({H, H}, 6), none),
                     ShapeError, "rnn_sequence", "h0", "[2, 4]", "[N, 3]");
    EXPECT_THROW_MSG(gru_sequence(narrow(o.xp, 1, 0, 3 * H), o.h0, weight({3 * H, H + 1}, 7), none), ShapeError,
                     "gru_sequence", "w_hh", "[9, 4]", "[3H, H]");
    const Tensord x = dg::test::randn({N, C}, 8);
    EXPECT_THROW_MSG(rnn_cell(x, o.h0, weight({H, C + 1}, 9), weight({H, H}, 10), none, none), ShapeError, "rnn_cell",
                     "w_ih", "[3, 3]", "[3, C]");
    EXPECT_THROW_MSG(gru_cell(x, o.h0, weight({3 * H, C}, 9), weight({3 * H, H}, 10), dg::test::randn({H}, 11), none),
                     ShapeError, "gru_cell", "b_ih", "[3]", "[9]");
    EXPECT_THROW_MSG(lstm_cell(x, o.h0, dg::test::randn({N, H + 1}, 12), weight({4 * H, C}, 9), o.w, none, none),
                     ShapeError, "lstm_cell", "c", "[2, 4]", "[2, 3]");
    EXPECT_THROW_MSG(lstm_step_backward(o.h0, o.h0, o.h0, o.h0, o.h0), ShapeError, "lstm_step_backward", "gates",
                     "[N, 4H]");
    EXPECT_THROW_MSG(gru_step_backward(o.h0, o.h0, o.h0), ShapeError, "gru_step_backward", "[N, 4H]");
}
