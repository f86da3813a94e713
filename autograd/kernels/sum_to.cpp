// sum_to_into as one loop over the rows of the array.
#include "autograd/kernels/sum_to.hpp"

#include <algorithm>

#include "autograd/array/small_vector.hpp"

namespace dg {

template <class T>
T row_sum(const T* row, std::size_t len) {
    T s[8] = {};
    std::size_t j = 0;
    for (; j + 8 <= len; j += 8)
        for (std::size_t l = 0; l < 8; ++l) s[l] += row[j + l];
    for (; j < len; ++j) s[0] += row[j];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

template <class T>
void sum_to_into(const Array<T>& a, Array<T>& r) {
    const auto& from = a.shape();  // svectors: no allocation (this runs for every broadcast gradient)
    const auto& shape = r.shape();
    const std::size_t nd = from.size();
    bool fits = shape.size() <= nd;
    for (std::size_t i = 0; fits && i < shape.size(); ++i)
        fits = shape[i] == 1 || shape[i] == from[i + nd - shape.size()];
    if (!fits)
        throw ShapeError("sum_to: cannot reduce shape " + shape_str(shape_of(a)) + " to " + shape_str(shape_of(r)));
    std::fill_n(r.data(), r.size(), T(0));
    if (nd == 0) {
        r.data()[0] = a.data()[0];
        return;
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
    if (len == 0) return;
    SmallVector<std::size_t, 8> index(nd);
    std::size_t base = 0;  // where the current row of a lands in r
    T* out = r.data();
    for (const T *row = a.data(), *end = a.data() + a.size(); row != end; row += len) {
        if (stride[nd - 1]) {
            for (std::size_t j = 0; j < len; ++j) out[base + j] += row[j];
        } else {
            out[base] += row_sum(row, len);
        }
        for (std::size_t i = nd - 1; i-- > 0;) {  // next row: advance the index over the other axes
            base += stride[i];
            if (++index[i] < from[i]) break;
            base -= stride[i] * from[i];
            index[i] = 0;
        }
    }
}

template void sum_to_into(const Array<float>&, Array<float>&);
template void sum_to_into(const Array<double>&, Array<double>&);
template float row_sum(const float*, std::size_t);
template double row_sum(const double*, std::size_t);

}  // namespace dg
