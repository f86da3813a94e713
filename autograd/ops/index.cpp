// Indexing: slices picked by position along an axis (index_select, adjoint index_add), elements picked by an index
// tensor (gather, adjoint scatter_add), one entry per row (gather_rows / scatter_rows, for classifiers), and
// where, which picks each element from one of two tensors by a mask.
#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;
using detail::normalize_axis;

template <class T>
Tensor<T> index_select(const Tensor<T>& x, int axis_arg, const std::vector<std::size_t>& indices) {
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), "index_select");
    const std::size_t extent = x.shape()[axis];
    for (std::size_t i = 0; i < indices.size(); ++i) detail::check_index("index_select", indices[i], i, axis, extent);
    return record<T>(detail::take_along(x.value(), axis, indices), {x},
                     {"index_select", "grad_in = index_add(x.shape, axis, indices, grad_out)"},
                     [axis, indices](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{index_add(in[0].shape(), static_cast<int>(axis), indices, g)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> index_select(const Tensor<T>& x, const std::vector<std::size_t>& indices) {
    return index_select(x, 0, indices);
}

template <class T>
Tensor<T> index_add(const Shape& shape, int axis_arg, const std::vector<std::size_t>& indices, const Tensor<T>& src) {
    const std::size_t axis = normalize_axis(axis_arg, shape.size(), "index_add");
    for (std::size_t i = 0; i < indices.size(); ++i) detail::check_index("index_add", indices[i], i, axis, shape[axis]);
    Shape expect = shape;
    expect[axis] = indices.size();
    if (src.shape() != expect)
        throw ShapeError("index_add: source has shape " + shape_str(src.shape()) + ", expected " + shape_str(expect));
    return record<T>(detail::add_along(src.value(), shape, axis, indices), {src},
                     {"index_add", "grad_src = index_select(grad_out, axis, indices)"},
                     [axis, indices](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{index_select(g, static_cast<int>(axis), indices)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> index_add(const Shape& shape, const std::vector<std::size_t>& indices, const Tensor<T>& src) {
    return index_add(shape, 0, indices, src);
}

namespace {

/// Calls f(i, j) for each element i of `index` (row-major), with j the flat offset, in a row-major array of
/// `shape`, of the element index[i] names: i's own position with its `axis` coordinate replaced by index[i]. Checks
/// first that index has shape's rank and, off the axis, extents no larger than shape's (torch.gather's rule).
template <class F>
void for_each_indexed(const char* op, const Indices& index, const Shape& shape, std::size_t axis, F f) {
    const std::size_t nd = shape.size();
    const Shape ishape = shape_of(index);
    bool fits = ishape.size() == nd;
    for (std::size_t d = 0; fits && d < nd; ++d) fits = d == axis || ishape[d] <= shape[d];
    if (!fits)
        throw ShapeError(std::string(op) + ": index of shape " + shape_str(ishape) + " does not fit " +
                         shape_str(shape) + " (expected the same rank and extents no larger off axis " +
                         std::to_string(axis) + ")");
    Shape stride(nd, 1);
    for (std::size_t d = nd; d-- > 1;) stride[d - 1] = stride[d] * shape[d];
    Shape pos(nd, 0);  // element i's position in index
    for (std::size_t i = 0; i < index.size(); ++i) {
        const std::size_t k = index.data()[i];
        detail::check_index(op, k, i, axis, shape[axis]);
        std::size_t j = k * stride[axis];
        for (std::size_t d = 0; d < nd; ++d)
            if (d != axis) j += pos[d] * stride[d];
        f(i, j);
        for (std::size_t d = nd; d-- > 0 && ++pos[d] == ishape[d];) pos[d] = 0;
    }
}

}  // namespace

template <class T>
Tensor<T> gather(const Tensor<T>& x, int axis_arg, const Indices& index) {
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), "gather");
    Array<T> v = Array<T>::from_shape(shape_of(index));
    const T* src = x.value().data();
    for_each_indexed("gather", index, x.shape(), axis, [&](std::size_t i, std::size_t j) { v.data()[i] = src[j]; });
    return record<T>(std::move(v), {x}, {"gather", "grad_in = scatter_add(x.shape, axis, index, grad_out)"},
                     [axis, index](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{scatter_add(in[0].shape(), static_cast<int>(axis), index, g)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> scatter_add(const Shape& shape, int axis_arg, const Indices& index, const Tensor<T>& src) {
    const std::size_t axis = normalize_axis(axis_arg, shape.size(), "scatter_add");
    if (src.shape() != shape_of(index))
        throw ShapeError("scatter_add: source has shape " + shape_str(src.shape()) + ", expected the index's " +
                         shape_str(shape_of(index)));
    Array<T> v = Array<T>::from_shape(shape);
    v.fill(T(0));
    const T* s = src.value().data();
    for_each_indexed("scatter_add", index, shape, axis, [&](std::size_t i, std::size_t j) { v.data()[j] += s[i]; });
    return record<T>(std::move(v), {src}, {"scatter_add", "grad_src = gather(grad_out, axis, index)"},
                     [axis, index](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{gather(g, static_cast<int>(axis), index)};
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

template <class T>
Tensor<T> where(const Tensor<T>& cond, const Tensor<T>& a, const Tensor<T>& b) {
    broadcast_shape(broadcast_shape(cond.shape(), a.shape(), "where"), b.shape(), "where");
    // cond is an input only so that backward can read it (and an in-place change of it is caught); it gets no
    // gradient. Gradients come back in the broadcast shape; the engine sums them to a's and b's shapes.
    return record<T>(xt::where(xt::not_equal(cond.value(), T(0)), a.value(), b.value()), {a, b, cond},
                     {"where", "grad_a = where(cond, grad_out, 0); grad_b = where(cond, 0, grad_out); none to cond"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Tensor<T> zero = Tensor<T>::zeros({});
                         return Grads<T>{in[0].requires_grad() ? where(in[2], g, zero) : Tensor<T>(),
                                         in[1].requires_grad() ? where(in[2], zero, g) : Tensor<T>(), Tensor<T>()};
                     },
                     Saves{4u, false});
}

#define DG_INSTANTIATE(T)                                                                                       \
    template Tensor<T> index_select(const Tensor<T>&, int, const std::vector<std::size_t>&);                    \
    template Tensor<T> index_select(const Tensor<T>&, const std::vector<std::size_t>&);                         \
    template Tensor<T> index_add(const Shape&, int, const std::vector<std::size_t>&, const Tensor<T>&);         \
    template Tensor<T> index_add(const Shape&, const std::vector<std::size_t>&, const Tensor<T>&);              \
    template Tensor<T> gather(const Tensor<T>&, int, const Indices&);                                           \
    template Tensor<T> scatter_add(const Shape&, int, const Indices&, const Tensor<T>&);                        \
    template Tensor<T> gather_rows(const Tensor<T>&, const std::vector<std::size_t>&);                          \
    template Tensor<T> scatter_rows(const Shape&, const std::vector<std::size_t>&, const Tensor<T>&);           \
    template Tensor<T> where(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
