// The text helpers the spec parsers share (the MLP spec in mlp.cpp, the CNN spec in cnn.cpp, activation names):
// trimming, splitting, suffixes and recognising digits.
#pragma once

#include <cctype>
#include <string_view>
#include <vector>

namespace dg::nn::detail {

/// s without leading and trailing white space.
inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

/// The parts of s between the separators `sep` (empty parts kept). With `outside_parens`, a separator inside
/// parentheses does not split: "leaky_relu(-0.1)-m2" is two parts.
inline std::vector<std::string_view> split(std::string_view s, char sep, bool outside_parens = false) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    int depth = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i < s.size() && outside_parens) depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
        if (i == s.size() || (s[i] == sep && depth <= 0)) {
            parts.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

/// Whether s ends with `suffix` (std::string_view::ends_with is C++20).
inline bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Whether s is a non-empty run of decimal digits.
inline bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

}  // namespace dg::nn::detail
