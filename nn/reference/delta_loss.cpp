// Loss values, output activations and output deltas δ(L) of the delta reference, as loops over the rows
// (softmax and cross-entropies need the per-row log-sum-exp), explicitly instantiated for float and double.
#include "nn/reference/delta_loss.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/delta_kernels.hpp"

namespace dg::reference {
namespace {

constexpr std::array<std::pair<Loss, const char*>, 4> loss_names{{
    {Loss::mse_half, "mse_half"},
    {Loss::mse, "mse"},
    {Loss::softmax_ce, "softmax_ce"},
    {Loss::bce, "bce"},
}};

// Throws unless z, a and y are all [m, n] with the same m, n.
template <class T>
void check_output_shapes(const char* fn, const Array<T>& z, const Array<T>& a, const Array<T>& y) {
    const bool ok = z.dimension() == 2 && a.dimension() == 2 && y.dimension() == 2 &&
                    std::equal(z.shape().begin(), z.shape().end(), a.shape().begin()) &&
                    std::equal(z.shape().begin(), z.shape().end(), y.shape().begin());
    if (!ok) {
        throw ShapeError(std::string(fn) + ": z, a and y must all be [m, n]; got z " + shape_str(shape_of(z)) +
                         ", a " + shape_str(shape_of(a)) + ", y " + shape_str(shape_of(y)));
    }
}

// log(1 + e^x) without overflow.
inline double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

}  // namespace

const char* loss_name(Loss loss) {
    for (const auto& [value, name] : loss_names) {
        if (value == loss) return name;
    }
    throw ValueError("loss_name: unknown Loss value " + std::to_string(static_cast<int>(loss)));
}

Loss parse_loss(std::string_view name) {
    std::string key(name);
    for (char& c : key) {
        if (c == '-') c = '_';
    }
    for (const auto& [value, known] : loss_names) {
        if (key == known) return value;
    }
    throw ValueError("parse_loss: unknown loss \"" + std::string(name) +
                     "\", expected one of mse_half, mse, softmax_ce, bce");
}

bool output_activation_allowed(Loss loss, ActivationKind f) {
    switch (loss) {
        case Loss::mse_half:
        case Loss::mse: return true;
        case Loss::softmax_ce: return f == ActivationKind::identity;
        case Loss::bce: return f == ActivationKind::identity || f == ActivationKind::sigmoid;
    }
    return false;
}

template <class T>
void output_activation_into(Loss loss, ActivationKind f, T alpha, const Array<T>& z, Array<T>& a) {
    switch (loss) {
        case Loss::mse_half:
        case Loss::mse: activate_into(f, alpha, z, a); return;
        case Loss::bce: activate_into(ActivationKind::sigmoid, alpha, z, a); return;
        case Loss::softmax_ce: break;
    }
    if (z.dimension() != 2) {
        throw ShapeError("output_activation_into: softmax needs z as [m, n], got " + shape_str(shape_of(z)));
    }
    const std::size_t m = z.shape()[0], n = z.shape()[1];
    detail::ensure_shape(a, m, n);
    const T* zp = z.data();
    T* ap = a.data();
    for (std::size_t i = 0; i < m; ++i, zp += n, ap += n) {
        // softmax(z) = e^{z − max z} / Σ e^{z − max z}: the shift keeps every exponent ≤ 0.
        const T top = *std::max_element(zp, zp + n);
        T sum = 0;
        for (std::size_t j = 0; j < n; ++j) sum += (ap[j] = std::exp(zp[j] - top));
        for (std::size_t j = 0; j < n; ++j) ap[j] /= sum;
    }
}

template <class T>
T loss_value(Loss loss, const Array<T>& z, const Array<T>& a, const Array<T>& y) {
    check_output_shapes("loss_value", z, a, y);
    const std::size_t m = z.shape()[0], n = z.shape()[1], size = m * n;
    const T* zp = z.data();
    const T* ap = a.data();
    const T* yp = y.data();
    double sum = 0;  // accumulated in double: the float instantiation then loses nothing to the summation
    switch (loss) {
        case Loss::mse_half:
        case Loss::mse:
            for (std::size_t k = 0; k < size; ++k) sum += (double(ap[k]) - yp[k]) * (double(ap[k]) - yp[k]);
            return static_cast<T>(loss == Loss::mse_half ? sum / (2.0 * m) : sum / double(size));
        case Loss::softmax_ce:
            // −Σ_j y_j log softmax_j(z) = Σ_j y_j (logsumexp(z) − z_j), row by row.
            for (std::size_t i = 0; i < m; ++i, zp += n, yp += n) {
                const double top = *std::max_element(zp, zp + n);
                double s = 0;
                for (std::size_t j = 0; j < n; ++j) s += std::exp(double(zp[j]) - top);
                const double lse = top + std::log(s);
                for (std::size_t j = 0; j < n; ++j) sum += yp[j] * (lse - zp[j]);
            }
            return static_cast<T>(sum / double(m));
        case Loss::bce:
            // −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, finite for any z.
            for (std::size_t k = 0; k < size; ++k) sum += softplus(zp[k]) - double(yp[k]) * zp[k];
            return static_cast<T>(sum / double(size));
    }
    throw ValueError("loss_value: unknown Loss value " + std::to_string(static_cast<int>(loss)));
}

template <class T>
void output_delta_into(Loss loss, ActivationKind f, T alpha, const Array<T>& z, const Array<T>& a, const Array<T>& y,
                       Array<T>& delta) {
    check_output_shapes("output_delta_into", z, a, y);
    const std::size_t m = z.shape()[0], n = z.shape()[1], size = m * n;
    detail::ensure_shape(delta, m, n);
    const T* ap = a.data();
    const T* yp = y.data();
    T* dp = delta.data();
    switch (loss) {
        case Loss::mse_half:
        case Loss::mse: {
            // ∂l/∂a = (a − y)/m for ½‖·‖² averaged over samples, 2(a − y)/(m·n) for the mean; then ⊙ f'(z).
            const T scale = loss == Loss::mse_half ? T(1) / T(m) : T(2) / T(size);
            for (std::size_t k = 0; k < size; ++k) dp[k] = scale * (ap[k] - yp[k]);
            multiply_by_derivative(f, alpha, z, a, delta);
            return;
        }
        case Loss::softmax_ce:
            // δ = (p Σ_j y_j − y)/m: the exact gradient; (p − y)/m when the row of y sums to 1.
            for (std::size_t i = 0; i < m; ++i, ap += n, yp += n, dp += n) {
                T total = 0;
                for (std::size_t j = 0; j < n; ++j) total += yp[j];
                for (std::size_t j = 0; j < n; ++j) dp[j] = (ap[j] * total - yp[j]) / T(m);
            }
            return;
        case Loss::bce: {
            // a = σ(z) already (computed stably), so δ = (σ(z) − y)/(m·n) needs no log at all.
            const T scale = T(1) / T(size);
            for (std::size_t k = 0; k < size; ++k) dp[k] = scale * (ap[k] - yp[k]);
            return;
        }
    }
    throw ValueError("output_delta_into: unknown Loss value " + std::to_string(static_cast<int>(loss)));
}

#define DG_INSTANTIATE(T)                                                                                     \
    template void output_activation_into<T>(Loss, ActivationKind, T, const Array<T>&, Array<T>&);                 \
    template T loss_value<T>(Loss, const Array<T>&, const Array<T>&, const Array<T>&);                        \
    template void output_delta_into<T>(Loss, ActivationKind, T, const Array<T>&, const Array<T>&, const Array<T>&, \
                                       Array<T>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
