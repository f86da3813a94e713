// pad, dilate, rotate by 180° and correlate one plane, as plain index loops (see conv_planes.hpp).
#include "nn/reference/conv_planes.hpp"

#include <string>

#include "autograd/array/errors.hpp"

namespace dg::reference {

template <class T>
Array<T> pad_plane(const Array<T>& a, std::size_t top, std::size_t bottom, std::size_t left, std::size_t right) {
    const std::size_t rows = a.shape()[0], cols = a.shape()[1];
    Array<T> out = xt::zeros<T>({rows + top + bottom, cols + left + right});
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) out(top + i, left + j) = a(i, j);
    return out;
}

template <class T>
Array<T> dilate_plane(const Array<T>& a, std::size_t s_rows, std::size_t s_cols) {
    const std::size_t rows = a.shape()[0], cols = a.shape()[1];
    Array<T> out = xt::zeros<T>({(rows - 1) * s_rows + 1, (cols - 1) * s_cols + 1});
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) out(i * s_rows, j * s_cols) = a(i, j);
    return out;
}

template <class T>
Array<T> rotate180(const Array<T>& k) {
    const std::size_t rows = k.shape()[0], cols = k.shape()[1];
    Array<T> out = Array<T>::from_shape({rows, cols});
    for (std::size_t u = 0; u < rows; ++u)
        for (std::size_t v = 0; v < cols; ++v) out(u, v) = k(rows - 1 - u, cols - 1 - v);
    return out;
}

template <class T>
Array<T> correlate(const Array<T>& a, const Array<T>& k, std::size_t s_rows, std::size_t s_cols) {
    const std::size_t rows = a.shape()[0], cols = a.shape()[1], kr = k.shape()[0], kc = k.shape()[1];
    if (rows < kr || cols < kc || s_rows == 0 || s_cols == 0)
        throw ShapeError("correlate: plane " + shape_str(shape_of(a)) + " is smaller than kernel " +
                         shape_str(shape_of(k)) + " (or a stride is 0)");
    const std::size_t out_r = (rows - kr) / s_rows + 1, out_c = (cols - kc) / s_cols + 1;
    Array<T> out = xt::zeros<T>({out_r, out_c});
    for (std::size_t i = 0; i < out_r; ++i)
        for (std::size_t j = 0; j < out_c; ++j) {
            T s = 0;
            for (std::size_t u = 0; u < kr; ++u)
                for (std::size_t v = 0; v < kc; ++v) s += a(i * s_rows + u, j * s_cols + v) * k(u, v);
            out(i, j) = s;
        }
    return out;
}

template <class T>
Array<T> plane(const Array<T>& x, std::size_t n, std::size_t c) {
    const std::size_t h = x.shape()[2], w = x.shape()[3];
    Array<T> out = Array<T>::from_shape({h, w});
    const T* src = x.data() + (n * x.shape()[1] + c) * h * w;
    std::copy(src, src + h * w, out.data());
    return out;
}

template <class T>
void add_to_plane(Array<T>& x, std::size_t n, std::size_t c, const Array<T>& p) {
    const std::size_t h = x.shape()[2], w = x.shape()[3];
    T* dst = x.data() + (n * x.shape()[1] + c) * h * w;
    for (std::size_t i = 0; i < h * w; ++i) dst[i] += p.data()[i];
}

#define DG_INSTANTIATE(T)                                                                                   \
    template Array<T> pad_plane<T>(const Array<T>&, std::size_t, std::size_t, std::size_t, std::size_t);      \
    template Array<T> dilate_plane<T>(const Array<T>&, std::size_t, std::size_t);                             \
    template Array<T> rotate180<T>(const Array<T>&);                                                          \
    template Array<T> correlate<T>(const Array<T>&, const Array<T>&, std::size_t, std::size_t);               \
    template Array<T> plane<T>(const Array<T>&, std::size_t, std::size_t);                                    \
    template void add_to_plane<T>(Array<T>&, std::size_t, std::size_t, const Array<T>&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::reference
