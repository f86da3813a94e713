// Joining tensors along an axis (concat, stack) and taking parts of one (narrow, slice with a step, and split /
// chunk, which are narrows).
#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;
using detail::normalize_axis;

namespace {

/// The values of `xs` side by side along `axis` of `out`: each x, seen as [outer, lengths[k], inner] around the
/// axis, fills its band of out ([outer, Σ lengths, inner]). Stack is a concat of length-1 bands.
template <class T>
Array<T> join(const std::vector<Tensor<T>>& xs, const std::vector<std::size_t>& lengths, const Shape& out,
              std::size_t axis) {
    std::size_t outer, inner;
    detail::split_at(out, axis, outer, inner);
    Array<T> v = Array<T>::from_shape(out);
    std::size_t offset = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        const std::size_t len = lengths[k];
        const T* src = xs[k].value().data();
        for (std::size_t o = 0; o < outer; ++o)
            std::copy(src + o * len * inner, src + (o + 1) * len * inner, v.data() + (o * out[axis] + offset) * inner);
        offset += len;
    }
    return v;
}

}  // namespace

template <class T>
Tensor<T> concat(const std::vector<Tensor<T>>& xs, int axis_arg) {
    if (xs.empty()) throw ValueError("concat: no tensors given");
    const Shape first = xs[0].shape();
    const std::size_t axis = normalize_axis(axis_arg, first.size(), "concat");
    Shape out = first;
    out[axis] = 0;
    std::vector<std::size_t> offsets, lengths;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        Shape s = xs[k].shape();
        Shape a = s, b = first;
        if (s.size() == first.size()) a[axis] = b[axis] = 0;
        if (a != b)
            throw ShapeError("concat: tensor " + std::to_string(k) + " has shape " + shape_str(s) +
                             ", expected " + shape_str(first) + " except along axis " + std::to_string(axis));
        offsets.push_back(out[axis]);
        lengths.push_back(s[axis]);
        out[axis] += s[axis];
    }
    return record<T>(join(xs, lengths, out, axis), xs,
                     {"concat", "grad_x_i = narrow(grad_out, axis, offset_i, length_i)"},
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
Tensor<T> stack(const std::vector<Tensor<T>>& xs, int axis_arg) {
    if (xs.empty()) throw ValueError("stack: no tensors given");
    const Shape first = xs[0].shape();
    const std::size_t axis = detail::normalize_new_axis(axis_arg, first.size(), "stack");
    for (std::size_t k = 1; k < xs.size(); ++k)
        if (xs[k].shape() != first)
            throw ShapeError("stack: tensor " + std::to_string(k) + " has shape " + shape_str(xs[k].shape()) +
                             ", expected " + shape_str(first) + " as tensor 0");
    Shape out = first;
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(axis), xs.size());
    return record<T>(join(xs, std::vector<std::size_t>(xs.size(), 1), out, axis), xs,
                     {"stack", "grad_x_i = narrow(grad_out, axis, i, 1) reshaped to x_i.shape"},
                     [axis](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         Grads<T> grads(in.size());
                         for (std::size_t k = 0; k < in.size(); ++k)
                             if (in[k].requires_grad())
                                 grads[k] = reshape(narrow(g, static_cast<int>(axis), k, 1), in[k].shape());
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
    detail::split_at(s, axis, outer, inner);
    Shape out = s;
    out[axis] = length;
    Array<T> v = Array<T>::from_shape(out);
    const T* src = x.value().data();
    // One contiguous run per outer index (take_along would copy it slice by slice).
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

template <class T>
Tensor<T> slice(const Tensor<T>& x, int axis_arg, std::ptrdiff_t start, std::ptrdiff_t stop, std::ptrdiff_t step) {
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), "slice");
    if (step < 1) throw ValueError("slice: step must be at least 1, got " + std::to_string(step));
    // Python's rules: a negative bound counts from the end, and bounds are clamped to [0, extent].
    const auto extent = static_cast<std::ptrdiff_t>(x.shape()[axis]);
    const auto clamp_bound = [extent](std::ptrdiff_t i) {
        return i < 0 ? std::max<std::ptrdiff_t>(i + extent, 0) : std::min(i, extent);
    };
    std::vector<std::size_t> picks;
    for (std::ptrdiff_t i = clamp_bound(start), end = clamp_bound(stop); i < end; i += step)
        picks.push_back(static_cast<std::size_t>(i));
    return record<T>(detail::take_along(x.value(), axis, picks), {x},
                     {"slice", "grad_in = index_add(x.shape, axis, [start, start+step, ...], grad_out)  (zeros elsewhere)"},
                     [axis, picks](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{index_add(in[0].shape(), static_cast<int>(axis), picks, g)};
                     },
                     Saves::none());
}

template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& x, const std::vector<std::size_t>& sizes, int axis_arg) {
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), "split");
    const std::size_t extent = x.shape()[axis];
    std::size_t total = 0;
    for (std::size_t n : sizes) total += n;
    if (total != extent)
        throw ShapeError("split: sizes " + shape_str(sizes) + " add up to " + std::to_string(total) + ", expected " +
                         std::to_string(extent) + " (axis " + std::to_string(axis) + " of shape " +
                         shape_str(x.shape()) + ")");
    std::vector<Tensor<T>> parts;
    std::size_t start = 0;
    for (std::size_t n : sizes) {
        parts.push_back(narrow(x, static_cast<int>(axis), start, n));
        start += n;
    }
    return parts;
}

template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& x, std::size_t size, int axis_arg) {
    if (size == 0) throw ValueError("split: the part size must be at least 1");
    const std::size_t extent = x.shape()[normalize_axis(axis_arg, x.dim(), "split")];
    // Parts of `size`, the last one shorter when size does not divide the extent; an empty axis gives one empty part.
    std::vector<std::size_t> sizes(extent / size, size);
    if (extent % size != 0 || extent == 0) sizes.push_back(extent % size);
    return split(x, sizes, axis_arg);
}

template <class T>
std::vector<Tensor<T>> chunk(const Tensor<T>& x, std::size_t n, int axis_arg) {
    if (n == 0) throw ValueError("chunk: the number of chunks must be at least 1");
    const std::size_t extent = x.shape()[normalize_axis(axis_arg, x.dim(), "chunk")];
    // As torch.chunk: parts of ceil(extent / n), so there may be fewer than n.
    return split(x, std::max<std::size_t>((extent + n - 1) / n, 1), axis_arg);
}

#define DG_INSTANTIATE(T)                                                                                  \
    template Tensor<T> concat(const std::vector<Tensor<T>>&, int);                                         \
    template Tensor<T> stack(const std::vector<Tensor<T>>&, int);                                          \
    template Tensor<T> narrow(const Tensor<T>&, int, std::size_t, std::size_t);                            \
    template Tensor<T> slice(const Tensor<T>&, int, std::ptrdiff_t, std::ptrdiff_t, std::ptrdiff_t);       \
    template std::vector<Tensor<T>> split(const Tensor<T>&, const std::vector<std::size_t>&, int);         \
    template std::vector<Tensor<T>> split(const Tensor<T>&, std::size_t, int);                             \
    template std::vector<Tensor<T>> chunk(const Tensor<T>&, std::size_t, int);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
