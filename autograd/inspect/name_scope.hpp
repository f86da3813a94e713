// Name scopes: while a NameScope lives, every op records the joined path ("model.fc2") as its tensor's label, so
// anomaly errors, traces and graph pictures say where in the user's model an op was created. Modules open one
// per call; users may open their own. An observer of the engine does the labelling.
#pragma once

#include <string>

namespace dg {

/// Opens `name` below the current scope for the lifetime of the object (scopes nest, per thread).
class NameScope {
public:
    /// Appends `name` to the current path with a dot: "model", then "fc2" inside it, labels "model.fc2".
    explicit NameScope(const std::string& name);
    ~NameScope();
    NameScope(const NameScope&) = delete;
    NameScope& operator=(const NameScope&) = delete;
};

/// The current scope path ("" outside any scope).
const std::string& current_scope();

}  // namespace dg
