// Name scopes: the path per thread, and the observer that labels each recorded node with it.
#include "autograd/inspect/name_scope.hpp"

#include <vector>

#include "autograd/engine.hpp"

namespace dg {

namespace {
thread_local std::vector<std::size_t> scope_lengths;  // length of current_path before each open scope
thread_local std::string current_path;

template <class T>
struct Labeller : Observer<T> {
    void recorded(Node<T>& node, const std::vector<Tensor<T>>&) override { node.label = current_path; }
};
}  // namespace

struct NameScope::Labelling {
    Labeller<float> f;
    Labeller<double> d;
    ObserverGuard<float> guard_f{f};
    ObserverGuard<double> guard_d{d};
};

NameScope::NameScope(const std::string& name) {
    if (scope_lengths.empty()) labelling_ = std::make_unique<Labelling>();
    scope_lengths.push_back(current_path.size());
    if (!current_path.empty() && !name.empty()) current_path += '.';
    current_path += name;
}

NameScope::~NameScope() {
    current_path.resize(scope_lengths.back());
    scope_lengths.pop_back();
}

const std::string& current_scope() { return current_path; }

}  // namespace dg
