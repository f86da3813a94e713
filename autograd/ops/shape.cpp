// Shape ops: transpose, reshape, broadcast_to, concat / narrow, and row indexing (index_select,
// gather_rows and their adjoints index_add, scatter_rows, used by embeddings and classifiers).
#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;
using detail::normalize_axis;

template <class T>
Tensor<T> transpose(const Tensor<T>& x, int dim0, int dim1) {
    const std::size_t a = normalize_axis(dim0, x.dim(), "transpose");
    const std::size_t b = normalize_axis(dim1, x.dim(), "transpose");
    std::vector<std::size_t> perm(x.dim());
    for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    std::swap(perm[a], perm[b]);
    return record<T>(Array<T>(xt::transpose(x.value(), perm)), {x},
                     {"transpose", "grad_in = transpose(grad_out)  (the same two axes)"},
                     [dim0, dim1](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{transpose(g, dim0, dim1)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> transpose(const Tensor<T>& x) {
    if (x.dim() != 2) throw ShapeError("transpose: expected a 2-d tensor, got shape " + shape_str(x.shape()));
    return transpose(x, 0, 1);
}

template <class T>
Tensor<T> reshape(const Tensor<T>& x, const Shape& shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    if (n != x.numel())
        throw ShapeError("reshape: cannot reshape " + shape_str(x.shape()) + " (" + std::to_string(x.numel()) +
                         " elements) to " + shape_str(shape) + " (" + std::to_string(n) + " elements)");
    if (x.shape() == shape) return x;
    Array<T> v = x.value();
    v.reshape(shape);
    return record<T>(std::move(v), {x}, {"reshape", "grad_in = reshape(grad_out, x.shape)"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{reshape(g, in[0].shape())};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape) {
    if (!broadcastable_to(x.shape(), shape))
        throw ShapeError("broadcast_to: shape " + shape_str(x.shape()) + " does not broadcast to " + shape_str(shape));
    if (x.shape() == shape) return x;
    return record<T>(Array<T>(xt::broadcast(x.value(), shape)), {x},
                     {"broadcast_to", "grad_in = sum_to(grad_out, x.shape)"},
                     [](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) { return Grads<T>{g}; },
                     Saves::none());
}

namespace {
/// Product of the extents before and after `axis`: a row-major tensor is [outer, axis, inner].
inline void split_at(const Shape& s, std::size_t axis, std::size_t& outer, std::size_t& inner) {
    outer = 1;
    inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
    for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
}
}  // namespace

template <class T>
Tensor<T> concat(const std::vector<Tensor<T>>& xs, int axis_arg) {
    if (xs.empty()) throw ValueError("concat: no tensors given");
    const Shape first = xs[0].shape();
    const std::size_t axis = normalize_axis(axis_arg, first.size(), "concat");
    Shape out = first;
    out[axis] = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        Shape s = xs[k].shape();
        Shape a = s, b = first;
        if (s.size() == first.size()) a[axis] = b[axis] = 0;
        if (a != b)
            throw ShapeError("concat: tensor " + std::to_string(k) + " has shape " + shape_str(s) +
                             ", expected " + shape_str(first) + " except along axis " + std::to_string(axis));
        out[axis] += s[axis];
    }
    std::size_t outer, inner;
    split_at(out, axis, outer, inner);
    Array<T> v = Array<T>::from_shape(out);
    std::size_t offset = 0;
    std::vector<std::size_t> offsets;
    for (const auto& x : xs) {
        const std::size_t len = x.shape()[axis];
        const T* src = x.value().data();
        for (std::size_t o = 0; o < outer; ++o)
            std::copy(src + o * len * inner, src + (o + 1) * len * inner, v.data() + (o * out[axis] + offset) * inner);
        offsets.push_back(offset);
        offset += len;
    }
    return record<T>(std::move(v), xs, {"concat", "grad_x_i = narrow(grad_out, axis, offset_i, length_i)"},
                     [axis, offsets](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         Grads<T> grads(in.size());
                         for (std::size_t k = 0; k < in.size(); ++k)
                             if (in[k].requires_grad())
                                 grads[k] = narrow(g, static_cast<int>(axis), offsets[k], in[k].shape()[axis]);
                         return grads;
                     },
                     Saves::none());
}

template <class T>
Tensor<T> narrow(const Tensor<T>& x, int axis_arg, std::size_t start, std::size_t length) {
    const Shape s = x.shape();
    const std::size_t axis = normalize_axis(axis_arg, s.size(), "narrow");
    if (start + length > s[axis])
        throw ShapeError("narrow: range [" + std::to_string(start) + ", " + std::to_string(start + length) +
                         ") exceeds axis " + std::to_string(axis) + " of shape " + shape_str(s));
    std::size_t outer, inner;
    split_at(s, axis, outer, inner);
    Shape out = s;
    out[axis] = length;
    Array<T> v = Array<T>::from_shape(out);
    const T* src = x.value().data();
    for (std::size_t o = 0; o < outer; ++o)
        std::copy(src + (o * s[axis] + start) * inner, src + (o * s[axis] + start + length) * inner,
                  v.data() + o * length * inner);
    return record<T>(std::move(v), {x},
                     {"narrow", "grad_in = zeros(x.shape) with grad_out at [start, start+length) along the axis"},
                     [axis, start, length](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Shape xs = in[0].shape();
                         std::vector<Tensor<T>> parts;
                         Shape before = xs, after = xs;
                         before[axis] = start;
                         after[axis] = xs[axis] - start - length;
                         if (start > 0) parts.push_back(Tensor<T>::zeros(before));
                         parts.push_back(g);
                         if (after[axis] > 0) parts.push_back(Tensor<T>::zeros(after));
                         return Grads<T>{parts.size() == 1 ? g : concat(parts, static_cast<int>(axis))};
                     },
                     Saves::none());
}

namespace {
template <class T>
void check_rows(const char* op, const Shape& shape, const std::vector<std::size_t>& indices) {
    if (shape.empty()) throw ShapeError(std::string(op) + ": expected at least a 1-d tensor");
    for (std::size_t i = 0; i < indices.size(); ++i)
        if (indices[i] >= shape[0])
            throw ValueError(std::string(op) + ": index " + std::to_string(indices[i]) + " at position " +
                             std::to_string(i) + " out of range for " + std::to_string(shape[0]) + " rows");
}
}  // namespace

template <class T>
Tensor<T> index_select(const Tensor<T>& x, const std::vector<std::size_t>& indices) {
    const Shape s = x.shape();
    check_rows<T>("index_select", s, indices);
    Shape out = s;
    out[0] = indices.size();
    const std::size_t row = s.empty() ? 0 : x.numel() / std::max<std::size_t>(s[0], 1);
    Array<T> v = Array<T>::from_shape(out);
    for (std::size_t i = 0; i < indices.size(); ++i)
        std::copy_n(x.value().data() + indices[i] * row, row, v.data() + i * row);
    return record<T>(std::move(v), {x}, {"index_select", "grad_in = index_add(x.shape, indices, grad_out)"},
                     [indices](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{index_add(in[0].shape(), indices, g)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> index_add(const Shape& shape, const std::vector<std::size_t>& indices, const Tensor<T>& src) {
    check_rows<T>("index_add", shape, indices);
    Shape expect = shape;
    expect[0] = indices.size();
    if (src.shape() != expect)
        throw ShapeError("index_add: source has shape " + shape_str(src.shape()) + ", expected " + shape_str(expect));
    Array<T> v = Array<T>::from_shape(shape);
    v.fill(T(0));
    const std::size_t row = shape[0] ? v.size() / shape[0] : 0;
    for (std::size_t i = 0; i < indices.size(); ++i) {
        const T* s = src.value().data() + i * row;
        T* d = v.data() + indices[i] * row;
        for (std::size_t j = 0; j < row; ++j) d[j] += s[j];
    }
    return record<T>(std::move(v), {src}, {"index_add", "grad_src = index_select(grad_out, indices)"},
                     [indices](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{index_select(g, indices)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> gather_rows(const Tensor<T>& x, const std::vector<std::size_t>& index) {
    const Shape s = x.shape();
    if (s.size() != 2 || index.size() != s[0])
        throw ShapeError("gather_rows: expected a 2-d tensor with one index per row, got shape " + shape_str(s) +
                         " and " + std::to_string(index.size()) + " indices");
    Array<T> v = Array<T>::from_shape({s[0]});
    for (std::size_t i = 0; i < s[0]; ++i) {
        if (index[i] >= s[1])
            throw ValueError("gather_rows: index " + std::to_string(index[i]) + " in row " + std::to_string(i) +
                             " out of range for " + std::to_string(s[1]) + " columns");
        v(i) = x.value()(i, index[i]);
    }
    return record<T>(std::move(v), {x}, {"gather_rows", "grad_in = scatter_rows(x.shape, index, grad_out)"},
                     [index](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{scatter_rows(in[0].shape(), index, g)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> scatter_rows(const Shape& shape, const std::vector<std::size_t>& index, const Tensor<T>& src) {
    if (shape.size() != 2 || index.size() != shape[0] || src.shape() != Shape{shape[0]})
        throw ShapeError("scatter_rows: expected a 2-d target shape, one index and one source value per row; got " +
                         shape_str(shape) + ", " + std::to_string(index.size()) + " indices, source " +
                         shape_str(src.shape()));
    Array<T> v = Array<T>::from_shape(shape);
    v.fill(T(0));
    for (std::size_t i = 0; i < shape[0]; ++i) {
        if (index[i] >= shape[1])
            throw ValueError("scatter_rows: index " + std::to_string(index[i]) + " out of range for " +
                             std::to_string(shape[1]) + " columns");
        v(i, index[i]) = src.value()(i);
    }
    return record<T>(std::move(v), {src}, {"scatter_rows", "grad_src = gather_rows(grad_out, index)"},
                     [index](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{gather_rows(g, index)};
                     },
                     Saves::none());
}

#define DG_INSTANTIATE(T)                                                                               \
    template Tensor<T> transpose(const Tensor<T>&);                                                     \
    template Tensor<T> transpose(const Tensor<T>&, int, int);                                           \
    template Tensor<T> reshape(const Tensor<T>&, const Shape&);                                         \
    template Tensor<T> broadcast_to(const Tensor<T>&, const Shape&);                                    \
    template Tensor<T> concat(const std::vector<Tensor<T>>&, int);                                      \
    template Tensor<T> narrow(const Tensor<T>&, int, std::size_t, std::size_t);                         \
    template Tensor<T> index_select(const Tensor<T>&, const std::vector<std::size_t>&);                 \
    template Tensor<T> index_add(const Shape&, const std::vector<std::size_t>&, const Tensor<T>&);      \
    template Tensor<T> gather_rows(const Tensor<T>&, const std::vector<std::size_t>&);                  \
    template Tensor<T> scatter_rows(const Shape&, const std::vector<std::size_t>&, const Tensor<T>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
