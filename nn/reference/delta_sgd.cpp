// delta_sgd_step: forward, deltas and the in-place SGD update on reused buffers; the training-step floor.
#include "nn/reference/delta_sgd.hpp"

#include <cmath>
#include <sstream>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {

template <class T>
T delta_sgd_step(MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, T lr, T lambda,
                 SgdWorkspace<T>& ws) {
    detail::validate("delta_sgd_step", net, X, Y, loss, lambda);
    if (!std::isfinite(lr)) {
        std::ostringstream os;
        os << "delta_sgd_step: learning rate is " << lr << ", expected a finite number";
        throw ValueError(os.str());
    }
    const std::size_t count = net.layers.size();
    const T m = static_cast<T>(X.shape()[0]);

    const T value = detail::forward_pass(net, X, Y, loss, lambda, ws.z, ws.a, static_cast<T*>(nullptr));
    ws.delta.resize(count);
    ws.db.resize(count);
    const LayerParams<T>& out = net.layers.back();
    output_delta_into(loss, out.activation, out.resolved_alpha(), ws.z.back(), ws.a.back(), Y, ws.delta.back());

    // W ← W − lr (δ^T a + (λ/m) W) = (1 − lr λ/m) W − lr δ^T a: one GEMM with α = −lr, β = 1 − lr λ/m.
    const T decay = T(1) - lr * lambda / m;
    for (std::size_t l = count; l-- > 0;) {
        LayerParams<T>& params = net.layers[l];
        // δ(l−1) needs the old W(l): propagate before the update.
        if (l > 0) {
            detail::propagate_delta(ws.delta[l], params.W, net.layers[l - 1], ws.z[l - 1], ws.a[l - 1],
                                    ws.delta[l - 1]);
        }
        const Array<T>& a_prev = l == 0 ? X : ws.a[l - 1];
        gemm_into(ws.delta[l], true, a_prev, false, params.W, -lr, decay);
        detail::column_sums(ws.delta[l], ws.db[l]);
        T* b = params.b.data();
        const T* db = ws.db[l].data();
        for (std::size_t j = 0; j < params.b.size(); ++j) b[j] -= lr * db[j];
    }
    return value;
}

template float delta_sgd_step<float>(MlpParams<float>&, const Array<float>&, const Array<float>&, Loss, float, float,
                                     SgdWorkspace<float>&);
template double delta_sgd_step<double>(MlpParams<double>&, const Array<double>&, const Array<double>&, Loss, double,
                                       double, SgdWorkspace<double>&);

}  // namespace dg::reference
