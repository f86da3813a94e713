// Per-layer training diagnostics for `train --diagnostics`: ‖δ(l)‖, ‖ΔW(l)‖, the update-to-weight ratio, the
// share of dead ReLUs and of saturated sigmoid/tanh units, with vanishing/exploding flags, per epoch; the plot of
// ‖δ(l)‖ per epoch.
#pragma once

#include <string>
#include <vector>

#include "nn/layers/mlp.hpp"

namespace dg::examples {

/// When a layer is flagged: its mean ‖δ(l)‖ over the epoch compared with the last layer's, ‖δ(L)‖.
struct DiagnosticsThresholds {
    double vanishing = 1e-2;  ///< "vanishing" below vanishing·‖δ(L)‖
    double exploding = 1e2;   ///< "exploding" above exploding·‖δ(L)‖
    /// "vanishing below 0.01·|δ(L)|, exploding above 100·|δ(L)|", as printed.
    std::string str() const;
};

/// Gathers the diagnostics of an Mlp over an epoch's steps and reports them per layer.
class Diagnostics {
public:
    /// Turns on the model's recording of z(l) and a(l) (their gradients δ(l) are kept after backward).
    explicit Diagnostics(nn::Mlp<float>& model, DiagnosticsThresholds thresholds = {});
    /// After backward, before the optimizer step: reads δ(l) and ΔW(l), and remembers W(l).
    void before_step();
    /// After the optimizer step: measures ‖W_new − W_old‖ / ‖W_old‖.
    void after_step();
    /// The epoch's table (averages over its batches) with flags; resets for the next epoch and, when `csv`
    /// is not empty, appends the epoch's rows to that file.
    std::string end_epoch(std::size_t epoch, const std::string& csv);

private:
    struct Layer {
        double delta_norm = 0, grad_norm = 0, update_ratio = 0, saturated = 0;
        std::vector<char> ever_active;  // per unit, ReLU-like layers: positive z for some sample this epoch
        Array<float> w_before;
    };
    nn::Mlp<float>& model_;
    DiagnosticsThresholds thresholds_;
    std::vector<Layer> layers_;
    std::size_t steps_ = 0;
};

/// Plots the delta_norm column of a diagnostics.csv, one line per layer over the epochs, on a log scale, into
/// `png` (gnuplot). Returns false when the file holds no rows or gnuplot is missing.
bool plot_delta_norms(const std::string& csv, const std::string& png);

}  // namespace dg::examples
