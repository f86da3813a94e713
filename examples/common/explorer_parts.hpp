// The pieces the explorer's models share (explorer.cpp for MLPs, explorer_cnn.cpp, explorer_recurrent.cpp): previews
// of arrays, the blocks and relations a boundary note is made of, the step of a node, and the output layer's note.
// A note is {layer, title, formula, text, blocks, samples, times, views: [time][sample] {blocks, max_abs_diff},
// relations}; examples/web/explorer_models.js draws it and tests/browser/explorer_test.js checks it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/inspect/trace.hpp"
#include "nn/reference/delta_loss.hpp"

namespace dg::examples::explorer {

/// The preview (preview_json) of an array seen as [size / last, last]: its first rows and columns and its norm.
template <class T>
nlohmann::json array_preview(const Array<T>& a, std::size_t max_rows = 6, std::size_t max_cols = 6);

/// A vector's preview: one row of its first `max` entries, and its norm.
nlohmann::json vector_preview(const std::vector<double>& v, std::size_t max = 10);

/// Row r of a 2-d array, as doubles.
template <class T>
std::vector<double> row_of(const Array<T>& a, std::size_t r);

/// d W for every row of d [n, A] and W [A, B]: the notes' Wᵀδ for each sample written as a row, [n, B] in double.
template <class T>
Array<double> rows_times(const Array<T>& d, const Array<T>& W);

/// The largest |a[i] − b[i]| (the vectors have one length).
double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b);

/// One named column of a block: {id, label, p (a preview)}; the id is what relations and the browser test use.
nlohmann::json column(const std::string& id, const std::string& label, nlohmann::json p);

/// Column vectors side by side, a row per unit, as the notes write one sample: {kind "vectors", caption, columns}.
nlohmann::json vectors_block(const std::string& caption, nlohmann::json columns);

/// One matrix or map shown whole (previewed): {kind "grid", caption, id, label, p}; a note's own block with
/// "after": true is drawn after the view's blocks.
nlohmann::json grid_block(const std::string& caption, const std::string& id, const std::string& label, nlohmann::json p);

/// What the note's numbers satisfy entry by entry, result = (Σ sum) ⊙ Π times, stated on the page and checked by the
/// browser test on the numbers shown: {result, sum, times}.
nlohmann::json relation(const std::string& result, const std::vector<std::string>& sum,
                        const std::vector<std::string>& times = {});

/// The index (in the engine's order) of the trace's step at `node`, or the number of steps when backward did not visit it.
template <class T>
std::size_t step_at(const BackwardTrace<T>& trace, const Node<T>* node);

/// The index of the first step that sent a gradient to `input` (a parameter: the op that uses it), or the number of
/// steps when none did.
template <class T>
std::size_t step_sending_to(const BackwardTrace<T>& trace, const Node<T>* input);

/// The output layer's δ as the notes write it for `loss`, the layer named `l` ("L", "out"): "δ(L) = (softmax(z(L)) − y) / m".
std::string output_formula(reference::Loss loss, const std::string& l);

/// The arrays of an output layer a note is made from: the reference's z, a = f(z) and δ = ∂loss/∂z, the targets and
/// the gradient autograd sent to z; every one [rows, n].
template <class T>
struct OutputArrays {
    const Array<T>& z;         ///< the reference's z
    const Array<T>& a;         ///< its output activation (softmax for softmax_ce, σ for bce)
    const Array<T>& delta;     ///< its δ
    const Array<T>& y;         ///< the targets
    const Array<T>& autograd;  ///< the gradient autograd sent to z
    ActivationKind f;          ///< the output activation the reference applied (identity under the fused heads)
    T alpha;                   ///< its α
};

/// The output layer's note for the layer named `l` (title, formula, relations autograd = δ) with one view per entry of
/// `rows` ([time][sample]: the row of the arrays that view shows): the vectors a, y, f'(z) (for mse), δ and autograd's.
/// The caller sets layer, samples and times.
template <class T>
nlohmann::json output_note(const OutputArrays<T>& out, reference::Loss loss, const std::string& l,
                           const std::vector<std::vector<std::size_t>>& rows);

}  // namespace dg::examples::explorer
