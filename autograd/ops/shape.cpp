// Shape ops: the same elements in another arrangement (transpose, permute) or another shape (reshape, unsqueeze,
// squeeze), and broadcast_to. Joining and taking parts are in join.cpp, indexing in index.cpp.
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
Tensor<T> permute(const Tensor<T>& x, const std::vector<int>& dims) {
    const std::size_t n = x.dim();
    std::vector<std::size_t> perm;
    for (int d : dims) perm.push_back(normalize_axis(d, n, "permute"));
    std::vector<int> inverse(n, -1);  // inverse[perm[i]] = i; -1 until axis perm[i] is seen
    bool valid = perm.size() == n;
    for (std::size_t i = 0; valid && i < n; ++i) {
        valid = inverse[perm[i]] < 0;
        inverse[perm[i]] = static_cast<int>(i);
    }
    if (!valid) {
        std::string listed;
        for (int d : dims) listed += (listed.empty() ? "" : ", ") + std::to_string(d);
        throw ValueError("permute: dims [" + listed + "] are not a permutation of the " + std::to_string(n) +
                         " axes of shape " + shape_str(x.shape()));
    }
    return record<T>(Array<T>(xt::transpose(x.value(), perm)), {x},
                     {"permute", "grad_in = permute(grad_out, the inverse permutation)"},
                     [inverse](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{permute(g, inverse)};
                     },
                     Saves::none());
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

// unsqueeze and squeeze only change the shape: they are reshapes (and record reshape's rule).
template <class T>
Tensor<T> unsqueeze(const Tensor<T>& x, int axis) {
    Shape s = x.shape();
    s.insert(s.begin() + static_cast<std::ptrdiff_t>(detail::normalize_new_axis(axis, s.size(), "unsqueeze")), 1);
    return reshape(x, s);
}

template <class T>
Tensor<T> squeeze(const Tensor<T>& x) {
    Shape s = x.shape();
    s.erase(std::remove(s.begin(), s.end(), std::size_t(1)), s.end());
    return reshape(x, s);
}

template <class T>
Tensor<T> squeeze(const Tensor<T>& x, int axis_arg) {
    Shape s = x.shape();
    const std::size_t axis = normalize_axis(axis_arg, s.size(), "squeeze");
    if (s[axis] != 1)
        throw ShapeError("squeeze: axis " + std::to_string(axis_arg) + " of shape " + shape_str(s) + " has extent " +
                         std::to_string(s[axis]) + ", expected 1");
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(axis));
    return reshape(x, s);
}

namespace {
bool broadcastable_to(const Shape& from, const Shape& to) {
    if (from.size() > to.size()) return false;
    const std::size_t off = to.size() - from.size();
    for (std::size_t i = 0; i < from.size(); ++i)
        if (from[i] != 1 && from[i] != to[i + off]) return false;
    return true;
}
}  // namespace

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

#define DG_INSTANTIATE(T)                                                     \
    template Tensor<T> transpose(const Tensor<T>&);                           \
    template Tensor<T> transpose(const Tensor<T>&, int, int);                 \
    template Tensor<T> permute(const Tensor<T>&, const std::vector<int>&);    \
    template Tensor<T> reshape(const Tensor<T>&, const Shape&);               \
    template Tensor<T> unsqueeze(const Tensor<T>&, int);                      \
    template Tensor<T> squeeze(const Tensor<T>&);                             \
    template Tensor<T> squeeze(const Tensor<T>&, int);                        \
    template Tensor<T> broadcast_to(const Tensor<T>&, const Shape&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
