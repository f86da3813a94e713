// Broadcast shapes and sum_to, the single place where broadcast gradients are reduced.
#include "autograd/broadcast.hpp"

#include "autograd/kernels/sum_to.hpp"
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

template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    return record<T>(sum_to_array(x.value(), shape), {x}, {"sum_to", "grad_in = broadcast_to(grad_out, x.shape)"},
                     [](const TensorList<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return TensorList<T>{broadcast_to(g, in[0].shape())};
                     },
                     Saves::none());
}

template Tensor<float> sum_to(const Tensor<float>&, const Shape&);
template Tensor<double> sum_to(const Tensor<double>&, const Shape&);

}  // namespace dg
