// 2-d convolution on NCHW by im2col + GEMM, and its two gradients as ops of their own: conv2d_input_grad (col2im of
// Wᵀ·g, the transposed convolution) and conv2d_weight_grad (g·im2colᵀ). Each of the three is the others' backward, so
// gradients of gradients work. im2col and col2im are raw pointer loops over padded planes; with stride 1 they copy
// whole runs (the wide grid, Geometry::wide); a few images share one GEMM (chunk_images).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "autograd/kernels/parallel.hpp"
#include "autograd/ops/op_util.hpp"

namespace dg {

using detail::Grads;
using detail::Inputs;

namespace {

/// The sizes of one convolution, checked: input [n, c, h, w], weight [o, c/groups, kh, kw], output [n, o, oh, ow].
struct Geometry {
    std::size_t n, c, h, w;
    std::size_t o, kh, kw;
    std::size_t oh, ow;
    std::size_t sh, sw, ph, pw, dh, dw, groups;

    std::size_t cg() const { return c / groups; }        ///< input channels per group
    std::size_t og() const { return o / groups; }        ///< output channels per group
    std::size_t k() const { return cg() * kh * kw; }     ///< rows of a group's column matrix (one per tap)
    std::size_t p() const { return oh * ow; }            ///< output positions per image
    std::size_t hp() const { return h + 2 * ph; }        ///< padded height
    std::size_t wp() const { return w + 2 * pw; }        ///< padded width
    std::size_t macs() const { return n * o * p() * k(); }  ///< multiply-adds of the forward GEMMs
    /// With stride 1 the GEMMs run on the wide grid: oh rows of wp columns, the last wp − ow of each row unused. A
    /// tap's column-matrix row is then one contiguous run of the padded plane (see im2col).
    bool wide() const { return sh == 1 && sw == 1; }
    std::size_t pitch() const { return wide() ? wp() : ow; }  ///< columns of a row of the GEMMs' grid
    std::size_t q() const { return oh * pitch(); }            ///< the GEMMs' columns per image
    /// How far past the last padded plane the wide grid reaches: (kw − 1)·dw.
    std::size_t slack() const { return (kw - 1) * dw; }
    std::size_t padded_size(std::size_t nb) const { return nb * cg() * hp() * wp() + slack(); }
    Shape input() const { return {n, c, h, w}; }
    Shape weight() const { return {o, cg(), kh, kw}; }
    Shape output() const { return {n, o, oh, ow}; }
};

std::string options_str(const Conv2dOptions& o) {
    auto pair = [](Size2 s) { return "(" + std::to_string(s.h) + ", " + std::to_string(s.w) + ")"; };
    return "stride " + pair(o.stride) + ", padding " + pair(o.padding) + ", dilation " + pair(o.dilation) +
           ", groups " + std::to_string(o.groups);
}

/// The output extent along one axis, or 0 when the dilated kernel does not fit the padded input.
std::size_t out_extent(std::size_t in, std::size_t k, std::size_t s, std::size_t p, std::size_t d) {
    const std::size_t span = d * (k - 1) + 1, padded = in + 2 * p;
    return padded < span ? 0 : (padded - span) / s + 1;
}

/// Checks an input shape and a weight shape against the options; `op` names the public op in the messages.
Geometry geometry(const char* op, const Shape& x, const Shape& w, const Conv2dOptions& opt) {
    const std::string who(op);
    if (opt.stride.h == 0 || opt.stride.w == 0 || opt.dilation.h == 0 || opt.dilation.w == 0 || opt.groups == 0)
        throw ValueError(who + ": stride, dilation and groups must be at least 1, got " + options_str(opt));
    if (w.size() != 4 || w[0] == 0 || w[1] == 0 || w[2] == 0 || w[3] == 0)
        throw ShapeError(who + ": expected weight [C_out, C_in/groups, kH, kW] with every extent >= 1, got " +
                         shape_str(w));
    if (w[0] % opt.groups != 0)
        throw ShapeError(who + ": weight " + shape_str(w) + " has C_out = " + std::to_string(w[0]) +
                         ", which groups = " + std::to_string(opt.groups) + " does not divide");
    const std::size_t c = w[1] * opt.groups;
    if (x.size() != 4 || x[1] != c)
        throw ShapeError(who + ": expected input [N, C, H, W] with C = " + std::to_string(c) + " (weight " +
                         shape_str(w) + ", groups " + std::to_string(opt.groups) + "), got " + shape_str(x));
    Geometry g{x[0], x[1], x[2], x[3], w[0], w[2], w[3], 0, 0, opt.stride.h, opt.stride.w, opt.padding.h,
               opt.padding.w, opt.dilation.h, opt.dilation.w, opt.groups};
    g.oh = out_extent(g.h, g.kh, g.sh, g.ph, g.dh);
    g.ow = out_extent(g.w, g.kw, g.sw, g.pw, g.dw);
    if (g.oh == 0 || g.ow == 0)
        throw ShapeError(who + ": input " + shape_str(x) + " with " + options_str(opt) +
                         " is smaller than the dilated kernel (" + std::to_string(g.dh * (g.kh - 1) + 1) + " x " +
                         std::to_string(g.dw * (g.kw - 1) + 1) + ")");
    return g;
}

/// Checks that a gradient has the convolution's output shape.
void check_output(const char* op, const char* what, const Shape& got, const Geometry& g) {
    if (got != g.output())
        throw ShapeError(std::string(op) + ": expected " + what + " " + shape_str(g.output()) + ", got " +
                         shape_str(got));
}

/// The input planes of group `gr` of images [n0, n0 + nb) with their padding written out as zeros: padded
/// [nb, cg, hp, wp], then slack() zeros. im2col and col2im then read and write every tap without a bounds check or a
/// zero fill (on short rows those cost more than the copies).
template <class T>
void pad_planes(const T* in, const Geometry& g, std::size_t n0, std::size_t nb, std::size_t gr, T* padded) {
    const std::size_t hp = g.hp(), wp = g.wp();
    for (std::size_t b = 0; b < nb; ++b)
        for (std::size_t c = 0; c < g.cg(); ++c) {
            const T* src = in + ((n0 + b) * g.c + gr * g.cg() + c) * g.h * g.w;
            T* dst = padded + (b * g.cg() + c) * hp * wp;
            std::fill(dst, dst + g.ph * wp, T(0));
            for (std::size_t y = 0; y < g.h; ++y) {
                T* d = dst + (g.ph + y) * wp;
                for (std::size_t x = 0; x < g.pw; ++x) d[x] = T(0);
                for (std::size_t x = 0; x < g.w; ++x) d[g.pw + x] = src[y * g.w + x];
                for (std::size_t x = g.pw + g.w; x < wp; ++x) d[x] = T(0);
            }
            std::fill(dst + (g.ph + g.h) * wp, dst + hp * wp, T(0));
        }
    std::fill(padded + nb * g.cg() * hp * wp, padded + nb * g.cg() * hp * wp + g.slack(), T(0));
}

/// im2col from padded planes: col [k, nb·q], col[(c·kh + i)·kw + j, b·q + y·pitch + x] = padded[b, c, y·sh + i·dh,
/// x·sw + j·dw]. On the wide grid (stride 1) that is, for each tap, the run of q values of the flattened plane from
/// (i·dh, j·dw): one copy instead of oh short ones; the columns x >= ow read the next row's start and are not used.
template <class T>
void im2col(const T* padded, const Geometry& g, std::size_t nb, T* col) {
    const std::size_t q = g.q(), ld = nb * q, wp = g.wp(), plane = g.hp() * wp;
    for (std::size_t c = 0; c < g.cg(); ++c)
        for (std::size_t i = 0; i < g.kh; ++i)
            for (std::size_t j = 0; j < g.kw; ++j) {
                T* row = col + ((c * g.kh + i) * g.kw + j) * ld;
                for (std::size_t b = 0; b < nb; ++b) {
                    const T* src = padded + (b * g.cg() + c) * plane + i * g.dh * wp + j * g.dw;
                    T* dst = row + b * q;
                    if (g.wide()) {  // memcpy: the C library's copy uses the CPU's widest vectors, this file the build's
                        std::memcpy(dst, src, q * sizeof(T));
                        continue;
                    }
                    for (std::size_t y = 0; y < g.oh; ++y)
                        for (std::size_t x = 0; x < g.ow; ++x) dst[y * g.ow + x] = src[y * g.sh * wp + x * g.sw];
                }
            }
}

/// Zeros the unused columns (x >= ow) of a wide column matrix, which otherwise hold input values.
template <class T>
void zero_unused_columns(const Geometry& g, std::size_t nb, T* col) {
    const std::size_t pitch = g.pitch();
    for (std::size_t r = 0; r < g.k() * nb * g.oh; ++r)
        for (std::size_t x = g.ow; x < pitch; ++x) col[r * pitch + x] = T(0);
}

/// col2im, im2col's adjoint: adds each col entry into the padded plane position it was read from (padded is zeroed
/// first; on the wide grid the unused columns, zero, are added too). unpad_planes then takes the inside.
template <class T>
void col2im(const T* col, const Geometry& g, std::size_t nb, T* padded) {
    const std::size_t q = g.q(), ld = nb * q, wp = g.wp(), plane = g.hp() * wp;
    std::fill(padded, padded + nb * g.cg() * plane + g.slack(), T(0));
    for (std::size_t c = 0; c < g.cg(); ++c)
        for (std::size_t i = 0; i < g.kh; ++i)
            for (std::size_t j = 0; j < g.kw; ++j) {
                const T* row = col + ((c * g.kh + i) * g.kw + j) * ld;
                for (std::size_t b = 0; b < nb; ++b) {
                    T* dst = padded + (b * g.cg() + c) * plane + i * g.dh * wp + j * g.dw;
                    const T* src = row + b * q;
                    if (g.wide()) {
                        for (std::size_t t = 0; t < q; ++t) dst[t] += src[t];
                        continue;
                    }
                    for (std::size_t y = 0; y < g.oh; ++y)
                        for (std::size_t x = 0; x < g.ow; ++x) dst[y * g.sh * wp + x * g.sw] += src[y * g.ow + x];
                }
            }
}

/// The inside of padded planes (without their padding) written into the input gradient's planes of group `gr`.
template <class T>
void unpad_planes(const T* padded, const Geometry& g, std::size_t n0, std::size_t nb, std::size_t gr, T* in) {
    const std::size_t hp = g.hp(), wp = g.wp();
    for (std::size_t b = 0; b < nb; ++b)
        for (std::size_t c = 0; c < g.cg(); ++c) {
            const T* src = padded + (b * g.cg() + c) * hp * wp + g.ph * wp + g.pw;
            T* dst = in + ((n0 + b) * g.c + gr * g.cg() + c) * g.h * g.w;
            for (std::size_t y = 0; y < g.h; ++y)
                for (std::size_t x = 0; x < g.w; ++x) dst[y * g.w + x] = src[y * wp + x];
        }
}

/// Images per GEMM: as many as keep a group's column matrix within `col_bytes` (it then stays in the L2 cache between
/// im2col and the GEMM that reads it), at least one. Folding images into one GEMM makes it wider (fewer, longer calls)
/// at the cost of a copy between the GEMM's [og, nb·q] layout and NCHW's [nb, og, p].
constexpr std::size_t col_bytes = std::size_t(384) << 10;

template <class T>
std::size_t chunk_images(const Geometry& g) {
    return std::clamp<std::size_t>(col_bytes / (g.k() * g.q() * sizeof(T)), 1, std::max<std::size_t>(g.n, 1));
}

/// Per-thread scratch (the padded planes, the column matrix and the GEMM's [og, nb·q] block), grown as needed and
/// kept: a training step asks for the same sizes every time.
template <class T>
struct Scratch {
    std::vector<T> padded, col, block;
    static Scratch& mine() {
        thread_local Scratch s;
        return s;
    }
    static T* of(std::vector<T>& v, std::size_t n) {
        if (v.size() < n) v.resize(n);
        return v.data();
    }
};

/// Convolutions of at least this many multiply-adds split their images over deltagrad's threads; smaller ones run on
/// the calling thread (a part must outweigh the hand-over, a few microseconds).
constexpr std::size_t split_macs = std::size_t(1) << 21;

/// How many parts the images of a convolution are split into: one per thread when it is large enough, else 1.
std::size_t image_parts(const Geometry& g) {
    return g.macs() < split_macs ? 1 : std::max<std::size_t>(1, std::min<std::size_t>(num_threads(), g.n));
}

/// Calls f(part, n0, n1) for `parts` consecutive ranges of images covering [0, n), on deltagrad's threads when there
/// are several. OpenBLAS stays on one thread meanwhile (blas::OneBlasThread), so that the parts' GEMMs do not set its
/// process-wide thread count under each other.
template <class F>
void over_images(const Geometry& g, std::size_t parts, F f) {
    if (parts <= 1) return f(std::size_t(0), std::size_t(0), g.n);
    blas::OneBlasThread one_blas_thread;
    parallel::run(parts, [&](std::size_t part) { f(part, g.n * part / parts, g.n * (part + 1) / parts); });
}

/// Calls f(n0, nb, gr, col) for each chunk of images [n0, n0 + nb) in [lo, hi) and each group gr, with `col` the
/// chunk's column matrix of that group (im2col of x) when x is given, else scratch room for one.
template <class T, class F>
void over_chunks(const Geometry& g, const T* x, std::size_t lo, std::size_t hi, Scratch<T>& s, F f) {
    const std::size_t chunk = chunk_images<T>(g);
    for (std::size_t n0 = lo; n0 < hi; n0 += chunk) {
        const std::size_t nb = std::min(chunk, hi - n0);
        T* col = Scratch<T>::of(s.col, g.k() * nb * g.q());
        for (std::size_t gr = 0; gr < g.groups; ++gr) {
            if (x) {
                T* padded = Scratch<T>::of(s.padded, g.padded_size(nb));
                pad_planes(x, g, n0, nb, gr, padded);
                im2col(padded, g, nb, col);
            }
            f(n0, nb, gr, col);
        }
    }
}

/// out = conv(x, w) + b, out [n, o, oh, ow] (b may be null).
template <class T>
void conv_forward(const Geometry& g, const T* x, const T* w, const T* b, T* out) {
    const std::size_t p = g.p(), q = g.q(), og = g.og(), k = g.k(), pitch = g.pitch();
    over_images(g, image_parts(g), [&](std::size_t, std::size_t lo, std::size_t hi) {
        Scratch<T>& s = Scratch<T>::mine();
        over_chunks(g, x, lo, hi, s, [&](std::size_t n0, std::size_t nb, std::size_t gr, const T* col) {
            // The GEMM's [og, nb·q] block, then row by row into NCHW, the bias added and the wide grid's unused
            // columns left out.
            T* block = Scratch<T>::of(s.block, og * nb * q);
            blas::gemm(false, false, og, nb * q, k, T(1), w + gr * og * k, k, col, nb * q, T(0), block, nb * q);
            for (std::size_t bi = 0; bi < nb; ++bi)
                for (std::size_t oc = 0; oc < og; ++oc) {
                    T* to = out + ((n0 + bi) * g.o + gr * og + oc) * p;
                    const T* from = block + oc * nb * q + bi * q;
                    const T bias = b ? b[gr * og + oc] : T(0);
                    for (std::size_t y = 0; y < g.oh; ++y)
                        for (std::size_t xx = 0; xx < g.ow; ++xx) to[y * g.ow + xx] = from[y * pitch + xx] + bias;
                }
        });
    });
}

/// g's rows of group `gr` for images [n0, n0 + nb) as one [og, nb·q] matrix on the GEMMs' grid (zeros in the wide
/// grid's unused columns), in the scratch block.
template <class T>
const T* group_rows(const Geometry& g, const T* grad, std::size_t n0, std::size_t nb, std::size_t gr, Scratch<T>& s) {
    const std::size_t p = g.p(), q = g.q(), og = g.og(), pitch = g.pitch();
    T* block = Scratch<T>::of(s.block, og * nb * q);
    for (std::size_t bi = 0; bi < nb; ++bi)
        for (std::size_t oc = 0; oc < og; ++oc) {
            const T* from = grad + ((n0 + bi) * g.o + gr * og + oc) * p;
            T* to = block + oc * nb * q + bi * q;
            for (std::size_t y = 0; y < g.oh; ++y) {
                for (std::size_t xx = 0; xx < g.ow; ++xx) to[y * pitch + xx] = from[y * g.ow + xx];
                for (std::size_t xx = g.ow; xx < pitch; ++xx) to[y * pitch + xx] = T(0);
            }
        }
    return block;
}

/// True when every value is finite.
template <class T>
bool all_finite(const T* v, std::size_t n) {
    bool ok = true;
    for (std::size_t i = 0; i < n; ++i) ok &= std::isfinite(v[i]);
    return ok;
}

/// gx = col2im(Wᵀ·grad), gx [n, c, h, w].
template <class T>
void conv_input_grad(const Geometry& g, const T* grad, const T* w, T* gx) {
    const std::size_t q = g.q(), og = g.og(), k = g.k();
    // On the wide grid, Wᵀ·grad is 0 in the unused columns (grad is), and col2im adds them to input positions; with a
    // weight of ±∞ or NaN they would be NaN, so then they are zeroed.
    const bool zero_unused = g.wide() && g.pitch() > g.ow && !all_finite(w, g.o * g.k());
    over_images(g, image_parts(g), [&](std::size_t, std::size_t lo, std::size_t hi) {
        Scratch<T>& s = Scratch<T>::mine();
        over_chunks(g, static_cast<const T*>(nullptr), lo, hi, s,
                    [&](std::size_t n0, std::size_t nb, std::size_t gr, T* col) {
                        const T* rows = group_rows(g, grad, n0, nb, gr, s);
                        blas::gemm(true, false, k, nb * q, og, T(1), w + gr * og * k, k, rows, nb * q, T(0), col,
                                   nb * q);
                        if (zero_unused) zero_unused_columns(g, nb, col);
                        T* padded = Scratch<T>::of(s.padded, g.padded_size(nb));
                        col2im(col, g, nb, padded);
                        unpad_planes(padded, g, n0, nb, gr, gx);
                    });
    });
}

/// gw = Σ_images grad·im2col(x)ᵀ, gw [o, c/groups, kh, kw]. With several parts each sums its images into its own
/// buffer, and the buffers are added in part order (the same thread count gives the same bits).
template <class T>
void conv_weight_grad(const Geometry& g, const T* x, const T* grad, T* gw) {
    const std::size_t q = g.q(), og = g.og(), k = g.k(), size = g.o * k;
    const std::size_t parts = image_parts(g);
    // On the wide grid grad is 0 in the unused columns, and col holds input values there: 0·x adds nothing, unless x is
    // ±∞ or NaN (0·∞ is NaN), so then those columns of col are zeroed too.
    const bool zero_unused = g.wide() && g.pitch() > g.ow && !all_finite(x, g.n * g.c * g.h * g.w);
    std::vector<T> partial((parts - 1) * size);
    over_images(g, parts, [&](std::size_t part, std::size_t lo, std::size_t hi) {
        Scratch<T>& s = Scratch<T>::mine();
        T* out = part == 0 ? gw : partial.data() + (part - 1) * size;
        std::fill(out, out + size, T(0));
        over_chunks(g, x, lo, hi, s, [&](std::size_t n0, std::size_t nb, std::size_t gr, T* col) {
            if (zero_unused) zero_unused_columns(g, nb, col);
            const T* rows = group_rows(g, grad, n0, nb, gr, s);
            blas::gemm(false, true, og, k, nb * q, T(1), rows, nb * q, col, nb * q, T(1), out + gr * og * k, k);
        });
    });
    for (std::size_t part = 1; part < parts; ++part)
        for (std::size_t i = 0; i < size; ++i) gw[i] += partial[(part - 1) * size + i];
}

}  // namespace

template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b, const Conv2dOptions& options) {
    const Geometry g = geometry("conv2d", x.shape(), w.shape(), options);
    if (b.defined() && b.shape() != Shape{g.o})
        throw ShapeError("conv2d: expected bias [" + std::to_string(g.o) + "] (one per output channel), got " +
                         shape_str(b.shape()));
    auto out = make_node<T>(g.output());
    conv_forward(g, x.value().data(), w.value().data(), b.defined() ? b.value().data() : nullptr,
                 out->value.data());
    Inputs<T> inputs{x, w};
    if (b.defined()) inputs.push_back(b);
    return record<T>(std::move(out), std::move(inputs),
                     {"conv2d", "grad_x = conv2d_input_grad(grad_out, w); grad_w = conv2d_weight_grad(x, grad_out); grad_b = sum_to(grad_out, [C_out, 1, 1])"},
                     [options](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         const Tensor<T>& xi = in[0];
                         const Tensor<T>& wi = in[1];
                         Grads<T> grads{xi.requires_grad() ? conv2d_input_grad(gr, wi, xi.shape(), options) : Tensor<T>(),
                                        wi.requires_grad() ? conv2d_weight_grad(xi, gr, wi.shape(), options) : Tensor<T>()};
                         if (in.size() == 3)
                             grads.push_back(in[2].requires_grad()
                                                 ? reshape(sum_to(gr, Shape{in[2].numel(), 1, 1}), in[2].shape())
                                                 : Tensor<T>());
                         return grads;
                     },
                     Saves{3u, false});  // x and w (the bias's gradient reads neither)
}

template <class T>
Tensor<T> conv2d(const Tensor<T>& x, const Tensor<T>& w, const Conv2dOptions& options) {
    return conv2d(x, w, Tensor<T>(), options);
}

template <class T>
Tensor<T> conv2d_input_grad(const Tensor<T>& g, const Tensor<T>& w, const Shape& input_shape,
                            const Conv2dOptions& options) {
    const Geometry geo = geometry("conv2d_input_grad", input_shape, w.shape(), options);
    check_output("conv2d_input_grad", "gradient", g.shape(), geo);
    auto out = make_node<T>(input_shape);
    conv_input_grad(geo, g.value().data(), w.value().data(), out->value.data());
    // y = col2im(Wᵀ·g) is linear in g and in w: ⟨G, y⟩ = ⟨conv2d(G, w), g⟩ = ⟨conv2d_weight_grad(G, g), w⟩.
    return record<T>(std::move(out), {g, w},
                     {"conv2d_input_grad",
                      "grad_g = conv2d(grad_out, w); grad_w = conv2d_weight_grad(grad_out, g)  (y = col2im(W^T g))"},
                     [options](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         const Tensor<T>& gi = in[0];
                         const Tensor<T>& wi = in[1];
                         return Grads<T>{gi.requires_grad() ? conv2d(gr, wi, options) : Tensor<T>(),
                                         wi.requires_grad() ? conv2d_weight_grad(gr, gi, wi.shape(), options)
                                                            : Tensor<T>()};
                     });
}

template <class T>
Tensor<T> conv2d_weight_grad(const Tensor<T>& x, const Tensor<T>& g, const Shape& weight_shape,
                             const Conv2dOptions& options) {
    const Geometry geo = geometry("conv2d_weight_grad", x.shape(), weight_shape, options);
    check_output("conv2d_weight_grad", "gradient", g.shape(), geo);
    auto out = make_node<T>(weight_shape);
    conv_weight_grad(geo, x.value().data(), g.value().data(), out->value.data());
    // y = g·im2col(x)ᵀ is linear in x and in g: ⟨G, y⟩ = ⟨conv2d_input_grad(g, G), x⟩ = ⟨conv2d(x, G), g⟩.
    return record<T>(std::move(out), {x, g},
                     {"conv2d_weight_grad",
                      "grad_x = conv2d_input_grad(g, grad_out); grad_g = conv2d(x, grad_out)  (y = g im2col(x)^T)"},
                     [options](const Inputs<T>& in, const Tensor<T>&, const Tensor<T>& gr) {
                         const Tensor<T>& xi = in[0];
                         const Tensor<T>& gi = in[1];
                         return Grads<T>{xi.requires_grad() ? conv2d_input_grad(gi, gr, xi.shape(), options) : Tensor<T>(),
                                         gi.requires_grad() ? conv2d(xi, gr, options) : Tensor<T>()};
                     });
}

#define DG_INSTANTIATE(T)                                                                                          \
    template Tensor<T> conv2d(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Conv2dOptions&);         \
    template Tensor<T> conv2d(const Tensor<T>&, const Tensor<T>&, const Conv2dOptions&);                           \
    template Tensor<T> conv2d_input_grad(const Tensor<T>&, const Tensor<T>&, const Shape&, const Conv2dOptions&);  \
    template Tensor<T> conv2d_weight_grad(const Tensor<T>&, const Tensor<T>&, const Shape&, const Conv2dOptions&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg
