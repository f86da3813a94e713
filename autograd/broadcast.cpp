// Broadcast shapes and sum_to, the single place where broadcast gradients are reduced.
#include "autograd/broadcast.hpp"

#include "autograd/ops.hpp"

namespace dg {

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const std::size_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                             " do not broadcast (dimension " + std::to_string(i) + ": " + std::to_string(da) +
                             " vs " + std::to_string(db) + ")");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

bool broadcastable_to(const Shape& from, const Shape& to) {
    if (from.size() > to.size()) return false;
    const std::size_t off = to.size() - from.size();
    for (std::size_t i = 0; i < from.size(); ++i)
        if (from[i] != 1 && from[i] != to[i + off]) return false;
    return true;
}

template <class T>
Array<T> sum_to_array(const Array<T>& a, const Shape& shape) {
    const auto& from = a.shape();  // an svector: no allocation (this runs for every broadcast gradient)
    const std::size_t nd = from.size();
    bool fits = shape.size() <= nd;
    for (std::size_t i = 0; fits && i < shape.size(); ++i)
        fits = shape[i] == 1 || shape[i] == from[i + nd - shape.size()];
    if (!fits) throw ShapeError("sum_to: cannot reduce shape " + shape_str(shape_of(a)) + " to " + shape_str(shape));
    Array<T> r = Array<T>::from_shape(shape);
    r.fill(T(0));
    if (nd == 0) {
        r.data()[0] = a.data()[0];
        return r;
    }
    // A loop over a's rows (its last axis), each added into its row of r, element by element where r keeps the
    // axis, as one sum where it is reduced. (xtensor's reducer allocated twice, the second time through
    // posix_memalign: 8 % of a batch-1 training step in the bias gradient alone.)
    const std::size_t off = nd - shape.size(), len = from[nd - 1];
    SmallVector<std::size_t, 8> stride(nd);  // r's stride along each axis of a, 0 where summed
    for (std::size_t i = nd, s = 1; i-- > off;)
        if (shape[i - off] == from[i]) {
            stride[i] = s;
            s *= from[i];
        }
    if (len == 0) return r;
    SmallVector<std::size_t, 8> index(nd);
    std::size_t base = 0;  // where the current row of a lands in r
    T* out = r.data();
    for (const T *row = a.data(), *end = a.data() + a.size(); row != end; row += len) {
        if (stride[nd - 1]) {
            for (std::size_t j = 0; j < len; ++j) out[base + j] += row[j];
        } else {
            T s = 0;
            for (std::size_t j = 0; j < len; ++j) s += row[j];
            out[base] += s;
        }
        for (std::size_t i = nd - 1; i-- > 0;) {  // next row: advance the index over the other axes
            base += stride[i];
            if (++index[i] < from[i]) break;
            base -= stride[i] * from[i];
            index[i] = 0;
        }
    }
    return r;
}

template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    return record<T>(sum_to_array(x.value(), shape), {x}, {"sum_to", "grad_in = broadcast_to(grad_out, x.shape)"},
                     [](const TensorList<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return TensorList<T>{broadcast_to(g, in[0].shape())};
                     },
                     Saves::none());
}

template Array<float> sum_to_array(const Array<float>&, const Shape&);
template Array<double> sum_to_array(const Array<double>&, const Shape&);
template Tensor<float> sum_to(const Tensor<float>&, const Shape&);
template Tensor<double> sum_to(const Tensor<double>&, const Shape&);

}  // namespace dg
