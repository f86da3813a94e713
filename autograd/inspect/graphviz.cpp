// DOT export (an explicit-stack walk from the roots, never recursion) and rendering through the `dot`
// program. Node labels are Graphviz HTML-like labels so the op name can be bold and the gradient coloured.
#include "autograd/inspect/graphviz.hpp"

#include <sys/wait.h>

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

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

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

template <class T>
std::string label_of(const Node<T>& n, DotNodeKind kind, const DotOptions& o) {
    std::string s;
    if (kind == DotNodeKind::op) {
        s = "<b>" + html_escape(n.op.name) + "</b>";
        if (!n.label.empty()) s += " <i>" + html_escape(n.label) + "</i>";
    } else {
        s = "<b>" + html_escape(n.label.empty() ? kind_name(kind) : n.label) + "</b>";
        if (!n.label.empty()) s += " <i>" + std::string(kind_name(kind)) + "</i>";
    }
    s += "<br/>" + shape_str(shape_of(n.value));
    if (o.values) s += "<br/>value " + html_escape(preview(n.value, o.max_elements, o.precision));
    if (o.grads && n.grad.defined())
        s += "<br/><font color=\"#b22222\">grad " + html_escape(preview(n.grad.value(), o.max_elements, o.precision)) +
             "</font>";
    if (n.freed) s += "<br/><font color=\"#888888\">graph freed by backward</font>";
    return "<" + s + ">";
}

}  // namespace

template <class T>
DotNodeKind dot_node_kind(const Tensor<T>& t) {
    if (!t.is_leaf()) return DotNodeKind::op;
    if (t.requires_grad()) return DotNodeKind::parameter;
    return t.label().empty() ? DotNodeKind::constant : DotNodeKind::leaf;
}

template <class T>
std::string to_dot(const std::vector<Tensor<T>>& roots, const DotOptions& o) {
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

    std::ostringstream dot;
    dot << "digraph deltagrad {\n"
        << "  graph [rankdir=" << o.rankdir << ", fontname=\"Helvetica\", nodesep=0.25, ranksep=0.35";
    if (!o.title.empty()) dot << ", label=" << quoted(o.title) << ", labelloc=t, fontsize=14";
    dot << "];\n"
        << "  node [fontname=\"Helvetica\", fontsize=11];\n"
        << "  edge [color=\"#555555\", arrowsize=0.7, fontname=\"Helvetica\", fontsize=9];\n";
    for (std::size_t i = 0; i < order.size(); ++i) {
        const Tensor<T>& t = order[i];
        const Node<T>& n = *t.node();
        const DotNodeKind kind = dot_node_kind(t);
        bool is_root = false;
        for (const auto& r : roots) is_root = is_root || r.node() == &n;
        dot << "  n" << i << " [" << style_of(kind, is_root, n.freed) << ", tooltip=\"" << kind_name(kind)
            << "\", label=" << label_of(n, kind, o) << "];\n";
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
std::string to_dot(const Tensor<T>& root, const DotOptions& options) {
    return to_dot(std::vector<Tensor<T>>{root}, options);
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
                                     std::string* note) {
    std::vector<std::string> written{base + ".dot"};
    write_text_file(written[0], to_dot(root, options));
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
    template std::string to_dot(const Tensor<T>&, const DotOptions&);                                         \
    template std::string to_dot(const std::vector<Tensor<T>>&, const DotOptions&);                            \
    template DotNodeKind dot_node_kind(const Tensor<T>&);                                                     \
    template std::vector<std::string> write_graph(const Tensor<T>&, const std::string&,                       \
                                                  const std::vector<std::string>&, const DotOptions&, std::string*);
DG_GRAPHVIZ(float)
DG_GRAPHVIZ(double)
#undef DG_GRAPHVIZ

}  // namespace dg
