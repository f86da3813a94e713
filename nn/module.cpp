// Module<T>: registration, recursive traversal, train/eval, paths, the deep copy under clone() and its checks, and
// the printable summary.
#include "nn/module.hpp"

#include <algorithm>
#include <ostream>
#include <typeinfo>

#include "autograd/array/errors.hpp"

namespace dg::nn {

template <class T>
Tensor<T> Module<T>::forward(const Tensor<T>&) {
    throw ValueError(where() + ": has no forward(x) of one tensor (a plain container, or a module whose forward takes "
                               "other arguments: call it through its own class, not from a Sequential)");
}

template <class T>
Tensor<T> Module<T>::operator()(const Tensor<T>& x) {
    return call_in_scope([&] { return forward(x); });
}

template <class T>
void Module<T>::remember_output(const Tensor<T>& y) {
    // Compared first: building a Shape on every call was a measurable part of a batch-1 step.
    if (!y.defined()) return;
    const auto& shape = y.value().shape();
    bool same = last_output_shape_ && last_output_shape_->size() == shape.size();
    for (std::size_t i = 0; same && i < shape.size(); ++i)  // a loop: memcmp's call cost more than the comparison
        same = (*last_output_shape_)[i] == shape[i];
    if (!same) last_output_shape_ = y.shape();
}

template <class T>
void Module<T>::check_new_name(const std::string& name, const char* what) const {
    if (name.empty() || name.find('.') != std::string::npos)
        throw ValueError(where() + ": " + what + " name \"" + name + "\" must be non-empty and contain no '.'");
    const auto same = [&name](const auto& entry) { return entry.first == name; };
    if (std::any_of(parameters_.begin(), parameters_.end(), same) ||
        std::any_of(children_.begin(), children_.end(), same) ||
        std::any_of(buffers_.begin(), buffers_.end(), [&name](const Buffer& b) { return b.name == name; }))
        throw ValueError(where() + ": the name \"" + name + "\" is already registered");
}

template <class T>
Tensor<T> Module<T>::register_parameter(const std::string& name, Tensor<T> value, bool requires_grad) {
    check_new_name(name, "parameter");
    if (!value.defined()) throw ValueError(where() + ": parameter \"" + name + "\" is an undefined tensor");
    if (!value.is_leaf()) value = value.detach();  // a parameter is a leaf, never a node of someone's graph
    value.set_requires_grad(requires_grad);
    value.set_label(path_.empty() ? name : path_ + "." + name);
    parameters_.emplace_back(name, value);
    return value;
}

template <class T>
Tensor<T> Module<T>::register_buffer(const std::string& name, Tensor<T> value, bool persistent) {
    check_new_name(name, "buffer");
    if (!value.defined()) throw ValueError(where() + ": buffer \"" + name + "\" is an undefined tensor");
    // A copy rather than clearing the flag of the caller's tensor (which may be someone's parameter).
    if (!value.is_leaf() || value.requires_grad()) value = value.detach();
    value.set_label(path_.empty() ? name : path_ + "." + name);
    buffers_.push_back({name, value, persistent});
    return value;
}

template <class T>
void Module<T>::register_child(const std::string& name, Ptr module) {
    check_new_name(name, "module");
    if (!module) throw ValueError(where() + ": module \"" + name + "\" is a null pointer");
    if (module.get() == this) throw ValueError(where() + ": a module cannot be its own child");
    module->set_path(path_.empty() ? name : path_ + "." + name);
    children_.emplace_back(name, std::move(module));
}

template <class T>
void Module<T>::set_path(const std::string& path) {
    path_ = path;
    name_ = path_.substr(path_.rfind('.') + 1);
    const std::string prefix = path_.empty() ? "" : path_ + ".";
    for (auto& [name, p] : parameters_) p.set_label(prefix + name);
    for (auto& b : buffers_) b.value.set_label(prefix + b.name);
    for (auto& [name, child] : children_) child->set_path(prefix + name);
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_parameters(bool recurse) const {
    std::vector<std::pair<std::string, Tensor<T>>> out(parameters_.begin(), parameters_.end());
    if (!recurse) return out;
    for (const auto& [name, child] : children_)
        for (auto& [sub, p] : child->named_parameters(true)) out.emplace_back(name + "." + sub, p);
    return out;
}

template <class T>
std::vector<Tensor<T>> Module<T>::parameters(bool recurse) const {
    std::vector<Tensor<T>> out;
    for (auto& entry : named_parameters(recurse)) out.push_back(entry.second);
    return out;
}

namespace {

// The tensor at `dotted_name` in `all`, or ValueError naming `what` and listing the known names.
template <class T>
Tensor<T> find_named(const std::vector<std::pair<std::string, Tensor<T>>>& all, const std::string& dotted_name,
                     const std::string& where, const char* what) {
    for (const auto& [name, t] : all)
        if (name == dotted_name) return t;
    std::string known;
    for (const auto& entry : all) known += (known.empty() ? "" : ", ") + entry.first;
    throw ValueError(where + ": no " + what + " \"" + dotted_name + "\" (known: " + (known.empty() ? "none" : known) +
                     ")");
}

}  // namespace

template <class T>
Tensor<T> Module<T>::parameter(const std::string& dotted_name) const {
    return find_named(named_parameters(true), dotted_name, where(), "parameter");
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_buffers(bool recurse) const {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    for (const Buffer& b : buffers_) out.emplace_back(b.name, b.value);
    if (!recurse) return out;
    for (const auto& [name, child] : children_)
        for (auto& [sub, b] : child->named_buffers(true)) out.emplace_back(name + "." + sub, b);
    return out;
}

template <class T>
Tensor<T> Module<T>::buffer(const std::string& dotted_name) const {
    return find_named(named_buffers(true), dotted_name, where(), "buffer");
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::state_dict() const {
    std::vector<std::pair<std::string, Tensor<T>>> out(parameters_.begin(), parameters_.end());
    for (const Buffer& b : buffers_)
        if (b.persistent) out.emplace_back(b.name, b.value);
    for (const auto& [name, child] : children_)
        for (auto& [sub, t] : child->state_dict()) out.emplace_back(name + "." + sub, t);
    return out;
}

template <class T>
const typename Module<T>::Ptr& Module<T>::child_or_throw(const std::string& name) const {
    for (const auto& entry : children_)
        if (entry.first == name) return entry.second;
    std::string known;
    for (const auto& entry : children_) known += (known.empty() ? "" : ", ") + entry.first;
    throw ValueError(where() + ": no child module \"" + name + "\" (children: " + (known.empty() ? "none" : known) +
                     ")");
}

template <class T>
void Module<T>::wrong_child_type(const std::string& name) const {
    throw ValueError(where() + ": child module \"" + name + "\" (" + child_or_throw(name)->describe() +
                     ") is not of the class asked for");
}

template <class T>
std::vector<std::pair<std::string, typename Module<T>::Ptr>> Module<T>::named_modules() const {
    std::vector<std::pair<std::string, Ptr>> out;
    for (const auto& [name, child] : children_) {
        out.emplace_back(name, child);
        for (auto& [sub, m] : child->named_modules()) out.emplace_back(name + "." + sub, m);
    }
    return out;
}

template <class T>
Module<T>::Module(const Module& other, DeepCopy)
    : training_(other.training_), last_output_shape_(other.last_output_shape_) {
    // path_ and name_ stay "": the copy is a root until it is registered somewhere, and its labels say so.
    for (const auto& [name, p] : other.parameters_)
        parameters_.emplace_back(name, Tensor<T>(Array<T>(p.value()), p.requires_grad()).set_label(name));
    for (const Buffer& b : other.buffers_)
        buffers_.push_back({b.name, Tensor<T>(Array<T>(b.value.value())).set_label(b.name), b.persistent});
    for (const auto& [name, child] : other.children_) {
        Ptr copy = child->clone();
        copy->set_path(name);
        children_.emplace_back(name, std::move(copy));
    }
}

template <class T>
typename Module<T>::Ptr Module<T>::clone_impl() const {
    throw ValueError(where() + ": clone() is not implemented by " + type_name() +
                     ": derive the class from nn::Cloneable<" + type_name() + ", T> (nn/module.hpp)");
}

template <class T>
template <class F>
void Module<T>::for_each_use_count(const std::string& prefix, F&& f) const {
    for (const auto& [name, p] : parameters_) f("parameter '" + prefix + name + "'", p.node_ptr().use_count());
    for (const Buffer& b : buffers_) f("buffer '" + prefix + b.name + "'", b.value.node_ptr().use_count());
    for (const auto& [name, child] : children_) {
        f("child module '" + prefix + name + "'", child.use_count());
        child->for_each_use_count(prefix + name + ".", f);
    }
}

template <class T>
typename Module<T>::Ptr Module<T>::clone() const {
    // A copy that still holds a handle or pointer to the original's state (a member copied by a class's copy
    // constructor instead of taken from the copy's registry) raises that state's use count: compare before and after.
    std::vector<long> before;
    for_each_use_count("", [&](const std::string&, long n) { before.push_back(n); });
    Ptr copy = clone_impl();
    if (typeid(*copy) != typeid(*this))
        throw ValueError(where() + ": clone() of a " + type_name() + " made a " + copy->type_name() +
                         " (another class): a subclass of a module class derives from nn::Cloneable<Self, T, Base> "
                         "naming itself");
    std::size_t i = 0;
    std::string aliased;
    for_each_use_count("", [&](const std::string& what, long n) {
        if (n > before[i++] && aliased.empty()) aliased = what;
    });
    if (!aliased.empty())
        throw ValueError(where() + ": the copy made by clone() still refers to the original's " + aliased +
                         ": a member that points into the registry must be taken from the copy in the class's copy " +
                         "constructor (this->parameter(name), this->child<M>(name); see nn/module.hpp)");
    return copy;
}

template <class T>
void Module<T>::zero_grad() {
    for (auto& [name, p] : parameters_) p.zero_grad();
    for (auto& [name, child] : children_) child->zero_grad();
}

template <class T>
void Module<T>::train(bool on) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
}

template <class T>
std::size_t Module<T>::num_parameters(bool trainable_only) const {
    std::size_t n = 0;
    for (const auto& [name, p] : named_parameters(true))
        if (!trainable_only || p.requires_grad()) n += p.numel();
    return n;
}

template <class T>
std::string Module<T>::where() const {
    return path_.empty() ? describe() : path_ + " (" + describe() + ")";
}

namespace {

// Display width of UTF-8 text (the arrows and × in descriptions are one column each).
std::size_t columns(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

std::string pad_columns(const std::string& s, std::size_t width) {
    const std::size_t w = columns(s);
    return s + std::string(width > w ? width - w : 0, ' ');
}

}  // namespace

template <class T>
std::string Module<T>::to_string() const {
    struct Row {
        std::string name, what, shape, params;
    };
    std::vector<Row> rows;
    const auto shape_of_module = [](const Module<T>& m) {
        if (m.last_output_shape()) return shape_str(*m.last_output_shape());
        return m.output_shape_hint();
    };
    rows.push_back({"(root)", describe(), shape_of_module(*this), std::to_string(num_parameters())});
    for (const auto& [name, m] : named_modules()) {
        const std::size_t depth = static_cast<std::size_t>(std::count(name.begin(), name.end(), '.')) + 1;
        const std::string leaf = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
        const std::size_t n = m->num_parameters();
        rows.push_back({std::string(2 * depth, ' ') + leaf, m->describe(), shape_of_module(*m),
                        n ? std::to_string(n) : "-"});
    }
    Row header{"name", "module", "output", "params"};
    std::size_t w0 = columns(header.name), w1 = columns(header.what), w2 = columns(header.shape);
    for (const Row& r : rows) {
        w0 = std::max(w0, columns(r.name));
        w1 = std::max(w1, columns(r.what));
        w2 = std::max(w2, columns(r.shape));
    }
    std::string out;
    const auto line = [&](const Row& r) {
        std::string l = pad_columns(r.name, w0) + "  " + pad_columns(r.what, w1) + "  " + pad_columns(r.shape, w2) +
                        "  " + r.params;
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l + "\n";
    };
    line(header);
    for (const Row& r : rows) line(r);
    const std::size_t total = num_parameters(), trainable = num_parameters(true);
    out += "parameters: " + std::to_string(total) + " total, " + std::to_string(trainable) + " trainable, " +
           std::to_string(total - trainable) + " frozen\n";
    return out;
}

template <class T>
std::ostream& operator<<(std::ostream& out, const Module<T>& module) {
    return out << module.to_string();
}

template class Module<float>;
template class Module<double>;
template std::ostream& operator<<(std::ostream&, const Module<float>&);
template std::ostream& operator<<(std::ostream&, const Module<double>&);

}  // namespace dg::nn
