// bpcheck --show: the gradients themselves, layer by layer, each entry's autograd, delta-reference and finite-
// difference values together; small quantities printed whole, large ones previewed; and the batch convention in words.
#pragma once

#include <cstddef>
#include <string>

#include "nn/check/bpcheck.hpp"

namespace dg::nn {

/// How much of a quantity show_gradients prints.
struct ShowOptions {
    std::size_t max_rows = 8;  ///< more rows than this: the first preview_rows, then "… n more rows"
    std::size_t max_cols = 8;  ///< more columns than this: the first preview_cols, then "…"
    std::size_t preview_rows = 4;  ///< rows shown of a quantity cut by max_rows
    std::size_t preview_cols = 6;  ///< columns shown of a quantity cut by max_cols
};

/// Every quantity of every layer of `report` (δ(l), ΔW(l), Δb(l) for an Mlp, from the last layer down, as backward
/// computes them): per matrix row, three lines (autograd, reference, fd) whose columns line up entry by entry, in one
/// fixed-point format per quantity (4 significant digits of its largest entry), "-" where no finite difference was
/// taken; then the three norms. Starts with a legend and the report's batch convention.
std::string show_gradients(const BpcheckReport& report, const ShowOptions& options = {});

/// The batch convention of an Mlp's δ in words, for an output layer L of n units on a batch of m samples: the
/// loss's formula, δ(L) with its 1/m (or 1/(m·n)) written out, how to compare it with ŷ − y worked by hand for one
/// sample, and ΔW(l), Δb(l) as sums over the batch (with (λ/m) W(l) when lambda ≠ 0). `output` is f(L)'s name.
/// `conv`: the network has conv layers (a CNN), whose ΔW(l) and Δb(l) are said as well.
std::string batch_convention(Loss loss, const std::string& output, std::size_t L, std::size_t m, std::size_t n,
                             double lambda = 0, bool conv = false);

/// "δ(2)", "ΔW(2)", "Δb(2)" for the quantities "delta", "W", "b" of layer 2; "<name>(2)" for others.
std::string quantity_symbol(const std::string& name, std::size_t layer);

/// The printf format that gives a quantity whose largest |value| is `largest` 4 significant digits there, the same
/// for all its entries: "%.4f" for 0.2, "%.1f" for 300 (an entry far below the largest then shows as 0.0000).
std::string fixed_format(double largest);

}  // namespace dg::nn
