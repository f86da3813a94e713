// The backward rule table (one entry per op name a node can record, the formulas of ops.hpp written out
// with grad_out for the output's gradient), value previews, and BackwardTrace's recording and table.
#include "autograd/trace.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace dg {

const std::vector<std::pair<const char*, const char*>>& backward_rules() {
    // Keyed by the name passed to record() (Tensor::op()), in the order of ops.hpp. y is the op's output.
    // Binary ops broadcast: the engine then sums each gradient to its input's shape (sum_to).
    static const std::vector<std::pair<const char*, const char*>> rules = {
        {"add", "grad_a = grad_out; grad_b = grad_out"},
        {"sub", "grad_a = grad_out; grad_b = -grad_out"},
        {"mul", "grad_a = grad_out * b; grad_b = grad_out * a"},
        {"div", "grad_a = grad_out / b; grad_b = -grad_out * a / b^2"},
        {"pow", "grad_a = grad_out * b * a^(b-1); grad_b = grad_out * y * log(a)"},
        {"maximum", "grad_a = grad_out * [a >= b]; grad_b = grad_out * [a < b]"},
        {"minimum", "grad_a = grad_out * [a <= b]; grad_b = grad_out * [a > b]"},
        {"add_scalar", "grad_in = grad_out  (y = x + s)"},
        {"mul_scalar", "grad_in = grad_out * s  (y = x * s)"},
        {"pow_scalar", "grad_in = grad_out * p * x^(p-1)  (y = x^p)"},
        {"rsub", "grad_in = -grad_out  (y = s - x)"},
        {"rdiv", "grad_in = -grad_out * y / x  (y = s / x)"},
        {"neg", "grad_in = -grad_out"},
        {"exp", "grad_in = grad_out * y"},
        {"log", "grad_in = grad_out / x"},
        {"sqrt", "grad_in = grad_out / (2y)"},
        {"abs", "grad_in = grad_out * sign(x)  (0 at the kink)"},
        {"sign", "grad_in = 0  (not differentiable)"},
        {"sigmoid", "grad_in = grad_out * y * (1 - y)"},
        {"tanh", "grad_in = grad_out * (1 - y^2)"},
        {"relu", "grad_in = grad_out * [x > 0]"},
        {"leaky_relu", "grad_in = grad_out * (x > 0 ? 1 : alpha)"},
        {"elu", "grad_in = grad_out * (x > 0 ? 1 : y + alpha)"},
        {"softplus", "grad_in = grad_out * sigmoid(x)"},
        {"clamp", "grad_in = grad_out * [low <= x <= high]"},
        {"sigmoid_backward", "grad_g = grad_out * y * (1 - y); grad_y = grad_out * g * (1 - 2y)  (out = g*y*(1-y))"},
        {"tanh_backward", "grad_g = grad_out * (1 - y^2); grad_y = -2 * grad_out * g * y  (out = g*(1-y^2))"},
        {"mask_grad", "grad_g = grad_out * (x > 0 ? above : below); x is only a mask (no gradient)"},
        {"sum", "grad_in = broadcast_to(grad_out, x.shape)"},
        {"sum_axis", "grad_in = grad_out broadcast back along the summed axis"},
        {"max", "grad_in = grad_out * [x == y] / count  (ties share)"},
        {"min", "grad_in = grad_out * [x == y] / count  (ties share)"},
        {"matmul", "grad_a = grad_out @ b^T; grad_b = a^T @ grad_out  (transposed operands: one gemm with flags)"},
        {"linear", "grad_x = grad_out @ W; grad_W = grad_out^T @ x; grad_b = sum over the batch of grad_out"},
        {"transpose", "grad_in = transpose(grad_out)  (the same two axes)"},
        {"reshape", "grad_in = reshape(grad_out, x.shape)"},
        {"broadcast_to", "grad_in = sum_to(grad_out, x.shape)"},
        {"concat", "grad_x_i = narrow(grad_out, axis, offset_i, length_i)"},
        {"narrow", "grad_in = zeros(x.shape) with grad_out at [start, start+length) along the axis"},
        {"index_select", "grad_in = index_add(x.shape, indices, grad_out)"},
        {"index_add", "grad_src = index_select(grad_out, indices)"},
        {"gather_rows", "grad_in = scatter_rows(x.shape, index, grad_out)"},
        {"scatter_rows", "grad_src = gather_rows(grad_out, index)"},
        {"softmax", "grad_in = y * (grad_out - sum(grad_out * y, axis))"},
        {"log_softmax", "grad_in = grad_out - exp(y) * sum(grad_out, axis)"},
        {"softmax_cross_entropy", "grad_logits = (softmax(logits) - onehot(target)) * grad_out / batch"},
        {"clone", "grad_in = grad_out"},
        {"sum_to", "grad_in = broadcast_to(grad_out, x.shape)"},
    };
    return rules;
}

const char* backward_rule(const std::string& op) {
    static const std::unordered_map<std::string, const char*> index = [] {
        std::unordered_map<std::string, const char*> m;
        for (const auto& [name, rule] : backward_rules()) m.emplace(name, rule);
        return m;
    }();
    const auto it = index.find(op);
    return it == index.end() ? nullptr : it->second;
}

std::string describe_rule(const std::string& op) {
    const char* rule = backward_rule(op);
    return op + ": " + (rule ? rule : "(no rule recorded)");
}

namespace {
std::string number(double v, int precision) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    return buf;
}

// Columns are aligned by what a terminal shows: UTF-8 continuation bytes take no column.
std::size_t display_width(const std::string& s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

template <class T>
std::string preview(const Array<T>& value, std::size_t max_elements, int precision) {
    const std::size_t n = value.size();
    if (n == 1) return number(value.data()[0], precision);
    std::string s = "[";
    for (std::size_t i = 0; i < std::min(n, max_elements); ++i) s += (i ? ", " : "") + number(value.data()[i], precision);
    if (n > max_elements) s += ", …] (" + std::to_string(n) + ")";
    else s += "]";
    return s;
}
template std::string preview(const Array<float>&, std::size_t, int);
template std::string preview(const Array<double>&, std::size_t, int);

template <class T>
void BackwardTrace<T>::on_step(const TraceStep<T>& step) {
    Step s{step.op, step.label, step.output, Array<T>(step.grad_out.value()), {}};
    for (std::size_t i = 0; i < step.inputs.size(); ++i) {
        const bool has = i < step.grads.size() && step.grads[i].defined();
        // Copied: the engine may accumulate into the very tensor it sent.
        s.sent.push_back({step.inputs[i], has, has ? Array<T>(step.grads[i].value()) : Array<T>()});
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
        const char* rule = backward_rule(s.op);
        Row first{"#" + std::to_string(k + 1), s.label, s.op, shape_str(s.output.shape()),
                  rule ? rule : "(no rule recorded)", preview(s.grad_out, max_elements, precision), "", ""};
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
