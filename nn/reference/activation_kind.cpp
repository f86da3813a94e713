// The activation vocabulary: names, defaults and properties of each kind, and the parser of "name(α)".
#include "nn/reference/activation_kind.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "autograd/array/errors.hpp"

namespace dg {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// The spelling names are compared in: '-' read as '_'.
std::string normalized(std::string_view name) {
    std::string key(name);
    for (char& c : key)
        if (c == '-') c = '_';
    return key;
}

std::string valid_names(const std::vector<std::string>& custom_names) {
    std::string list;
    for (ActivationKind kind : builtin_activations) {
        list += list.empty() ? "" : ", ";
        list += activation_name(kind);
        if (kind == ActivationKind::identity) list += ", linear";
    }
    if (custom_names.empty()) return list + "; no custom activation is registered";
    list += "; registered: ";
    for (std::size_t i = 0; i < custom_names.size(); ++i) list += (i ? ", " : "") + custom_names[i];
    return list;
}

}  // namespace

const char* activation_name(ActivationKind kind) {
    switch (kind) {
        case ActivationKind::identity: return "identity";
        case ActivationKind::sigmoid: return "sigmoid";
        case ActivationKind::tanh: return "tanh";
        case ActivationKind::relu: return "relu";
        case ActivationKind::leaky_relu: return "leaky_relu";
        case ActivationKind::elu: return "elu";
        case ActivationKind::softplus: return "softplus";
        case ActivationKind::abs: return "abs";
        case ActivationKind::softmax: return "softmax";
        case ActivationKind::log_softmax: return "log_softmax";
        case ActivationKind::custom: return "custom";
    }
    throw ValueError("activation_name: unknown ActivationKind value " + std::to_string(static_cast<int>(kind)));
}

double default_alpha(ActivationKind kind) {
    if (kind == ActivationKind::leaky_relu) return 0.01;
    if (kind == ActivationKind::elu) return 1.0;
    return 0.0;
}

bool takes_alpha(ActivationKind kind) { return kind == ActivationKind::leaky_relu || kind == ActivationKind::elu; }

bool elementwise(ActivationKind kind) {
    return kind != ActivationKind::softmax && kind != ActivationKind::log_softmax;
}

bool kinked(ActivationKind kind) {
    return kind == ActivationKind::relu || kind == ActivationKind::leaky_relu || kind == ActivationKind::abs ||
           kind == ActivationKind::elu;
}

std::optional<ActivationKind> builtin_activation(std::string_view name) {
    const std::string key = normalized(name);
    if (key == "linear") return ActivationKind::identity;
    for (ActivationKind kind : builtin_activations)
        if (key == activation_name(kind)) return kind;
    return std::nullopt;
}

std::string ActivationSpec::name() const { return kind == ActivationKind::custom ? custom : activation_name(kind); }

std::string ActivationSpec::str() const {
    if (!takes_alpha(kind)) return name();
    // The shortest text that parses back to exactly this α (an ostream's 6 digits lost it: 0.1234567 came back
    // as 0.123457 from a spec or checkpoint text).
    char digits[64];
    const auto end = std::to_chars(digits, digits + sizeof digits, alpha).ptr;
    return name() + '(' + std::string(digits, end) + ')';
}

ActivationSpec parse_activation(std::string_view text, const std::vector<std::string>& custom_names) {
    text = trim(text);
    std::string_view name = text;
    std::optional<double> alpha;
    if (const auto open = text.find('('); open != std::string_view::npos) {
        if (text.back() != ')') throw ValueError("activation \"" + std::string(text) + "\" lacks its closing ')'");
        const std::string number(trim(text.substr(open + 1, text.size() - open - 2)));
        char* end = nullptr;
        const double v = std::strtod(number.c_str(), &end);
        if (number.empty() || *end != '\0' || !std::isfinite(v))
            throw ValueError("the parameter of \"" + std::string(text) + "\" is not a number");
        alpha = v;
        name = trim(text.substr(0, open));
    }
    if (name.empty()) throw ValueError("\"" + std::string(text) + "\" names no activation");

    ActivationSpec spec;
    if (const auto kind = builtin_activation(name)) {
        spec.kind = *kind;
        spec.alpha = default_alpha(*kind);
    } else {
        const std::string key = normalized(name);
        bool registered = false;
        for (const std::string& custom : custom_names) registered = registered || key == custom;
        if (!registered)
            throw ValueError("unknown activation \"" + std::string(name) + "\" (expected one of: " +
                             valid_names(custom_names) + ")");
        spec.kind = ActivationKind::custom;
        spec.custom = key;
    }
    if (alpha) {
        if (!takes_alpha(spec.kind))
            throw ValueError(spec.name() + " takes no parameter (only leaky_relu and elu do)");
        spec.alpha = *alpha;
    }
    return spec;
}

}  // namespace dg
