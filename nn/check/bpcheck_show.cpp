// bpcheck --show: the three computations of every gradient entry printed together, and the batch convention.
#include "nn/check/bpcheck_show.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace dg::nn {

namespace {

std::string number(const char* format, double v) {
    if (std::isnan(v)) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string pad_left(const std::string& s, std::size_t width) {
    // Widths count characters, not bytes: "−" and "…" take three bytes and one column.
    std::size_t columns = 0;
    for (unsigned char c : s) columns += (c & 0xC0) != 0x80;
    return columns >= width ? s : std::string(width - columns, ' ') + s;
}

// A quantity as rows × cols: a vector is one row, an array of rank > 2 its first axis by the rest flattened.
struct Grid {
    std::size_t rows = 1, cols = 1;
};
Grid grid_of(const Shape& shape) {
    Grid g;
    if (shape.empty()) return g;
    if (shape.size() == 1) {
        g.cols = shape[0];
        return g;
    }
    g.rows = shape[0];
    g.cols = 1;
    for (std::size_t d = 1; d < shape.size(); ++d) g.cols *= shape[d];
    return g;
}

double norm(const Array<double>& a) {
    double s = 0;
    for (double v : a)
        if (!std::isnan(v)) s += v * v;
    return std::sqrt(s);
}

// What a row and a column of the quantity are, for the heading.
std::string axes(const std::string& name, std::size_t layer, const Shape& shape) {
    const std::string l = std::to_string(layer), below = std::to_string(layer - 1);
    if (name == "delta" && shape.size() == 2) return "a row per sample, a column per unit of layer " + l;
    if (name == "W" && shape.size() == 2)
        return "row i: unit i of layer " + l + ", column j: unit j of layer " + below + (layer == 1 ? " (the input)" : "");
    if (name == "b") return "one entry per unit of layer " + l;
    if (shape.size() > 2) return "rows: the first axis; columns: the others, flattened";
    return "";
}

std::string row_label(const std::string& name, std::size_t r, const Grid& g) {
    if (g.rows == 1) return "";
    return (name == "delta" ? "sample " : name == "W" ? "unit " : "row ") + std::to_string(r);
}

void show_quantity(std::ostringstream& out, std::size_t layer, const QuantityCheck& q, const ShowOptions& o) {
    const Grid g = grid_of(q.shape);
    const std::size_t n = g.rows * g.cols;
    const bool have_ref = q.reference.size() == n, have_fd = q.fd.size() == n;
    if (q.autograd.size() != n || n == 0) {  // a check that keeps only the comparisons
        out << "  " << quantity_symbol(q.name, layer) << "  " << shape_str(q.shape) << ": no values recorded by this check\n";
        return;
    }
    double largest = 0;
    for (const Array<double>* a : {&q.autograd, &q.reference, &q.fd})
        for (double v : *a)
            if (!std::isnan(v)) largest = std::max(largest, std::abs(v));
    const std::string format = fixed_format(largest);

    const bool cut_rows = g.rows > o.max_rows, cut_cols = g.cols > o.max_cols;
    const std::size_t rows = cut_rows ? o.preview_rows : g.rows, cols = cut_cols ? o.preview_cols : g.cols;
    std::size_t width = 6;  // the widest printed entry, so that the three lines' columns align
    for (const Array<double>* a : {&q.autograd, &q.reference, &q.fd})
        for (std::size_t r = 0; r < rows && a->size() == n; ++r)
            for (std::size_t c = 0; c < cols; ++c) width = std::max(width, number(format.c_str(), a->flat(r * g.cols + c)).size());
    width += 2;
    std::size_t label_width = 0;
    for (std::size_t r = 0; r < rows; ++r) label_width = std::max(label_width, row_label(q.name, r, g).size());

    out << "  " << quantity_symbol(q.name, layer) << "  " << shape_str(q.shape);
    const std::string what = axes(q.name, layer, q.shape);
    if (!what.empty()) out << ": " << what;
    if (cut_rows || cut_cols)
        out << " (the first " << rows << " × " << cols << " of " << g.rows << " × " << g.cols << ")";
    out << "\n";
    const std::string indent(4 + label_width + 2 + 10, ' ');
    out << indent;
    for (std::size_t c = 0; c < cols; ++c) out << pad_left(std::to_string(c), width);
    if (cut_cols) out << "  …";
    out << "\n";
    const std::pair<const char*, const Array<double>*> lines[] = {
        {"autograd", &q.autograd}, {"reference", &q.reference}, {"fd", &q.fd}};
    for (std::size_t r = 0; r < rows; ++r) {
        for (const auto& [who, values] : lines) {
            const std::string label = values == &q.autograd ? row_label(q.name, r, g) : "";
            out << "    " << label << std::string(label_width - label.size() + 2, ' ') << who
                << std::string(10 - std::string(who).size(), ' ');
            const bool present = values == &q.autograd || (values == &q.reference ? have_ref : have_fd);
            if (!present) {
                out << "  (none)\n";
                continue;
            }
            for (std::size_t c = 0; c < cols; ++c) out << pad_left(number(format.c_str(), values->flat(r * g.cols + c)), width);
            if (cut_cols) out << "  …";
            out << "\n";
        }
    }
    if (cut_rows) out << "    … " << g.rows - rows << " more rows\n";
    out << "    norm ‖·‖: autograd " << number("%.6g", norm(q.autograd)) << "  reference "
        << (have_ref ? number("%.6g", norm(q.reference)) : std::string("-")) << "  fd "
        << (have_fd ? number("%.6g", norm(q.fd)) : std::string("-"));
    const std::size_t fd_taken = q.fd_count - q.flagged.size();
    if (have_fd && fd_taken < q.autograd.size()) out << " (over the " << fd_taken << " entries it has)";
    out << "\n";
}

}  // namespace

std::string fixed_format(double largest) {
    int decimals = 4;
    if (largest > 0 && std::isfinite(largest)) decimals = std::clamp(3 - static_cast<int>(std::floor(std::log10(largest))), 0, 12);
    return "%." + std::to_string(decimals) + "f";
}

std::string quantity_symbol(const std::string& name, std::size_t layer) {
    const std::string l = "(" + std::to_string(layer) + ")";
    if (name == "delta") return "δ" + l;
    if (name == "W") return "ΔW" + l;
    if (name == "b") return "Δb" + l;
    return name + l;
}

std::string batch_convention(Loss loss, const std::string& output, std::size_t L, std::size_t m, std::size_t n,
                             double lambda, bool conv) {
    const std::string l = "(" + std::to_string(L) + ")", z = "z" + l, a = "a" + l;
    const bool linear_out = output == "identity";
    const std::string fprime = linear_out ? "" : " ⊙ f'(" + z + ")";
    std::string formula, head, by_hand;
    double factor = static_cast<double>(m);
    switch (loss) {
        case Loss::softmax_ce:
            formula = "l = (1/m) Σ_samples −y·log ŷ,  ŷ = softmax(" + z + ")";
            head = "on the logits " + z + (linear_out ? "" : " (the output's " + output + " is taken inside the loss)");
            by_hand = "δ" + l + " = (softmax(" + z + ") − y) / m";
            break;
        case Loss::bce:
            formula = "l = the mean over the m·n entries of −[y log ŷ + (1 − y) log(1 − ŷ)],  ŷ = σ(" + z + ")";
            head = "on the logits " + z + (linear_out ? "" : " (the output's sigmoid is taken inside the loss)");
            by_hand = "δ" + l + " = (σ(" + z + ") − y) / (m·n)";
            factor = static_cast<double>(m * n);
            break;
        case Loss::mse_half:
            formula = "l = (1/m) Σ_samples ½‖ŷ − y‖²,  ŷ = " + a;
            head = "on " + a + " = " + output + "(" + z + ")";
            by_hand = "δ" + l + " = (" + a + " − y)" + fprime + " / m";
            break;
        case Loss::mse:
            formula = "l = the mean over the m·n entries of (ŷ − y)²,  ŷ = " + a;
            head = "on " + a + " = " + output + "(" + z + ")";
            by_hand = "δ" + l + " = 2 (" + a + " − y)" + fprime + " / (m·n)";
            factor = static_cast<double>(m * n) / 2;
            break;
    }
    std::ostringstream out;
    char f[32];
    std::snprintf(f, sizeof f, "%g", factor);
    const std::string per_sample = fprime.empty() || loss == Loss::softmax_ce || loss == Loss::bce ? "ŷ − y" : "(ŷ − y)" + fprime;
    const bool per_entry = loss == Loss::bce || loss == Loss::mse;
    out << "loss " << reference::loss_name(loss) << " " << head << ":\n  " << formula << "\n"
        << "batch convention: the loss is a mean over the "
        << (per_entry ? "m·n = " + std::to_string(m * n) + " entries (m = " + std::to_string(m) + " samples, n = " +
                            std::to_string(n) + " outputs)"
                      : "m = " + std::to_string(m) + " samples")
        << ", so every\n  δ(l) = ∂l/∂z(l) (a row per sample) carries a factor " << (per_entry ? "1/(m·n)" : "1/m") << ": "
        << by_hand << ".\n  A sample's " << per_sample << " worked by hand is " << f << " × its row of δ" << l
        << ".\n  ";
    if (conv)
        out << "ΔW(l) = δ(l)ᵀ a(l−1) and Δb(l) = Σ_samples δ(l) for a dense layer, and for a conv layer ΔW(l) = a(l−1)\n"
               "  correlated with δ(l) and Δb(l) = δ(l) summed over samples and positions, are then means over the batch";
    else
        out << "ΔW(l) = δ(l)ᵀ a(l−1) and Δb(l) = Σ_samples δ(l) are then means over the batch";
    if (lambda != 0) {
        char lam[32];
        std::snprintf(lam, sizeof lam, "%g", lambda);
        out << "\n  (ΔW(l) plus (λ/m) W(l), from the L2 penalty λ/(2m) Σ‖W‖², λ = " << lam << ")";
    }
    out << ".\n";
    return out.str();
}

std::string show_gradients(const BpcheckReport& report, const ShowOptions& options) {
    std::ostringstream out;
    out << "bpcheck --show " << report.spec << "  loss " << report.loss << "  batch " << report.batch << "  "
        << report.dtype << "\n";
    if (!report.convention.empty()) out << report.convention;
    out << "Each row of a quantity is printed three times, its columns lined up: autograd (backward() through the\n"
           "graph), reference (the delta recurrences of the notes on plain arrays) and fd (central finite differences of\n"
           "the loss); \"-\": no finite difference there (its stencil crosses a kink, or --fd-max left it out). Numbers\n"
           "keep 4 significant digits of their quantity's largest entry.\n";
    for (std::size_t k = report.layers.size(); k-- > 0;) {
        const LayerCheck& l = report.layers[k];
        out << "\nlayer " << l.layer << " (" << l.activation << ")\n";
        // δ first: backward computes it, then ΔW and Δb from it.
        std::vector<const QuantityCheck*> order;
        for (const auto& q : l.quantities)
            if (q.name == "delta") order.push_back(&q);
        for (const auto& q : l.quantities)
            if (q.name != "delta") order.push_back(&q);
        for (const QuantityCheck* q : order) show_quantity(out, l.layer, *q, options);
    }
    out << "\n";
    return out.str();
}

}  // namespace dg::nn
