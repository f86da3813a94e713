// Reductions: sum, mean, max, min over all elements or one axis (keepdim optional).
#include "autograd/kernels/sum_to.hpp"
#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::constant;
using detail::Grads;
using detail::Inputs;
using detail::keepdim_shape;
using detail::normalize_axis;

namespace {

/// g (reduced shape) brought back to x's shape: reshape to the keepdim form, then broadcast.
template <class T>
Tensor<T> expand_back(const Tensor<T>& g, const Shape& x_shape, std::size_t axis) {
    return broadcast_to(reshape(g, keepdim_shape(x_shape, axis)), x_shape);
}

template <class T>
Array<T> reduce_value(const Array<T>& v, std::size_t axis, bool keepdim, bool is_max) {
    Array<T> r = is_max ? Array<T>(xt::amax(v, {axis}, immediate)) : Array<T>(xt::amin(v, {axis}, immediate));
    if (keepdim) r.reshape(keepdim_shape(shape_of(v), axis));
    return r;
}

template <class T>
Tensor<T> extremum_all(const Tensor<T>& x, bool is_max) {
    const char* op = is_max ? "max" : "min";
    if (x.numel() == 0) throw ValueError(std::string(op) + ": empty tensor has no " + op);
    Array<T> v = xt::xscalar<T>(is_max ? xt::amax(x.value(), immediate)() : xt::amin(x.value(), immediate)());
    const Op rule = is_max ? Op{"max", "grad_in = grad_out * [x == y] / count  (ties share it)"}
                           : Op{"min", "grad_in = grad_out * [x == y] / count  (ties share it)"};
    return record<T>(std::move(v), {x}, rule,
                     [](const Inputs<T>& in, const Tensor<T>& y, const Tensor<T>& g) {
                         Array<T> mask = xt::cast<T>(xt::equal(in[0].value(), y.item()));
                         mask /= xt::sum(mask, immediate)();
                         return Grads<T>{mul(broadcast_to(g, in[0].shape()), constant<T>(std::move(mask)))};
                     },
                     Saves{~0u, true});
}

template <class T>
Tensor<T> extremum_axis(const Tensor<T>& x, int axis_arg, bool keepdim, bool is_max) {
    const char* op = is_max ? "max" : "min";
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), op);
    if (x.shape()[axis] == 0) throw ValueError(std::string(op) + ": reducing an axis of size 0");
    return record<T>(reduce_value(x.value(), axis, keepdim, is_max), {x},
                     is_max ? Op{"max_axis", "grad_in = expand(grad_out) * [x == y] / count along the axis  (ties share it)"}
                            : Op{"min_axis", "grad_in = expand(grad_out) * [x == y] / count along the axis  (ties share it)"},
                     [axis, is_max](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         const Array<T>& xv = in[0].value();
                         const Array<T> y = reduce_value(xv, axis, true, is_max);
                         Array<T> mask = xt::cast<T>(xt::equal(xv, y));
                         Array<T> count = xt::sum(mask, {axis}, xt::keep_dims | immediate);
                         mask /= count;
                         return Grads<T>{mul(expand_back(g, in[0].shape(), axis), constant<T>(std::move(mask)))};
                     });
}

}  // namespace

template <class T>
Tensor<T> sum(const Tensor<T>& x) {
    return record<T>(Array<T>(xt::xscalar<T>(xt::sum(x.value(), immediate)())), {x},
                     {"sum", "grad_in = broadcast_to(grad_out, x.shape)"},
                     [](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{broadcast_to(g, in[0].shape())};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> sum(const Tensor<T>& x, int axis_arg, bool keepdim) {
    // Shapes as the arrays' own svectors and the sum written into the output node: a linear layer's bias gradient
    // (axis 0) takes this path at every step, where Shape vectors and a moved array cost more than the sum itself.
    const auto& s = x.value().shape();
    const std::size_t axis = normalize_axis(axis_arg, s.size(), "sum");
    typename Array<T>::shape_type shape(s);  // the keepdim form, or without the leading axis: both sum_to targets
    if (!keepdim && axis == 0) shape.erase(shape.begin());
    else shape[axis] = 1;
    auto out = make_node<T>(shape);
    sum_to_into(x.value(), out->value);
    if (!keepdim && axis > 0) {  // another axis: summed in keepdim form, then dropped
        shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(axis));
        out->value.reshape(shape);
    }
    return record<T>(std::move(out), {x}, {"sum_axis", "grad_in = expand(grad_out): broadcast back along the summed axis"},
                     [axis](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{expand_back(g, in[0].shape(), axis)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> mean(const Tensor<T>& x) {
    if (x.numel() == 0) throw ValueError("mean: empty tensor");
    return mul(sum(x), T(1) / static_cast<T>(x.numel()));
}

template <class T>
Tensor<T> mean(const Tensor<T>& x, int axis_arg, bool keepdim) {
    const std::size_t axis = normalize_axis(axis_arg, x.dim(), "mean");
    if (x.shape()[axis] == 0) throw ValueError("mean: reducing an axis of size 0");
    return mul(sum(x, axis_arg, keepdim), T(1) / static_cast<T>(x.shape()[axis]));
}

template <class T>
Tensor<T> max(const Tensor<T>& x) {
    return extremum_all(x, true);
}
template <class T>
Tensor<T> min(const Tensor<T>& x) {
    return extremum_all(x, false);
}
template <class T>
Tensor<T> max(const Tensor<T>& x, int axis, bool keepdim) {
    return extremum_axis(x, axis, keepdim, true);
}
template <class T>
Tensor<T> min(const Tensor<T>& x, int axis, bool keepdim) {
    return extremum_axis(x, axis, keepdim, false);
}

#define DG_INSTANTIATE(T)                                                                              \
    template Tensor<T> sum(const Tensor<T>&);                                                          \
    template Tensor<T> sum(const Tensor<T>&, int, bool);                                               \
    template Tensor<T> mean(const Tensor<T>&);                                                         \
    template Tensor<T> mean(const Tensor<T>&, int, bool);                                              \
    template Tensor<T> max(const Tensor<T>&);                                                          \
    template Tensor<T> max(const Tensor<T>&, int, bool);                                               \
    template Tensor<T> min(const Tensor<T>&);                                                          \
    template Tensor<T> min(const Tensor<T>&, int, bool);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
