// One in-place SGD training step on the delta recurrences with preallocated buffers: the speed floor that
// autograd training is benchmarked against (no allocation once the workspace has seen the batch shape).
#pragma once

#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::reference {

/// Buffers reused from step to step: z(l), a(l), δ(l), Δb(l) per layer. Sized on the first step and again only when
/// the batch size or the network changes. One workspace per thread.
template <class T>
struct SgdWorkspace {
    std::vector<Array<T>> z;      ///< z(l) per layer, [m, n_out]
    std::vector<Array<T>> a;      ///< a(l) per layer, [m, n_out]
    std::vector<Array<T>> delta;  ///< δ(l) per layer, [m, n_out]
    std::vector<Array<T>> db;     ///< Δb(l) per layer, [n_out]
};

/// One step of plain SGD on the batch (X, Y): forward, deltas, then W(l) −= lr·ΔW(l), b(l) −= lr·Δb(l), with ΔW and
/// Δb exactly as delta_backprop computes them (L2 included). W's update is fused into the GEMM that forms ΔW
/// (W ← (1 − lr·λ/m) W − lr δ^T a), done after δ(l−1) has used the old W(l). Returns the loss before the update.
/// Throws as delta_backprop does, and dg::ValueError for a non-finite lr; net is unchanged when it throws.
template <class T>
T delta_sgd_step(MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lr, T lambda,
                 SgdWorkspace<T>& workspace);

}  // namespace dg::reference
