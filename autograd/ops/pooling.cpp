// 2-d pooling on NCHW (max: the gradient goes to each window's arg-max; average: spread evenly over the window), the
// ops their backward passes are made of, and flatten, the reshape from the convolutional to the dense part.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "autograd/kernels/parallel.hpp"
#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;

namespace {

/// The sizes of one pooling, checked: input [n, c, h, w], windows kh × kw moved by (sh, sw), padding (ph, pw),
/// output [n, c, oh, ow].
struct Pool {
    std::size_t n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow;

    std::size_t planes() const { return n * c; }
    Shape input() const { return {n, c, h, w}; }
    Shape output() const { return {n, c, oh, ow}; }

    /// The rows [y0, y1) of window row oy that lie inside the input (the rest is padding); likewise cols().
    void rows(std::size_t oy, std::size_t& y0, std::size_t& y1) const { clip(oy * sh, ph, kh, h, y0, y1); }
    void cols(std::size_t ox, std::size_t& x0, std::size_t& x1) const { clip(ox * sw, pw, kw, w, x0, x1); }

private:
    static void clip(std::size_t start, std::size_t pad, std::size_t k, std::size_t in, std::size_t& a,
                     std::size_t& b) {
        a = start < pad ? 0 : start - pad;                     // start − pad, in padded coordinates shifted back
        b = std::min(in, start + k < pad ? 0 : start + k - pad);
    }
};

Pool pool_geometry(const char* op, const Shape& x, Size2 kernel, Size2 stride, Size2 padding) {
    const std::string who(op);
    if (stride.h == 0) stride.h = kernel.h;  // PyTorch's default: windows side by side
    if (stride.w == 0) stride.w = kernel.w;
    if (kernel.h == 0 || kernel.w == 0)
        throw ValueError(who + ": kernel must be at least 1 x 1, got " + std::to_string(kernel.h) + " x " +
                         std::to_string(kernel.w));
    if (2 * padding.h > kernel.h || 2 * padding.w > kernel.w)
        throw ValueError(who + ": padding (" + std::to_string(padding.h) + ", " + std::to_string(padding.w) +
                         ") must be at most half the kernel (" + std::to_string(kernel.h) + ", " +
                         std::to_string(kernel.w) + ")");
    if (x.size() != 4)
        throw ShapeError(who + ": expected input [N, C, H, W], got " + shape_str(x));
    Pool p{x[0], x[1], x[2], x[3], kernel.h, kernel.w, stride.h, stride.w, padding.h, padding.w, 0, 0};
    if (p.h + 2 * p.ph < p.kh || p.w + 2 * p.pw < p.kw)
        throw ShapeError(who + ": input " + shape_str(x) + " with padding (" + std::to_string(p.ph) + ", " +
                         std::to_string(p.pw) + ") is smaller than the kernel (" + std::to_string(p.kh) + ", " +
                         std::to_string(p.kw) + ")");
    p.oh = (p.h + 2 * p.ph - p.kh) / p.sh + 1;
    p.ow = (p.w + 2 * p.pw - p.kw) / p.sw + 1;
    return p;
}

/// Calls f(first, last) on ranges of planes covering [0, planes): split over deltagrad's threads when the input has at
/// least parallel::split_elements elements, else one call on this thread.
template <class F>
void over_planes(const Pool& p, F f) {
    const std::size_t planes = p.planes(), threads = static_cast<std::size_t>(num_threads());
    const std::size_t parts = planes * p.h * p.w < parallel::split_elements ? 1 : std::min(threads, planes);
    if (parts <= 1) return f(std::size_t(0), planes);
    parallel::run(parts, [&](std::size_t part) { f(planes * part / parts, planes * (part + 1) / parts); });
}

/// Calls f(q, y0, y1, x0, x1) for each output position q of a plane (row-major), with the rows [y0, y1) and columns
/// [x0, x1) of its window that lie inside the input.
template <class F>
void for_each_window(const Pool& p, F f) {
    for (std::size_t oy = 0; oy < p.oh; ++oy) {
        std::size_t y0, y1;
        p.rows(oy, y0, y1);
        for (std::size_t ox = 0; ox < p.ow; ++ox) {
            std::size_t x0, x1;
            p.cols(ox, x0, x1);
            f(oy * p.ow + ox, y0, y1, x0, x1);
        }
    }
}

/// Where each output of a max pooling took its value from: the flat index within its input plane.
using ArgMax = std::shared_ptr<const std::vector<std::uint32_t>>;

template <class T>
Tensor<T> max_pool_gather(const Tensor<T>& g, const Pool& p, const ArgMax& arg);

/// zeros(input) with g[q] added at the arg-max of window q: max pooling's backward (linear in g).
template <class T>
Tensor<T> max_pool_scatter(const Tensor<T>& g, const Pool& p, const ArgMax& arg) {
    auto out = make_node<T>(p.input());
    const std::size_t in_plane = p.h * p.w, out_plane = p.oh * p.ow;
    const T* gv = g.value().data();
    T* o = out->value.data();
    over_planes(p, [&](std::size_t first, std::size_t last) {
        std::fill(o + first * in_plane, o + last * in_plane, T(0));
        for (std::size_t pl = first; pl < last; ++pl) {
            T* dst = o + pl * in_plane;
            const std::uint32_t* a = arg->data() + pl * out_plane;
            const T* src = gv + pl * out_plane;
            for (std::size_t q = 0; q < out_plane; ++q) dst[a[q]] += src[q];
        }
    });
    return record<T>(std::move(out), {g},
                     {"max_pool2d_backward", "grad_g = max_pool2d_gather(grad_out): grad_out read at each arg-max  (y = g added at the arg-max)"},
                     [p, arg](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{max_pool_gather(gr, p, arg)};
                     },
                     Saves::none());
}

/// y[q] = x[arg-max of window q]: max pooling at fixed positions, the adjoint of max_pool_scatter.
template <class T>
Tensor<T> max_pool_gather(const Tensor<T>& x, const Pool& p, const ArgMax& arg) {
    auto out = make_node<T>(p.output());
    const std::size_t in_plane = p.h * p.w, out_plane = p.oh * p.ow;
    const T* xv = x.value().data();
    T* o = out->value.data();
    over_planes(p, [&](std::size_t first, std::size_t last) {
        for (std::size_t pl = first; pl < last; ++pl) {
            const std::uint32_t* a = arg->data() + pl * out_plane;
            const T* src = xv + pl * in_plane;
            T* dst = o + pl * out_plane;
            for (std::size_t q = 0; q < out_plane; ++q) dst[q] = src[a[q]];
        }
    });
    return record<T>(std::move(out), {x},
                     {"max_pool2d_gather", "grad_x = max_pool2d_backward(grad_out)  (y = x at the saved arg-max)"},
                     [p, arg](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{max_pool_scatter(gr, p, arg)};
                     },
                     Saves::none());
}

/// The output columns [lo, hi) whose window column ox·s + off falls inside [0, in) (off = j − padding for tap j).
void valid_cols(long off, std::size_t in, std::size_t s, std::size_t out, std::size_t& lo, std::size_t& hi) {
    const long ls = static_cast<long>(s), last = static_cast<long>(in) - 1 - off;
    lo = std::min(static_cast<std::size_t>(off >= 0 ? 0 : (-off + ls - 1) / ls), out);
    hi = last < 0 ? lo : std::clamp(static_cast<std::size_t>(last / ls + 1), lo, out);
}

/// The arg-max of a window that has seen none of its input yet.
constexpr std::uint32_t none = UINT32_MAX;

/// One tap of a row of windows: outputs [lo, hi) read x[start + ox·s]. Branch-free, so that it vectorises: the
/// comparisons of random data mispredicted as branches, and pooling took as long as a convolution.
template <class T>
void max_pool_tap(const T* __restrict x, T* __restrict m, std::uint32_t* __restrict a, std::size_t lo, std::size_t hi,
                  std::size_t s, long start) {
    for (std::size_t ox = lo; ox < hi; ++ox) {
        const std::size_t at = static_cast<std::size_t>(start + static_cast<long>(ox * s));
        const T v = x[at];
        const bool take = (a[ox] == none) | (v > m[ox]) | (v != v);
        m[ox] = take ? v : m[ox];
        a[ox] = take ? static_cast<std::uint32_t>(at) : a[ox];
    }
}

/// The common 2×2 window with stride 2 and no padding: B outputs from input rows r0 and r1 (2B values each; the taps
/// in row-major order, as max_pool_tap; `at` is r0's offset in the plane, w the plane's width). A fixed count, so that
/// the compiler makes it one vector loop without a scalar remainder (whose branches mispredicted on random data).
template <std::size_t B, class T>
void max_pool_2x2(const T* __restrict r0, const T* __restrict r1, T* __restrict y, std::uint32_t* __restrict a,
                  std::uint32_t at, std::uint32_t w) {
    for (std::size_t ox = 0; ox < B; ++ox) {
        const T v0 = r0[2 * ox], v1 = r0[2 * ox + 1], v2 = r1[2 * ox], v3 = r1[2 * ox + 1];
        const std::uint32_t i0 = at + 2 * static_cast<std::uint32_t>(ox);
        T m = v0;
        std::uint32_t k = i0;
        bool t = (v1 > m) | (v1 != v1);
        m = t ? v1 : m;
        k = t ? i0 + 1 : k;
        t = (v2 > m) | (v2 != v2);
        m = t ? v2 : m;
        k = t ? i0 + w : k;
        t = (v3 > m) | (v3 != v3);
        m = t ? v3 : m;
        k = t ? i0 + w + 1 : k;
        y[ox] = m;
        a[ox] = k;
    }
}

/// One row of ow outputs of the 2×2 pooling: blocks of 8, the last one ending at the row's end (it recomputes a few
/// outputs of the one before); a row shorter than 8 one output at a time. (A copy of the rest into a block of 8 cost
/// four C library calls per row: LeNet-5's rows are 14 and 5 outputs.)
template <class T>
void max_pool_2x2_row(const T* r0, const T* r1, T* y, std::uint32_t* a, std::size_t ow, std::uint32_t at,
                      std::uint32_t w) {
    constexpr std::size_t B = 8;
    const auto in_row = [at](std::size_t ox) { return at + 2 * static_cast<std::uint32_t>(ox); };
    if (ow < B) {
        for (std::size_t ox = 0; ox < ow; ++ox)
            max_pool_2x2<1>(r0 + 2 * ox, r1 + 2 * ox, y + ox, a + ox, in_row(ox), w);
        return;
    }
    for (std::size_t start = 0; start < ow; start += B) {
        const std::size_t ox = std::min(start, ow - B);
        max_pool_2x2<B>(r0 + 2 * ox, r1 + 2 * ox, y + ox, a + ox, in_row(ox), w);
    }
}

/// Max pooling of one plane: y and the arg-max (the flat index within the plane) of each window. The window's taps
/// are visited in row-major order, each over a whole row of outputs (a loop the compiler vectorises); a tap replaces
/// the maximum when strictly greater (so the first of tied maxima wins), when it is NaN, or when it is the window's
/// first tap inside the input (padding is −∞: every window holds one, as padding <= kernel / 2).
template <class T>
void max_pool_plane(const Pool& p, const T* x, T* y, std::uint32_t* arg) {
    if (p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.ph == 0 && p.pw == 0) {
        const auto w = static_cast<std::uint32_t>(p.w);
        for (std::size_t oy = 0; oy < p.oh; ++oy) {
            const std::uint32_t at = static_cast<std::uint32_t>(2 * oy) * w;
            max_pool_2x2_row(x + at, x + at + w, y + oy * p.ow, arg + oy * p.ow, p.ow, at, w);
        }
        return;
    }
    for (std::size_t oy = 0; oy < p.oh; ++oy) {
        T* m = y + oy * p.ow;
        std::uint32_t* a = arg + oy * p.ow;
        std::fill(m, m + p.ow, -std::numeric_limits<T>::infinity());
        std::fill(a, a + p.ow, none);
        for (std::size_t i = 0; i < p.kh; ++i) {
            const long iy = static_cast<long>(oy * p.sh + i) - static_cast<long>(p.ph);
            if (iy < 0 || iy >= static_cast<long>(p.h)) continue;
            for (std::size_t j = 0; j < p.kw; ++j) {
                const long off = static_cast<long>(j) - static_cast<long>(p.pw);
                std::size_t lo, hi;
                valid_cols(off, p.w, p.sw, p.ow, lo, hi);
                max_pool_tap(x, m, a, lo, hi, p.sw, static_cast<long>(iy) * static_cast<long>(p.w) + off);
            }
        }
    }
}

}  // namespace

template <class T>
Tensor<T> max_pool2d(const Tensor<T>& x, Size2 kernel, Size2 stride, Size2 padding) {
    const Pool p = pool_geometry("max_pool2d", x.shape(), kernel, stride, padding);
    if (p.h * p.w > UINT32_MAX)  // the arg-max is kept as an index within the plane, in 32 bits
        throw ShapeError("max_pool2d: input planes of more than 2^32 elements are not supported, got " +
                         shape_str(x.shape()));
    auto out = make_node<T>(p.output());
    auto arg = std::make_shared<std::vector<std::uint32_t>>(p.planes() * p.oh * p.ow);
    const std::size_t in_plane = p.h * p.w, out_plane = p.oh * p.ow;
    const T* xv = x.value().data();
    T* o = out->value.data();
    over_planes(p, [&](std::size_t first, std::size_t last) {
        for (std::size_t pl = first; pl < last; ++pl)
            max_pool_plane(p, xv + pl * in_plane, o + pl * out_plane, arg->data() + pl * out_plane);
    });
    ArgMax saved = std::move(arg);
    return record<T>(std::move(out), {x},
                     {"max_pool2d", "grad_x = max_pool2d_backward(grad_out): each grad_out to its window's arg-max"},
                     [p, saved](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{max_pool_scatter(g, p, saved)};
                     },
                     Saves::none());
}

namespace {

/// y[q] = Σ x over window q / (kh·kw), padding counting as zeros.
template <class T>
void avg_pool_forward(const Pool& p, const T* x, T* y) {
    const T scale = T(1) / static_cast<T>(p.kh * p.kw);
    const std::size_t in_plane = p.h * p.w, out_plane = p.oh * p.ow;
    over_planes(p, [&](std::size_t first, std::size_t last) {
        for (std::size_t pl = first; pl < last; ++pl) {
            const T* src = x + pl * in_plane;
            T* dst = y + pl * out_plane;
            for_each_window(p, [&](std::size_t q, std::size_t y0, std::size_t y1, std::size_t x0, std::size_t x1) {
                T s = 0;
                for (std::size_t r = y0; r < y1; ++r)
                    for (std::size_t c = x0; c < x1; ++c) s += src[r * p.w + c];
                dst[q] = s * scale;
            });
        }
    });
}

/// x[window q] += g[q] / (kh·kw): avg_pool_forward's adjoint.
template <class T>
void avg_pool_spread(const Pool& p, const T* g, T* x) {
    const T scale = T(1) / static_cast<T>(p.kh * p.kw);
    const std::size_t in_plane = p.h * p.w, out_plane = p.oh * p.ow;
    over_planes(p, [&](std::size_t first, std::size_t last) {
        std::fill(x + first * in_plane, x + last * in_plane, T(0));
        for (std::size_t pl = first; pl < last; ++pl) {
            const T* src = g + pl * out_plane;
            T* dst = x + pl * in_plane;
            for_each_window(p, [&](std::size_t q, std::size_t y0, std::size_t y1, std::size_t x0, std::size_t x1) {
                const T v = src[q] * scale;
                for (std::size_t r = y0; r < y1; ++r)
                    for (std::size_t c = x0; c < x1; ++c) dst[r * p.w + c] += v;
            });
        }
    });
}

}  // namespace

template <class T>
Tensor<T> avg_pool2d(const Tensor<T>& x, Size2 kernel, Size2 stride, Size2 padding) {
    const Pool p = pool_geometry("avg_pool2d", x.shape(), kernel, stride, padding);
    auto out = make_node<T>(p.output());
    avg_pool_forward(p, x.value().data(), out->value.data());
    return record<T>(std::move(out), {x},
                     {"avg_pool2d", "grad_x = avg_pool2d_backward(grad_out): each grad_out / (kH kW) over its window"},
                     [kernel, stride, padding](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& g) {
                         return Grads<T>{avg_pool2d_backward(g, in[0].shape(), kernel, stride, padding)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> avg_pool2d_backward(const Tensor<T>& g, const Shape& input_shape, Size2 kernel, Size2 stride,
                              Size2 padding) {
    const Pool p = pool_geometry("avg_pool2d_backward", input_shape, kernel, stride, padding);
    if (g.shape() != p.output())
        throw ShapeError("avg_pool2d_backward: expected gradient " + shape_str(p.output()) + ", got " +
                         shape_str(g.shape()));
    auto out = make_node<T>(p.input());
    avg_pool_spread(p, g.value().data(), out->value.data());
    return record<T>(std::move(out), {g},
                     {"avg_pool2d_backward", "grad_g = avg_pool2d(grad_out)  (y = g / (kH kW) spread over each window)"},
                     [kernel, stride, padding](const Inputs<T>&, const Tensor<T>&, const Tensor<T>& gr) {
                         return Grads<T>{avg_pool2d(gr, kernel, stride, padding)};
                     },
                     Saves::none());
}

template <class T>
Tensor<T> flatten(const Tensor<T>& x, int start_dim, int end_dim) {
    const Shape s = x.shape();
    if (s.empty()) return reshape(x, Shape{1});  // a 0-d tensor flattens to one element, as in PyTorch
    const std::size_t a = detail::normalize_axis(start_dim, s.size(), "flatten");
    const std::size_t b = detail::normalize_axis(end_dim, s.size(), "flatten");
    if (a > b)
        throw ValueError("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                         std::to_string(end_dim) + " for shape " + shape_str(s));
    Shape out(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(a));
    std::size_t merged = 1;
    for (std::size_t i = a; i <= b; ++i) merged *= s[i];
    out.push_back(merged);
    out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(b) + 1, s.end());
    return reshape(x, out);
}

#define DG_INSTANTIATE(T)                                                                   \
    template Tensor<T> max_pool2d(const Tensor<T>&, Size2, Size2, Size2);                   \
    template Tensor<T> avg_pool2d(const Tensor<T>&, Size2, Size2, Size2);                   \
    template Tensor<T> avg_pool2d_backward(const Tensor<T>&, const Shape&, Size2, Size2, Size2); \
    template Tensor<T> flatten(const Tensor<T>&, int, int);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
