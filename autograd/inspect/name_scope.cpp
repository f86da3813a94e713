// Name scopes: the path per thread, and the observer that labels each recorded node with it while any scope is open.
#include "autograd/inspect/name_scope.hpp"

#include <optional>
#include <vector>

#include "autograd/engine.hpp"

namespace dg {

namespace {
thread_local std::vector<std::size_t> scope_lengths;  // length of current_path before each open scope
thread_local std::string current_path;

template <class T>
struct Labeller : Observer<T> {
    void recorded(Node<T>& node, const TensorList<T>&) override { node.label = current_path; }
};
thread_local Labeller<float> labeller_f;
thread_local Labeller<double> labeller_d;
// Installed by the outermost scope only (modules open one per call: no allocation per call).
thread_local std::optional<ObserverGuard<float>> guard_f;
thread_local std::optional<ObserverGuard<double>> guard_d;
}  // namespace

NameScope::NameScope(const std::string& name) {
    if (scope_lengths.empty()) {
        guard_f.emplace(labeller_f);
        guard_d.emplace(labeller_d);
    }
    scope_lengths.push_back(current_path.size());
    if (!current_path.empty() && !name.empty()) current_path += '.';
    current_path += name;
}

NameScope::~NameScope() {
    current_path.resize(scope_lengths.back());
    scope_lengths.pop_back();
    if (scope_lengths.empty()) {
        guard_d.reset();
        guard_f.reset();
    }
}

const std::string& current_scope() { return current_path; }

}  // namespace dg
