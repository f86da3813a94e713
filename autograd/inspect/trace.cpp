// Value previews, and BackwardTrace's recording and table.
#include "autograd/inspect/trace.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace dg {

std::string format_number(double v, int precision) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", precision, v == 0 ? 0.0 : v);  // -0 prints as 0
    return buf;
}

namespace {
// Columns are aligned by what a terminal shows: UTF-8 continuation bytes take no column.
std::size_t display_width(const std::string& s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

template <class T>
std::string preview(const Array<T>& value, std::size_t max_elements, int precision) {
    const std::size_t n = value.size();
    if (n == 1) return format_number(value.data()[0], precision);
    std::string s = "[";
    for (std::size_t i = 0; i < std::min(n, max_elements); ++i)
        s += (i ? ", " : "") + format_number(value.data()[i], precision);
    if (n > max_elements) s += ", …] (" + std::to_string(n) + ")";
    else s += "]";
    return s;
}
template std::string preview(const Array<float>&, std::size_t, int);
template std::string preview(const Array<double>&, std::size_t, int);

template <class T>
void BackwardTrace<T>::computed(const Tensor<T>& output, const Tensor<T>& grad_out, const TensorList<T>& grads) {
    const Node<T>& node = *output.node();
    Step s{node.op.name, node.op.rule, node.label, output, Array<T>(grad_out.value()), {}};
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
        const bool has = i < grads.size() && grads[i].defined();
        // Copied: the engine may accumulate into the very tensor it sent.
        s.sent.push_back({node.inputs[i], has, has ? Array<T>(grads[i].value()) : Array<T>()});
    }
    steps_.push_back(std::move(s));
}

namespace {
// Step numbers by node, so the table names each input in O(1).
template <class T>
using StepIndex = std::unordered_map<const Node<T>*, std::size_t>;

template <class T>
StepIndex<T> index_steps(const std::vector<typename BackwardTrace<T>::Step>& steps) {
    StepIndex<T> index;
    for (std::size_t k = 0; k < steps.size(); ++k) index.emplace(steps[k].output.node(), k + 1);
    return index;
}

template <class T>
std::string name_in(const Tensor<T>& t, const StepIndex<T>& index) {
    const std::string& label = t.label();
    if (auto it = index.find(t.node()); it != index.end())
        return "#" + std::to_string(it->second) + " " + (label.empty() ? t.op() : label);
    if (t.is_leaf()) {
        const char* kind = t.requires_grad() ? "param" : "leaf";
        return label.empty() ? std::string(kind) + " " + shape_str(t.shape()) : label + " (" + kind + ")";
    }
    return label.empty() ? std::string(t.op()) : label + " (" + t.op() + ")";
}
}  // namespace

template <class T>
std::string BackwardTrace<T>::name_of(const Tensor<T>& t) const {
    return name_in(t, index_steps<T>(steps_));
}

template <class T>
std::string BackwardTrace<T>::table(std::size_t max_elements, int precision) const {
    using Row = std::vector<std::string>;
    const StepIndex<T> index = index_steps<T>(steps_);
    std::vector<Row> rows{{"step", "label", "op", "shape", "local rule", "grad_out", "input", "grad sent"}};
    for (std::size_t k = 0; k < steps_.size(); ++k) {
        const Step& s = steps_[k];
        Row first{"#" + std::to_string(k + 1), s.label, s.op, shape_str(s.output.shape()), s.rule,
                  preview(s.grad_out, max_elements, precision), "", ""};
        if (s.sent.empty()) rows.push_back(first);
        for (std::size_t i = 0; i < s.sent.size(); ++i) {
            const Sent& in = s.sent[i];
            Row r = i == 0 ? first : Row(8);
            r[6] = name_in(in.input, index);
            if (!in.defined) {
                r[7] = "—";
            } else {
                r[7] = preview(in.grad, max_elements, precision);
                if (shape_of(in.grad) != in.input.shape()) r[7] += " (summed to " + shape_str(in.input.shape()) + ")";
            }
            rows.push_back(std::move(r));
        }
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const Row& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], display_width(r[c]));
    std::string out;
    auto emit = [&](const Row& r) {
        std::string line;
        for (std::size_t c = 0; c < r.size(); ++c) {
            line += r[c];
            if (c + 1 < r.size()) line += std::string(width[c] - display_width(r[c]) + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    };
    emit(rows[0]);
    std::size_t total = 0;
    for (std::size_t w : width) total += w + 2;
    out += std::string(total - 2, '-') + "\n";
    for (std::size_t i = 1; i < rows.size(); ++i) emit(rows[i]);
    return out;
}

template class BackwardTrace<float>;
template class BackwardTrace<double>;

}  // namespace dg
