// The losses of the delta reference: their values, the output activation they imply and the output
// delta δ(L) = ∂loss/∂z(L), with the batch conventions the autograd losses share (samples are rows).
#pragma once

#include <string_view>

#include "autograd/array/xt.hpp"
#include "nn/reference/delta_activation.hpp"

namespace dg::reference {

/// Loss over a batch of m samples (rows) with n outputs each.
///  - mse_half:   (1/m) Σ_samples ½‖ŷ − y‖²                 (the notes' convention, averaged over the batch)
///  - mse:        mean over all m·n elements of (ŷ − y)²
///  - softmax_ce: (1/m) Σ −y·log softmax(z); δ(L) = (softmax(z)·Σ_j y_j − y)/m, which is (softmax(z) − y)/m
///                when each row of y is a distribution (the exact gradient otherwise, e.g. unnormalised targets)
///  - bce:        mean over all m·n elements of −[y log p + (1 − y) log(1 − p)], p = σ(z); δ(L) = (p − y)/(m·n)
/// mse and mse_half accept any output activation f (δ(L) = ∂l/∂a ⊙ f'(z)); softmax_ce and bce apply softmax /
/// sigmoid to the logits z(L) themselves, so the output layer's own activation must be identity (or sigmoid for bce).
enum class Loss { mse_half, mse, softmax_ce, bce };

/// "mse_half", "mse", "softmax_ce", "bce".
const char* loss_name(Loss loss);

/// Inverse of loss_name ('-' is accepted for '_'); throws dg::ValueError naming the valid names.
Loss parse_loss(std::string_view name);

/// Whether the output layer may use activation f with this loss (see Loss).
bool output_activation_allowed(Loss loss, ActivationKind f);

/// a(L) from z(L): f(z) for the mse losses, softmax(z) by rows for softmax_ce (stable), σ(z) for bce.
template <class T>
void output_activation_into(Loss loss, ActivationKind f, T alpha, const Array<T>& z, Array<T>& a);

/// The loss value (without any L2 penalty) from z(L), a(L) and the targets y, all [m, n].
/// softmax_ce and bce are computed from the logits z (log-sum-exp, log1p) so they stay finite for large |z|.
template <class T>
T loss_value(Loss loss, const Array<T>& z, const Array<T>& a, const Array<T>& y);

/// δ(L) = ∂loss/∂z(L) written into delta (resized only if its shape differs), including the 1/m or 1/(m·n).
template <class T>
void output_delta_into(Loss loss, ActivationKind f, T alpha, const Array<T>& z, const Array<T>& a, const Array<T>& y,
                       Array<T>& delta);

}  // namespace dg::reference
