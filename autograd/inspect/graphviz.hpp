// Graph export: any tensor's graph as Graphviz DOT text (op, shape, label, value and gradient grids, parameters /
// leaves / constants drawn apart, edges from inputs to outputs), and rendering DOT to SVG or PNG with Graphviz's
// `dot` program when it is installed (found at run time).
#pragma once

#include <string>
#include <vector>

#include "autograd/inspect/trace.hpp"
#include "autograd/tensor.hpp"

namespace dg {

/// What a drawn node is. A leaf that requires grad is a parameter; one that does not is an input (`leaf`)
/// when it has a label (name your data: x.set_label("x")) and a constant otherwise; every other node is an
/// op. A node whose graph a backward already freed is drawn dashed (its inputs are gone).
enum class DotNodeKind { op, parameter, leaf, constant };

/// How to_dot draws a graph.
struct DotOptions {
    std::string title;              ///< a caption above the graph ("" for none)
    std::size_t max_rows = 4;       ///< rows of a value grid shown, then "⋮"
    std::size_t max_cols = 4;       ///< columns of a value grid shown, then "…"
    int precision = 3;              ///< significant digits in the grids
    bool values = true;             ///< show each node's value grid
    bool grads = true;              ///< show gradient grids where a gradient is known (see to_dot)
    std::string rankdir = "LR";     ///< "LR": inputs on the left, the output on the right; "TB": top-down
};

/// The graph that produced `root` (and the graphs of `roots`) as DOT text, sized for a slide. Each node shows
/// its op (or, for a leaf, its label and kind), its shape, its value as a small grid (a 0-d tensor one cell, a
/// vector one row, a matrix its rows; beyond max_rows × max_cols "⋮" and "…"; a tensor of more dimensions as
/// the matrix [size / last, last]) and, where the gradient ∂root/∂node is known, that gradient as a second grid
/// in red. A gradient is known for a leaf or a retain_grad() tensor after backward (its .grad), and, when
/// `trace` is given, for every op node the traced backward visited (the gradient that arrived there, as the
/// trace prints it; summed over the passes the trace recorded). Edges go from each input to the op that
/// consumed it, numbered by argument position when an op has several. Traversal is iterative, so a 10^5-deep
/// chain exports without touching the stack.
///
/// Backward frees the graph it walks unless it is told otherwise: export BEFORE backward to draw the graph
/// with values only, or run backward(retain_graph=true) — under an ObserverGuard of a BackwardTrace to have
/// every node's gradient — and export AFTER it. After a plain backward only the root is left (drawn dashed,
/// "graph freed by backward").
template <class T>
std::string to_dot(const Tensor<T>& root, const DotOptions& options = {}, const BackwardTrace<T>* trace = nullptr);
template <class T>
std::string to_dot(const std::vector<Tensor<T>>& roots, const DotOptions& options = {},
                   const BackwardTrace<T>* trace = nullptr);

/// How to_dot classifies a tensor (see DotNodeKind).
template <class T>
DotNodeKind dot_node_kind(const Tensor<T>& t);

/// Writes DOT text to `path` (throws IoError when the file cannot be written).
void write_text_file(const std::string& path, const std::string& text);

/// Whether Graphviz's `dot` program can be run (checked once per process; graphviz is in scripts/install-deps).
bool graphviz_available();

/// Renders the DOT file `dot_path` to `image_path`; the format comes from the extension (.svg, .png, .pdf).
/// Throws IoError with what to do when `dot` is not installed, and with dot's exit status when it fails.
void render_dot(const std::string& dot_path, const std::string& image_path);

/// to_dot(root, options, trace) written to `<base>.dot`, then rendered to `<base>.<format>` for each format
/// when Graphviz is available. Returns the files written; when Graphviz is missing, only the .dot file and a
/// message in `note` (if given) saying why no picture was made.
template <class T>
std::vector<std::string> write_graph(const Tensor<T>& root, const std::string& base,
                                     const std::vector<std::string>& formats = {"png"}, const DotOptions& options = {},
                                     std::string* note = nullptr, const BackwardTrace<T>* trace = nullptr);

}  // namespace dg
