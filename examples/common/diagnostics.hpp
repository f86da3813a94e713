// Per-layer training diagnostics for `train --diagnostics`: ‖δ(l)‖, ‖ΔW(l)‖, the update-to-weight ratio, the
// share of dead ReLUs and of saturated sigmoid/tanh units, with vanishing/exploding flags, per epoch.
#pragma once

#include <string>
#include <vector>

#include "nn/layers/mlp.hpp"

namespace dg::examples {

class Diagnostics {
public:
    /// Turns on the model's recording of z(l) and a(l) (their gradients δ(l) are kept after backward).
    explicit Diagnostics(nn::Mlp<float>& model);
    /// After backward, before the optimizer step: reads δ(l) and ΔW(l), and remembers W(l).
    void before_step();
    /// After the optimizer step: measures ‖W_new − W_old‖ / ‖W_old‖.
    void after_step();
    /// The epoch's table (averages over its batches) with flags; resets for the next epoch and, when `csv`
    /// is not empty, appends the epoch's rows to that file.
    std::string end_epoch(std::size_t epoch, const std::string& csv);

    /// A layer whose mean ‖δ‖ is below vanish_ratio times the last layer's is flagged vanishing; above
    /// explode_ratio times, exploding.
    static constexpr double vanish_ratio = 1e-3, explode_ratio = 1e3;

private:
    struct Layer {
        double delta_norm = 0, grad_norm = 0, update_ratio = 0, saturated = 0;
        std::vector<char> ever_active;  // per unit, ReLU-like layers: positive z for some sample this epoch
        Array<float> w_before;
    };
    nn::Mlp<float>& model_;
    std::vector<Layer> layers_;
    std::size_t steps_ = 0;
};

}  // namespace dg::examples
