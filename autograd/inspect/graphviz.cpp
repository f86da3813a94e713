// DOT export (an explicit-stack walk from the roots, never recursion) and rendering through the `dot`
// program. Node labels are Graphviz HTML-like labels: a bold op name, and values and gradients as small tables.
#include "autograd/inspect/graphviz.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "autograd/inspect/trace.hpp"

namespace dg {

namespace {

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

// A DOT string; a newline becomes DOT's line break. (Not called quoted: for a non-const string, ADL would pick
// std::quoted.)
std::string dot_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// What the styles mean, under the title.
const char* const legend = "blue: parameters · green: inputs · grey: ops · on edges: argument positions";
const char* const legend_with_gradients =
    "blue: parameters · green: inputs · grey: ops · black: value · red: gradient ∂output/∂node";

const char* kind_name(DotNodeKind k) {
    switch (k) {
        case DotNodeKind::parameter: return "parameter";
        case DotNodeKind::leaf: return "leaf";
        case DotNodeKind::constant: return "constant";
        default: return "op";
    }
}

// One style per kind: parameters blue boxes with a thick border, inputs green ellipses, constants dashed
// grey ellipses, ops rounded grey boxes (the roots yellow).
std::string style_of(DotNodeKind k, bool is_root, bool freed) {
    switch (k) {
        case DotNodeKind::parameter: return "shape=box, style=filled, fillcolor=\"#cfe2ff\", penwidth=2";
        case DotNodeKind::leaf: return "shape=ellipse, style=filled, fillcolor=\"#d4edda\"";
        case DotNodeKind::constant: return "shape=ellipse, style=dashed, color=\"#888888\", fontcolor=\"#555555\"";
        default:
            return std::string("shape=box, style=\"rounded,filled") + (freed ? ",dashed" : "") + "\", fillcolor=\"" +
                   (is_root ? "#fff3cd" : "#eeeeee") + "\"";
    }
}

// A value as a grid of cells: [size / last, last] (one cell for a 0-d tensor, one row for a vector), cut to
// max_rows × max_cols with a "⋮" row and a "…" column.
template <class T>
std::string grid(const Array<T>& a, const DotOptions& o, const char* color) {
    const std::size_t n = a.size();
    const std::size_t cols = a.dimension() == 0 || n == 0 ? 1 : a.shape()[a.dimension() - 1];
    const std::size_t rows = cols ? n / cols : 0;
    const std::size_t shown_rows = std::min(rows, o.max_rows), shown_cols = std::min(cols, o.max_cols);
    const std::size_t width = shown_cols + (cols > shown_cols);
    std::string s = std::string("<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"2\" color=\"") +
                    color + "\">";
    for (std::size_t i = 0; i < shown_rows; ++i) {
        s += "<tr>";
        for (std::size_t j = 0; j < shown_cols; ++j)
            s += "<td><font color=\"" + std::string(color) + "\">" + format_number(a.data()[i * cols + j], o.precision) +
                 "</font></td>";
        if (cols > shown_cols) s += "<td>…</td>";
        s += "</tr>";
    }
    if (rows > shown_rows) s += "<tr><td colspan=\"" + std::to_string(width) + "\">⋮</td></tr>";
    if (n == 0) s += "<tr><td>empty</td></tr>";
    return s + "</table>";
}

// The node's label: a title row (the op and its label, or a leaf's label — its kind is its style — or its kind
// when it has none), the shape unless 0-d, the value grid and, in red, the gradient grid.
template <class T>
std::string label_of(const Node<T>& n, DotNodeKind kind, const DotOptions& o, const Array<T>* grad) {
    std::string title;
    if (kind == DotNodeKind::op) {
        title = "<b>" + html_escape(n.op.name) + "</b>";
        if (!n.label.empty()) title += " <i>" + html_escape(n.label) + "</i>";
    } else {
        title = "<b>" + html_escape(n.label.empty() ? kind_name(kind) : n.label) + "</b>";
    }
    if (n.value.dimension() > 0)
        title += " <font point-size=\"9\" color=\"#555555\">" + shape_str(shape_of(n.value)) + "</font>";
    std::string s = "<table border=\"0\" cellborder=\"0\" cellspacing=\"1\" cellpadding=\"0\">";
    s += "<tr><td>" + title + "</td></tr>";
    if (o.values) s += "<tr><td>" + grid(n.value, o, "#000000") + "</td></tr>";
    if (o.grads && grad) s += "<tr><td>" + grid(*grad, o, "#b22222") + "</td></tr>";
    if (n.freed) s += "<tr><td><font color=\"#888888\">graph freed by backward</font></td></tr>";
    return "<" + s + "</table>>";
}

}  // namespace

template <class T>
DotNodeKind dot_node_kind(const Tensor<T>& t) {
    if (!t.is_leaf()) return DotNodeKind::op;
    if (t.requires_grad()) return DotNodeKind::parameter;
    return t.label().empty() ? DotNodeKind::constant : DotNodeKind::leaf;
}

template <class T>
std::string to_dot(const std::vector<Tensor<T>>& roots, const DotOptions& o, const BackwardTrace<T>* trace) {
    // Discovery order from the roots fixes the ids (n0 = first root), so the text is deterministic.
    std::unordered_map<const Node<T>*, std::size_t> id;
    std::vector<Tensor<T>> order;
    std::vector<Tensor<T>> stack;
    for (const auto& r : roots) {
        if (!r.defined()) throw GraphError("to_dot: undefined root tensor");
        if (id.emplace(r.node(), order.size()).second) {
            order.push_back(r);
            stack.push_back(r);
        }
    }
    while (!stack.empty()) {
        Tensor<T> t = std::move(stack.back());
        stack.pop_back();
        for (const auto& in : t.node()->inputs)
            if (in.defined() && id.emplace(in.node(), order.size()).second) {
                order.push_back(in);
                stack.push_back(in);
            }
    }
    // The gradient that arrived at each node the trace saw.
    std::unordered_map<const Node<T>*, Array<T>> traced;
    if (trace)
        for (const auto& step : trace->steps()) {
            auto [it, fresh] = traced.emplace(step.output.node(), step.grad_out);
            if (!fresh) it->second = it->second + step.grad_out;
        }

    // The caption: the title, and what the colours mean.
    bool any_grad = false;
    for (const auto& t : order) any_grad = any_grad || t.node()->grad.defined() || traced.count(t.node());
    std::string caption = o.title;
    if (o.grads && any_grad) caption += std::string(caption.empty() ? "" : "\n") + legend_with_gradients;
    else caption += std::string(caption.empty() ? "" : "\n") + legend;

    std::ostringstream dot;
    dot << "digraph deltagrad {\n"
        << "  graph [rankdir=" << o.rankdir << ", fontname=\"Helvetica\", nodesep=0.15, ranksep=0.25, label="
        << dot_string(caption) << ", labelloc=t, fontsize=12];\n"
        << "  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.05,0.03\"];\n"
        << "  edge [color=\"#555555\", arrowsize=0.6, fontname=\"Helvetica\", fontsize=9];\n";
    for (std::size_t i = 0; i < order.size(); ++i) {
        const Tensor<T>& t = order[i];
        const Node<T>& n = *t.node();
        const DotNodeKind kind = dot_node_kind(t);
        bool is_root = false;
        for (const auto& r : roots) is_root = is_root || r.node() == &n;
        const Array<T>* grad = n.grad.defined() ? &n.grad.value() : nullptr;
        if (auto it = traced.find(&n); !grad && it != traced.end()) grad = &it->second;
        dot << "  n" << i << " [" << style_of(kind, is_root, n.freed) << ", tooltip=\"" << kind_name(kind)
            << "\", label=" << label_of(n, kind, o, grad) << "];\n";
    }
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto& inputs = order[i].node()->inputs;
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            if (!inputs[k].defined()) continue;
            dot << "  n" << id.at(inputs[k].node()) << " -> n" << i;
            if (inputs.size() > 1) dot << " [label=\" " << k << "\"]";
            dot << ";\n";
        }
    }
    dot << "}\n";
    return dot.str();
}

template <class T>
std::string to_dot(const Tensor<T>& root, const DotOptions& options, const BackwardTrace<T>* trace) {
    return to_dot(std::vector<Tensor<T>>{root}, options, trace);
}

void write_text_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    if (!f) throw IoError("cannot open " + path + " for writing");
    f << text;
    f.close();
    if (!f) throw IoError("cannot write " + path);
}

namespace {
std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs a shell command; returns its exit status and fills `output` with what it printed (stdout + stderr).
int run(const std::string& command, std::string& output) {
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) return -1;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) output += buf;
    const int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

bool graphviz_available() {
    static const bool available = [] {
        std::string out;
        return run("dot -V", out) == 0;
    }();
    return available;
}

void render_dot(const std::string& dot_path, const std::string& image_path) {
    const auto dot = image_path.rfind('.');
    const std::string format = dot == std::string::npos ? "" : image_path.substr(dot + 1);
    if (format != "svg" && format != "png" && format != "pdf")
        throw ValueError("render_dot: cannot tell the format of " + image_path + " (expected .svg, .png or .pdf)");
    if (!graphviz_available())
        throw IoError("render_dot: Graphviz's `dot` program was not found on PATH, so " + image_path +
                      " was not made; install graphviz (scripts/install-deps) or render " + dot_path +
                      " elsewhere (dot -T" + format + ")");
    std::string out;
    const int rc = run("dot -T" + format + " " + shell_quote(dot_path) + " -o " + shell_quote(image_path), out);
    if (rc != 0)
        throw IoError("render_dot: dot -T" + format + " " + dot_path + " failed (exit " + std::to_string(rc) +
                      "): " + out);
}

template <class T>
std::vector<std::string> write_graph(const Tensor<T>& root, const std::string& base,
                                     const std::vector<std::string>& formats, const DotOptions& options,
                                     std::string* note, const BackwardTrace<T>* trace) {
    std::vector<std::string> written{base + ".dot"};
    write_text_file(written[0], to_dot(root, options, trace));
    if (!graphviz_available()) {
        if (note)
            *note = "Graphviz's `dot` is not installed: wrote " + written[0] +
                    " only (install graphviz, e.g. scripts/install-deps, to get pictures)";
        return written;
    }
    for (const auto& f : formats) {
        written.push_back(base + "." + f);
        render_dot(written[0], written.back());
    }
    return written;
}

#define DG_GRAPHVIZ(T)                                                                                        \
    template std::string to_dot(const Tensor<T>&, const DotOptions&, const BackwardTrace<T>*);                \
    template std::string to_dot(const std::vector<Tensor<T>>&, const DotOptions&, const BackwardTrace<T>*);   \
    template DotNodeKind dot_node_kind(const Tensor<T>&);                                                     \
    template std::vector<std::string> write_graph(const Tensor<T>&, const std::string&,                       \
                                                  const std::vector<std::string>&, const DotOptions&, std::string*, \
                                                  const BackwardTrace<T>*);
DG_GRAPHVIZ(float)
DG_GRAPHVIZ(double)
#undef DG_GRAPHVIZ

}  // namespace dg
