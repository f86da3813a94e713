// Name scopes: the path per thread, and the observer that labels each recorded node with it while any scope is open.
#include "autograd/inspect/name_scope.hpp"

#include <optional>
#include <vector>

#include "autograd/engine.hpp"

namespace dg {

namespace {
template <class T>
struct Labeller : Observer<T> {
    const std::string* path = nullptr;  // this thread's current path
    void recorded(Node<T>& node, const TensorList<T>&) override { node.label = *path; }
};

/// A thread's scopes, in one thread-local object: each access to a thread-local with a constructor is a call.
struct Scopes {
    std::string path;                  // the joined path ("model.fc2")
    std::vector<std::size_t> lengths;  // the length of path before each open scope
    Labeller<float> labeller_f;
    Labeller<double> labeller_d;
    // Installed by the outermost scope only (modules open one per call: no allocation per call).
    std::optional<ObserverGuard<float>> guard_f;
    std::optional<ObserverGuard<double>> guard_d;
    Scopes() { labeller_f.path = labeller_d.path = &path; }
};
thread_local Scopes scopes;
}  // namespace

NameScope::NameScope(const std::string& name) {
    Scopes& s = scopes;
    if (s.lengths.empty()) {
        s.guard_f.emplace(s.labeller_f);
        s.guard_d.emplace(s.labeller_d);
    }
    s.lengths.push_back(s.path.size());
    if (!s.path.empty() && !name.empty()) s.path += '.';
    s.path += name;
}

NameScope::~NameScope() {
    Scopes& s = scopes;
    s.path.resize(s.lengths.back());
    s.lengths.pop_back();
    if (s.lengths.empty()) {
        s.guard_d.reset();
        s.guard_f.reset();
    }
}

const std::string& current_scope() { return scopes.path; }

}  // namespace dg
