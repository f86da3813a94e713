// Linear algebra: gemm with transpose flags (one BLAS call, no transposed copies), matmul on top of it (batched:
// one GEMM per matrix of the batch), and the fused fully connected layer y = x·Wᵀ + b.
#include <array>

#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;

namespace {

/// op(a)·op(b) through BLAS, written into a new output node (record() takes it); `who` names the public op in errors.
template <class T>
std::shared_ptr<Node<T>> gemm_node(const Array<T>& a, const Array<T>& b, bool ta, bool tb, const char* who) {
    if (a.dimension() != 2 || b.dimension() != 2)
        throw ShapeError(std::string(who) + ": expected 2-d operands, got shapes " + shape_str(shape_of(a)) + " and " +
                         shape_str(shape_of(b)));
    const std::size_t m = ta ? a.shape()[1] : a.shape()[0];
    const std::size_t k = ta ? a.shape()[0] : a.shape()[1];
    const std::size_t k2 = tb ? b.shape()[1] : b.shape()[0];
    const std::size_t n = tb ? b.shape()[0] : b.shape()[1];
    if (k != k2)
        throw ShapeError(std::string(who) + ": shapes " + shape_str(shape_of(a)) + (ta ? "ᵀ" : "") + " and " +
                         shape_str(shape_of(b)) + (tb ? "ᵀ" : "") + " do not align (" + std::to_string(k) +
                         " != " + std::to_string(k2) + ")");
    auto c = make_node<T>(std::array<std::size_t, 2>{m, n});
    gemm_into(a, ta, b, tb, c->value);
    return c;
}

}  // namespace

template <class T>
Tensor<T> gemm(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    // C = A'B' with A' = op(A), B' = op(B):
    //   gA = ta ? B'·gᵀ : g·B'ᵀ      gB = tb ? gᵀ·A' : A'ᵀ·g     (each one gemm with flags)
    return record<T>(gemm_node(a.value(), b.value(), ta, tb, "gemm"), {a, b},
                     {"matmul",
                      "grad_a = grad_out @ b^T; grad_b = a^T @ grad_out  (transposed operands: one gemm with flags)"},
                     [ta, tb](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Tensor<T>& A = in[0];
                         const Tensor<T>& B = in[1];
                         Tensor<T> ga, gb;
                         if (A.requires_grad()) ga = ta ? gemm(B, g, tb, true) : gemm(g, B, false, !tb);
                         if (B.requires_grad()) {
                             // An observer may take B's gradient as this product (ga has read B already).
                             const bool applied = tb ? offer_leaf_grad_product(B, g.value(), true, A.value(), ta)
                                                     : offer_leaf_grad_product(B, A.value(), !ta, g.value(), false);
                             if (!applied) gb = tb ? gemm(g, A, true, ta) : gemm(A, g, !ta, false);
                         }
                         return Grads<T>{ga, gb};
                     });
}

namespace {

/// The batch dims of a matrix operand: all but its last two.
Shape batch_of(const Shape& s) { return Shape(s.begin(), s.end() - 2); }

/// For each matrix of the broadcast batch `batch` (row-major), which matrix of an operand with batch dims `own`
/// takes part in it: `own` is aligned with the trailing dims of `batch`, and its extents of 1 repeat.
std::vector<std::size_t> matrix_indices(const Shape& own, const Shape& batch) {
    std::size_t count = 1;
    for (std::size_t e : batch) count *= e;
    const std::size_t off = batch.size() - own.size();
    std::vector<std::size_t> indices(count);
    for (std::size_t i = 0; i < count; ++i) {
        std::size_t rest = i, index = 0, stride = 1;
        for (std::size_t d = batch.size(); d-- > off;) {
            const std::size_t coord = rest % batch[d];
            rest /= batch[d];
            if (own[d - off] != 1) index += coord * stride;
            stride *= own[d - off];
        }
        indices[i] = index;
    }
    return indices;
}

template <class T>
Tensor<T> batched_gemm(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb);

/// op(a)·op(b) for each matrix of the broadcast batch, one GEMM per matrix; at least one operand has batch dims.
/// The caller has checked that the inner extents agree.
template <class T>
Tensor<T> bmm(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    const Shape sa = a.shape(), sb = b.shape();
    Shape out = broadcast_shape(batch_of(sa), batch_of(sb), "matmul (batch dims)");
    const std::vector<std::size_t> ia = matrix_indices(batch_of(sa), out), ib = matrix_indices(batch_of(sb), out);
    const std::size_t ra = sa[sa.size() - 2], ca = sa.back(), rb = sb[sb.size() - 2], cb = sb.back();
    const std::size_t m = ta ? ca : ra, k = ta ? ra : ca, n = tb ? rb : cb;
    out.push_back(m);
    out.push_back(n);
    Array<T> c = Array<T>::from_shape(out);
    for (std::size_t i = 0; i < ia.size(); ++i)
        blas::gemm(ta, tb, m, n, k, T(1), a.value().data() + ia[i] * ra * ca, ca, b.value().data() + ib[i] * rb * cb,
                   cb, T(0), c.data() + i * m * n, n);
    // gemm's rule per matrix; gradients come back with the broadcast batch dims and the engine sums them to each
    // operand's shape (sum_to).
    return record<T>(std::move(c), {a, b},
                     {"bmm", "grad_a = grad_out @ b^T; grad_b = a^T @ grad_out  (per matrix; sum_to over broadcast batch dims)"},
                     [ta, tb](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Tensor<T>& A = in[0];
                         const Tensor<T>& B = in[1];
                         Tensor<T> ga, gb;
                         if (A.requires_grad()) ga = ta ? batched_gemm(B, g, tb, true) : batched_gemm(g, B, false, !tb);
                         if (B.requires_grad()) gb = tb ? batched_gemm(g, A, true, ta) : batched_gemm(A, g, !ta, false);
                         return Grads<T>{ga, gb};
                     });
}

/// op(a)·op(b) over the last two axes of operands of rank >= 2, batch dims broadcast. Two matrices are one gemm; a
/// batch times one matrix (not transposed on the left) is one gemm too, the batch folded into the rows of a.
template <class T>
Tensor<T> batched_gemm(const Tensor<T>& a, const Tensor<T>& b, bool ta, bool tb) {
    if (a.dim() == 2 && b.dim() == 2) return gemm(a, b, ta, tb);
    if (b.dim() != 2 || ta) return bmm(a, b, ta, tb);
    Shape s = a.shape();
    const Tensor<T> c = gemm(reshape(a, Shape{a.numel() / s.back(), s.back()}), b, false, tb);
    s.back() = c.shape()[1];
    return reshape(c, s);
}

}  // namespace

template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
    const std::size_t da = a.dim(), db = b.dim();
    // Checked here so that the error names matmul, not the gemm underneath.
    if (da == 2 && db == 2 && a.shape()[1] != b.shape()[0])
        throw ShapeError("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " do not align (" +
                         std::to_string(a.shape()[1]) + " != " + std::to_string(b.shape()[0]) + ")");
    if (da == 2 && db == 2) return gemm(a, b, false, false);
    if (da == 0 || db == 0)
        throw ShapeError("matmul: expected operands of at least 1 dimension, got shapes " + shape_str(a.shape()) +
                         " and " + shape_str(b.shape()));
    // Vectors are matrices with one row (left) or one column (right); the result drops that dimension.
    const Tensor<T> a2 = da == 1 ? reshape(a, Shape{1, a.shape()[0]}) : a;
    const Tensor<T> b2 = db == 1 ? reshape(b, Shape{b.shape()[0], 1}) : b;
    const Shape sa = a2.shape(), sb = b2.shape();
    if (sa.back() != sb[sb.size() - 2])
        throw ShapeError("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) + " do not align (" +
                         std::to_string(sa.back()) + " != " + std::to_string(sb[sb.size() - 2]) + ")");
    const Tensor<T> c = batched_gemm(a2, b2, false, false);
    if (da > 1 && db > 1) return c;
    Shape out = c.shape();
    if (db == 1) out.pop_back();                             // the column of a 1-d right operand
    if (da == 1) out.erase(out.end() - (db == 1 ? 1 : 2));  // the row of a 1-d left operand
    return reshape(c, out);
}

template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w) {
    if (x.dim() != 2 || w.dim() != 2 || x.shape()[1] != w.shape()[1])
        throw ShapeError("linear: input " + shape_str(x.shape()) + " and weight " + shape_str(w.shape()) +
                         " do not fit (expected input [batch, in] and weight [out, in])");
    return gemm(x, w, false, true);
}

template <class T>
Tensor<T> linear(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
    // Shapes read as the arrays' own (no Shape vector is built unless there is an error to report).
    const auto &xs = x.value().shape(), &ws = w.value().shape(), &bs = b.value().shape();
    if (xs.size() != 2 || ws.size() != 2 || xs[1] != ws[1])
        throw ShapeError("linear: input " + shape_str(x.shape()) + " and weight " + shape_str(w.shape()) +
                         " do not fit (expected input [batch, in] and weight [out, in])");
    if (bs.size() != 1 || bs[0] != ws[0])
        throw ShapeError("linear: bias has shape " + shape_str(b.shape()) + ", expected [" +
                         std::to_string(w.shape()[0]) + "]");
    // y = x·Wᵀ + b in one pass: the GEMM, then the bias added row by row.
    auto y = gemm_node(x.value(), w.value(), false, true, "linear");
    const std::size_t rows = xs[0], cols = ws[0];
    const T* bias = b.value().data();
    for (std::size_t i = 0; i < rows; ++i) {
        T* row = y->value.data() + i * cols;
        for (std::size_t j = 0; j < cols; ++j) row[j] += bias[j];
    }
    return record<T>(std::move(y), {x, w, b},
                     {"linear",
                      "grad_x = grad_out @ W; grad_W = grad_out^T @ x; grad_b = sum over the batch of grad_out"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         Grads<T> grads(3);
                         if (in[0].requires_grad()) grads[0] = gemm(g, in[1], false, false);
                         // An observer may take W's gradient as this product (gx has read W already).
                         if (in[1].requires_grad() &&
                             !offer_leaf_grad_product(in[1], g.value(), true, in[0].value(), false))
                             grads[1] = gemm(g, in[0], true, false);
                         // ... and b's as the rows it sums.
                         if (in[2].requires_grad() && !offer_leaf_grad_row_sum(in[2], g.value()))
                             grads[2] = sum(g, 0);
                         return grads;
                     },
                     Saves{3u, false});
}

#define DG_INSTANTIATE(T)                                                                  \
    template Tensor<T> gemm(const Tensor<T>&, const Tensor<T>&, bool, bool);               \
    template Tensor<T> matmul(const Tensor<T>&, const Tensor<T>&);                         \
    template Tensor<T> linear(const Tensor<T>&, const Tensor<T>&);                         \
    template Tensor<T> linear(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
