// The one activation vocabulary of deltagrad: the kinds, their names and accepted spellings, default α, what each
// kind is (elementwise, kinked), the canonical text "leaky_relu(0.2)" and its parser. Plain data, no arrays and no
// autograd, so that nn's layers, the Mlp spec parser, the delta reference and bpcheck all share it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dg {

/// The activations deltagrad knows. The elementwise built-ins (identity to abs) have a hand-written formula in the
/// delta reference; softmax and log_softmax work along the last axis (an Mlp's output layer only); custom is an
/// elementwise function registered by name on the autograd side (nn/layers/custom_activation.hpp), which the delta
/// reference has no formula for.
enum class ActivationKind {
    identity, sigmoid, tanh, relu, leaky_relu, elu, softplus, abs,  // elementwise, with a formula in the reference
    softmax, log_softmax,                                           // along the last axis
    custom                                                          // registered by name in nn
};

/// Every built-in kind (all but custom), in the order above.
inline constexpr ActivationKind builtin_activations[] = {
    ActivationKind::identity,   ActivationKind::sigmoid, ActivationKind::tanh,     ActivationKind::relu,
    ActivationKind::leaky_relu, ActivationKind::elu,     ActivationKind::softplus, ActivationKind::abs,
    ActivationKind::softmax,    ActivationKind::log_softmax};

/// The canonical name: "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "abs", "softmax",
/// "log_softmax"; "custom" for custom (an ActivationSpec carries the registered name).
const char* activation_name(ActivationKind kind);

/// The α used when none is given: 0.01 for leaky_relu, 1 for elu (PyTorch's defaults), 0 for the others.
double default_alpha(ActivationKind kind);

/// Whether the kind takes a parameter α: leaky_relu and elu.
bool takes_alpha(ActivationKind kind);

/// Elementwise: every kind but softmax and log_softmax (a custom activation must be elementwise).
bool elementwise(ActivationKind kind);

/// Not smooth at 0: relu, leaky_relu and abs (the derivative jumps) and elu (the derivative jumps unless α = 1, then
/// the second one does). A finite difference whose stencil straddles 0 is not accurate there.
bool kinked(ActivationKind kind);

/// The built-in kind a name denotes ('-' may stand for '_'; "linear" is identity), or nothing.
std::optional<ActivationKind> builtin_activation(std::string_view name);

/// An activation with its parameter: a built-in kind and its α, or a custom activation by its registered name.
struct ActivationSpec {
    ActivationKind kind = ActivationKind::identity;  ///< the built-in function, or custom
    double alpha = 0;    ///< α of leaky_relu and elu; 0 for the kinds that take none
    std::string custom;  ///< the registered name when kind is custom, else empty

    /// activation_name(kind), or the registered name of a custom activation: "leaky_relu", "swish".
    std::string name() const;
    /// The canonical text, which parse_activation reads back exactly: the name, with "(α)" for a kind that takes one
    /// ("leaky_relu(0.2)", α written in the shortest form that round-trips).
    std::string str() const;
    /// See dg::elementwise(ActivationKind).
    bool elementwise() const { return dg::elementwise(kind); }
    /// See dg::kinked(ActivationKind).
    bool kinked() const { return dg::kinked(kind); }
};

/// Parses "name" or "name(α)" (spaces around the parts are ignored): a built-in name ('-' may stand for '_';
/// "linear" is identity), with α only for leaky_relu and elu (a finite number; default_alpha when omitted), or one
/// of `custom_names` (kind custom, no α). A bad text is a dg::ValueError saying what is wrong; an unknown name's lists
/// every valid name, the custom ones included.
ActivationSpec parse_activation(std::string_view text, const std::vector<std::string>& custom_names = {});

}  // namespace dg
