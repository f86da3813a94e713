// The registry of custom activations: one map from name to the float and double functions, behind a mutex.
#include "nn/layers/custom_activation.hpp"

#include <cctype>
#include <map>
#include <mutex>
#include <type_traits>
#include <utility>

#include "autograd/array/errors.hpp"
#include "nn/layers/spec_text.hpp"
#include "nn/reference/activation_kind.hpp"

namespace dg::nn {
namespace {

using detail::ends_with;

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::pair<ActivationFn<float>, ActivationFn<double>>, std::less<>> functions;
};

Registry& registry() {
    static Registry r;
    return r;
}

void check_name(const std::string& name) {
    const auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    bool word = !name.empty() && std::isalpha(static_cast<unsigned char>(name.front()));
    for (char c : name) word = word && word_char(c);
    if (!word)
        throw ValueError("register_activation: \"" + name +
                         "\" is not a valid name (letters, digits and '_', starting with a letter)");
    if (builtin_activation(name))
        throw ValueError("register_activation: \"" + name + "\" is a built-in activation");
    if (ends_with(name, "_out"))
        throw ValueError("register_activation: \"" + name + "\" ends in \"_out\", which an Mlp spec reads as "
                         "the output layer's marker");
}

}  // namespace

void register_activation(const std::string& name, ActivationFn<float> f32, ActivationFn<double> f64) {
    check_name(name);
    if (!f32 || !f64) throw ValueError("register_activation: \"" + name + "\" needs a float and a double function");
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (!r.functions.emplace(name, std::make_pair(std::move(f32), std::move(f64))).second)
        throw ValueError("register_activation: \"" + name + "\" is already registered");
}

bool unregister_activation(std::string_view name) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.functions.find(name);
    if (it == r.functions.end()) return false;
    r.functions.erase(it);
    return true;
}

std::vector<std::string> registered_activations() {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& entry : r.functions) names.push_back(entry.first);
    return names;
}

template <class T>
ActivationFn<T> registered_activation(std::string_view name) {
    {
        Registry& r = registry();
        std::lock_guard<std::mutex> lock(r.mutex);
        if (const auto it = r.functions.find(name); it != r.functions.end()) {
            if constexpr (std::is_same_v<T, float>) return it->second.first;
            else return it->second.second;
        }
    }
    std::string known;
    for (const std::string& n : registered_activations()) known += (known.empty() ? "" : ", ") + n;
    throw ValueError("no custom activation \"" + std::string(name) + "\" is registered (registered: " +
                     (known.empty() ? "none" : known) + ")");
}

template ActivationFn<float> registered_activation<float>(std::string_view);
template ActivationFn<double> registered_activation<double>(std::string_view);

}  // namespace dg::nn
