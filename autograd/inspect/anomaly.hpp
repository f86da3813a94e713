// Anomaly mode (PyTorch's detect_anomaly): an observer of the engine that checks every value an op records and
// every gradient a backward function computes, and stops at the first NaN or Inf.
#pragma once

#include <optional>

#include "autograd/engine.hpp"

namespace dg {

/// True while an AnomalyGuard lives on this thread.
bool anomaly_enabled();

/// While a guard lives on this thread, the first NaN or Inf in a forward value or a gradient raises
/// AnomalyError naming the op, its inputs' shapes and where the op was created (the name scope, e.g. a module
/// path): `anomaly: the backward of log (created in model.fc2) produced NaN or Inf in the gradient of input 0`.
/// Costs a pass over each value.
class AnomalyGuard {
public:
    AnomalyGuard();
    ~AnomalyGuard();
    AnomalyGuard(const AnomalyGuard&) = delete;
    AnomalyGuard& operator=(const AnomalyGuard&) = delete;

private:
    struct Checks;
    Checks* checks_;
};

}  // namespace dg
