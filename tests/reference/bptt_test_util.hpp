// Shared by the BPTT reference tests: seeded random arrays, targets that suit a loss, and the central finite
// differences of a loss with respect to every element of an array, or to every array a BPTT result has a gradient for.
#pragma once

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nn/reference/bptt_common.hpp"
#include "nn/reference/delta_loss.hpp"
#include "reference/reference_test_util.hpp"

namespace dg::reference::test {

/// A random gated recurrent network (the LSTM's or GRU's parameters, `gates` = 4 or 3 blocks per weight), its batch
/// [T, N, C], initial states and targets: sizes 1–3, the head tanh under mse. c0 is drawn only `with_cell` (LSTM).
template <class Net>
struct GatedProblem {
    Net net;                          ///< layers and head
    Array<double> X;                  ///< [T, N, C]
    Array<double> Y;                  ///< targets for `at`
    std::vector<Array<double>> h0;    ///< per layer [N, H]
    std::vector<Array<double>> c0;    ///< per layer [N, H] (LSTM only)
};

/// Draws a GatedProblem of `depth` layers (see there).
template <class Net>
GatedProblem<Net> random_gated_problem(std::mt19937_64& rng, std::size_t gates, bool with_cell, Loss loss, LossAt at,
                                       std::size_t depth) {
    std::uniform_int_distribution<std::size_t> size(1, 3);
    GatedProblem<Net> p;
    const std::size_t T = size(rng) + 1, N = size(rng), C = size(rng);
    p.X = random_array(rng, {T, N, C}, 1.0);
    std::size_t in = C;
    for (std::size_t l = 0; l < depth; ++l) {
        const std::size_t H = size(rng);
        const double k = 0.8 / std::sqrt(double(H));
        p.net.layers.push_back({random_array(rng, {gates * H, in}, k), random_array(rng, {gates * H, H}, k),
                                random_array(rng, {gates * H}, 0.3), random_array(rng, {gates * H}, 0.3)});
        p.h0.push_back(random_array(rng, {N, H}, 0.5));
        if (with_cell) p.c0.push_back(random_array(rng, {N, H}, 1.0));
        in = H;
    }
    const std::size_t K = size(rng) + 1;
    p.net.head = {random_array(rng, {K, in}, 1.0), random_array(rng, {K}, 0.3),
                  loss == Loss::mse ? ActivationKind::tanh : ActivationKind::identity, {}};
    p.Y = random_targets(rng, loss, at == LossAt::every_step ? T * N : N, K);
    return p;
}

/// Expects `analytic` to be the central difference (step 1e-6) of `loss` with respect to every element of `param`,
/// which is perturbed in place and restored.
inline void expect_matches_differences(const Array<double>& analytic, Array<double>& param,
                                       const std::function<double()>& loss, const char* what) {
    ASSERT_EQ(shape_of(analytic), shape_of(param)) << what;
    const double eps = 1e-6;
    for (std::size_t k = 0; k < param.size(); ++k) {
        const double keep = param.data()[k];
        param.data()[k] = keep + eps;
        const double up = loss();
        param.data()[k] = keep - eps;
        const double down = loss();
        param.data()[k] = keep;
        const double numeric = (up - down) / (2 * eps);
        EXPECT_NEAR(analytic.data()[k], numeric, 1e-7 + 1e-5 * std::abs(numeric)) << what << " element " << k;
    }
}

/// Expects every gradient a BPTT result has for its network — each layer's ΔW_ih, ΔW_hh, Δb_ih, Δb_hh and ∂l/∂h_0, the
/// head's ΔW and Δb, ∂l/∂x_t — to be the central difference of `loss` with respect to that array (net, h0, X [T, N, C]).
template <class Result, class Net>
void expect_gradients_match_differences(const Result& r, Net& net, std::vector<Array<double>>& h0, Array<double>& X,
                                        const std::function<double()>& loss) {
    EXPECT_NEAR(r.loss, loss(), 1e-15);
    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        SCOPED_TRACE("layer " + std::to_string(k + 1));
        expect_matches_differences(r.layers[k].dW_ih, net.layers[k].W_ih, loss, "W_ih");
        expect_matches_differences(r.layers[k].dW_hh, net.layers[k].W_hh, loss, "W_hh");
        expect_matches_differences(r.layers[k].db_ih, net.layers[k].b_ih, loss, "b_ih");
        expect_matches_differences(r.layers[k].db_hh, net.layers[k].b_hh, loss, "b_hh");
        expect_matches_differences(r.layers[k].dh0, h0[k], loss, "h0");
    }
    expect_matches_differences(r.head.dW, net.head.W, loss, "head W");
    expect_matches_differences(r.head.db, net.head.b, loss, "head b");
    Array<double> dx = Array<double>::from_shape(shape_of(X));
    for (std::size_t t = 0; t < r.dx.size(); ++t) xt::view(dx, t) = r.dx[t];
    expect_matches_differences(dx, X, loss, "X");
}

}  // namespace dg::reference::test
