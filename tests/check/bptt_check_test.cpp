// The BPTT reference against autograd unrolling the recurrent ops over the same weights and batch, in double: every
// layer's δ_t at every step (autograd's gradient of the input projection xp[t], which enters the pre-activation as
// it is), the LSTM's cell-state gradient ε_t, every weight, bias, initial-state and input gradient, and the loss.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/reference/bptt_lstm.hpp"
#include "nn/reference/bptt_rnn.hpp"
#include "reference/bptt_test_util.hpp"
#include "support/allclose.hpp"

namespace dg::reference {
namespace {

using dg::test::all_close;
using test::random_array;
using Td = Tensor<double>;

constexpr std::size_t T_ = 4, N = 3, C = 2, K = 3;
constexpr double tol = 1e-12;

Td leaf(const Array<double>& a) { return Td(a, true); }

/// The batch [T, N, C] as autograd's sequence layout [T·N, C], step after step.
Array<double> flat(Array<double> X) {
    X.reshape({T_ * N, C});
    return X;
}

/// One-hot targets [rows, K] for the reference and their class indices for autograd.
struct Targets {
    Array<double> onehot;
    std::vector<std::size_t> index;
};
Targets random_classes(std::mt19937_64& rng, std::size_t rows) {
    Targets y{xt::zeros<double>({rows, K}), {}};
    for (std::size_t i = 0; i < rows; ++i) {
        y.index.push_back(rng() % K);
        y.onehot(i, y.index.back()) = 1.0;
    }
    return y;
}

/// The head and loss on autograd's top states hs [T·N, H]: the rows of every step, or of the last.
Td head_loss(const Td& hs, const Td& W, const Td& b, Loss loss, LossAt at, const Targets& y) {
    const Td rows = at == LossAt::every_step ? hs : narrow(hs, 0, (T_ - 1) * N, N);
    const Td z = linear(rows, W, b);
    if (loss == Loss::softmax_ce) return softmax_cross_entropy(z, y.index);
    const Td d = sub(z, Td(y.onehot));  // mse_half: (1/m) Σ ½‖ŷ − y‖²
    return mul(sum(mul(d, d)), 0.5 / static_cast<double>(rows.shape()[0]));
}

/// Step t of a [T·N, K] tensor's gradient as an array [N, K].
Array<double> step(const Td& g, std::size_t t) { return Array<double>(xt::view(g.value(), xt::range(t * N, t * N + N))); }

void expect_close(const Array<double>& autograd, const Array<double>& reference, const std::string& what) {
    EXPECT_TRUE(all_close(autograd, reference, tol, 1e-10)) << what;
}

TEST(BpttCheck, ElmanReferenceMatchesAutogradStepByStep) {
    std::mt19937_64 rng(41);
    const std::size_t hidden[] = {4, 3};
    for (RnnNonlinearity f : {RnnNonlinearity::tanh, RnnNonlinearity::relu})
        for (Loss loss : {Loss::softmax_ce, Loss::mse_half})
            for (LossAt at : {LossAt::every_step, LossAt::last_step}) {
                SCOPED_TRACE(std::string(f == RnnNonlinearity::tanh ? "tanh " : "relu ") + loss_name(loss) + " " +
                             loss_at_name(at));
                RnnParams<double> net;
                std::vector<Array<double>> h0;
                std::size_t in = C;
                for (std::size_t H : hidden) {
                    const double k = 0.9 / std::sqrt(double(H));
                    net.layers.push_back({random_array(rng, {H, in}, k), random_array(rng, {H, H}, k),
                                          random_array(rng, {H}, 0.3), random_array(rng, {H}, 0.3),
                                          f == RnnNonlinearity::tanh ? ActivationKind::tanh : ActivationKind::relu});
                    h0.push_back(random_array(rng, {N, H}, 0.5));
                    in = H;
                }
                net.head = {random_array(rng, {K, in}, 1.0), random_array(rng, {K}, 0.3), ActivationKind::identity, {}};
                const Array<double> X = random_array(rng, {T_, N, C}, 1.0);
                const Targets y = random_classes(rng, at == LossAt::every_step ? T_ * N : N);
                const RnnResult<double> ref = bptt_rnn(net, X, h0, y.onehot, loss, at);

                // autograd: per layer one GEMM for the input projection of every step, then rnn_sequence.
                const Td x = leaf(flat(X)), W_out = leaf(net.head.W), b_out = leaf(net.head.b);
                std::vector<Td> params, xps;
                Td states = x;  // [T·N, ·], step after step
                for (std::size_t l = 0; l < net.layers.size(); ++l) {
                    const auto& p = net.layers[l];
                    const Td W_ih = leaf(p.W_ih), W_hh = leaf(p.W_hh), b_ih = leaf(p.b_ih), b_hh = leaf(p.b_hh),
                             h = leaf(h0[l]);
                    const Td xp = linear(states, W_ih, b_ih);
                    states = rnn_sequence(xp, h, W_hh, b_hh, f);
                    params.insert(params.end(), {W_ih, W_hh, b_ih, b_hh, h});
                    xps.push_back(xp);
                }
                const Td l = head_loss(states, W_out, b_out, loss, at, y);
                EXPECT_NEAR(l.item(), ref.loss, tol);
                std::vector<Td> wrt = params;
                wrt.insert(wrt.end(), xps.begin(), xps.end());
                wrt.insert(wrt.end(), {W_out, b_out, x});
                const std::vector<Td> g = grad(std::vector<Td>{l}, wrt);
                for (std::size_t k = 0; k < net.layers.size(); ++k) {
                    const RnnLayerResult<double>& r = ref.layers[k];
                    const std::string layer = "layer " + std::to_string(k + 1) + " ";
                    expect_close(g[5 * k].value(), r.dW_ih, layer + "dW_ih");
                    expect_close(g[5 * k + 1].value(), r.dW_hh, layer + "dW_hh");
                    expect_close(g[5 * k + 2].value(), r.db_ih, layer + "db_ih");
                    expect_close(g[5 * k + 3].value(), r.db_hh, layer + "db_hh");
                    expect_close(g[5 * k + 4].value(), r.dh0, layer + "dh0");
                    for (std::size_t t = 0; t < T_; ++t)
                        expect_close(step(g[5 * net.layers.size() + k], t), r.delta[t],
                                     layer + "delta at step " + std::to_string(t + 1));
                }
                const std::size_t rest = 6 * net.layers.size();
                expect_close(g[rest].value(), ref.head.dW, "head dW");
                expect_close(g[rest + 1].value(), ref.head.db, "head db");
                for (std::size_t t = 0; t < T_; ++t) expect_close(step(g[rest + 2], t), ref.dx[t], "dx");
            }
}

/// A random two-layer LSTM, its initial states, a batch and class targets.
struct LstmProblem {
    LstmParams<double> net;
    std::vector<Array<double>> h0, c0;
    Array<double> X;
    Targets y;
};
LstmProblem random_lstm(std::mt19937_64& rng, LossAt at) {
    LstmProblem p;
    std::size_t in = C;
    for (std::size_t H : {3, 2}) {
        const double k = 0.9 / std::sqrt(double(H));
        p.net.layers.push_back({random_array(rng, {4 * H, in}, k), random_array(rng, {4 * H, H}, k),
                                random_array(rng, {4 * H}, 0.3), random_array(rng, {4 * H}, 0.3)});
        p.h0.push_back(random_array(rng, {N, H}, 0.5));
        p.c0.push_back(random_array(rng, {N, H}, 1.0));
        in = H;
    }
    p.net.head = {random_array(rng, {K, in}, 1.0), random_array(rng, {K}, 0.3), ActivationKind::identity, {}};
    p.X = random_array(rng, {T_, N, C}, 1.0);
    p.y = random_classes(rng, at == LossAt::every_step ? T_ * N : N);
    return p;
}

TEST(BpttCheck, LstmReferenceMatchesAutogradStepByStep) {
    std::mt19937_64 rng(43);
    for (Loss loss : {Loss::softmax_ce, Loss::mse_half})
        for (LossAt at : {LossAt::every_step, LossAt::last_step}) {
            SCOPED_TRACE(std::string(loss_name(loss)) + " " + loss_at_name(at));
            const LstmProblem p = random_lstm(rng, at);
            const LstmResult<double> ref = bptt_lstm(p.net, p.X, p.h0, p.c0, p.y.onehot, loss, at);
            const Td x = leaf(flat(p.X)), W_out = leaf(p.net.head.W), b_out = leaf(p.net.head.b);
            std::vector<Td> params, xps;
            Td states = x;  // [T·N, ·], step after step
            for (std::size_t l = 0; l < p.net.layers.size(); ++l) {
                const auto& w = p.net.layers[l];
                const Td W_ih = leaf(w.W_ih), W_hh = leaf(w.W_hh), b_ih = leaf(w.b_ih), b_hh = leaf(w.b_hh),
                         h = leaf(p.h0[l]), c = leaf(p.c0[l]);
                const Td xp = linear(states, W_ih, b_ih);
                states = narrow(lstm_sequence(xp, h, c, W_hh, b_hh), 0, 0, T_ * N);  // the h_t
                params.insert(params.end(), {W_ih, W_hh, b_ih, b_hh, h, c});
                xps.push_back(xp);
            }
            const Td l = head_loss(states, W_out, b_out, loss, at, p.y);
            EXPECT_NEAR(l.item(), ref.loss, tol);
            std::vector<Td> wrt = params;
            wrt.insert(wrt.end(), xps.begin(), xps.end());
            wrt.insert(wrt.end(), {W_out, b_out, x});
            const std::vector<Td> g = grad(std::vector<Td>{l}, wrt);
            for (std::size_t k = 0; k < p.net.layers.size(); ++k) {
                const LstmLayerResult<double>& r = ref.layers[k];
                const std::string layer = "layer " + std::to_string(k + 1) + " ";
                const char* names[] = {"dW_ih", "dW_hh", "db_ih", "db_hh", "dh0", "dc0"};
                const Array<double>* expected[] = {&r.dW_ih, &r.dW_hh, &r.db_ih, &r.db_hh, &r.dh0, &r.dc0};
                for (std::size_t j = 0; j < 6; ++j) expect_close(g[6 * k + j].value(), *expected[j], layer + names[j]);
                for (std::size_t t = 0; t < T_; ++t)
                    expect_close(step(g[6 * p.net.layers.size() + k], t), r.delta[t],
                                 layer + "delta (i, f, g, o) at step " + std::to_string(t + 1));
            }
            const std::size_t rest = 7 * p.net.layers.size();
            expect_close(g[rest].value(), ref.head.dW, "head dW");
            expect_close(g[rest + 1].value(), ref.head.db, "head db");
            for (std::size_t t = 0; t < T_; ++t) expect_close(step(g[rest + 2], t), ref.dx[t], "dx");
        }
}

// The cell state's gradient ε_t is internal to lstm_sequence; unrolled with lstm_cell, h_t and c_t are tensors and
// autograd's gradients at them are what reaches them from outside the step: at h_t, e_t = ∂l/∂h_t + δ_{t+1} W_hh, and
// at c_t, ε_{t+1} ⊙ f_{t+1}. So ε_t = (grad at h_t) ⊙ o_t ⊙ (1 − tanh²(c_t)) + (grad at c_t).
TEST(BpttCheck, LstmCellStateGradientMatchesAutogradUnrolledWithCells) {
    std::mt19937_64 rng(47);
    const LstmProblem p = random_lstm(rng, LossAt::every_step);
    LstmParams<double> net = p.net;
    net.layers.resize(1);
    net.head.W = random_array(rng, {K, 3}, 1.0);
    const LstmResult<double> ref =
        bptt_lstm(net, p.X, {p.h0[0]}, {p.c0[0]}, p.y.onehot, Loss::softmax_ce, LossAt::every_step);
    const auto& w = net.layers[0];
    const Td W_ih = leaf(w.W_ih), W_hh = leaf(w.W_hh), b_ih = leaf(w.b_ih), b_hh = leaf(w.b_hh);
    std::vector<Td> hs, cs;
    Td h = leaf(p.h0[0]), c = leaf(p.c0[0]);
    for (std::size_t t = 0; t < T_; ++t) {
        const LstmState<double> s = lstm_cell(Td(detail::step_input<double>(p.X, nullptr, t)), h, c, W_ih, W_hh, b_ih, b_hh);
        h = s.h;
        c = s.c;
        hs.push_back(h);
        cs.push_back(c);
    }
    const Td l = softmax_cross_entropy(linear(concat(hs, 0), leaf(net.head.W), leaf(net.head.b)), p.y.index);
    EXPECT_NEAR(l.item(), ref.loss, tol);
    std::vector<Td> wrt = hs;
    wrt.insert(wrt.end(), cs.begin(), cs.end() - 1);  // c_T reaches nothing outside its step: no gradient
    const std::vector<Td> g = grad(std::vector<Td>{l}, wrt);
    const LstmLayerResult<double>& r = ref.layers[0];
    for (std::size_t t = 0; t < T_; ++t) {
        const Array<double> tanh_c = xt::tanh(r.c[t]);
        Array<double> eps = g[t].value() * r.o[t] * (1.0 - tanh_c * tanh_c);
        if (t + 1 < T_) eps += g[T_ + t].value();
        expect_close(eps, r.eps[t], "eps at step " + std::to_string(t + 1));
    }
}

}  // namespace
}  // namespace dg::reference
