// deltagrad's own GEMM (see gemm_kernel.hpp): pack a panel of op(B), run the register-tiled micro-kernel down the
// rows of A, store the tile.
#include "autograd/kernels/gemm_kernel.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace dg::blas {
namespace own {
namespace {

#if defined(__AVX512F__)
constexpr std::size_t vector_bytes = 64;
constexpr std::size_t tile_rows = 12;  // MR: 12 rows × 2 vectors = 24 accumulators of the 32 registers
constexpr std::size_t panel_depth = 512;  // KC: of 128, 256 and 512, the fastest on the MLP steps' products
#elif defined(__AVX__)
constexpr std::size_t vector_bytes = 32;
constexpr std::size_t tile_rows = 6;  // 12 accumulators of the 16 registers
constexpr std::size_t panel_depth = 256;
#else
constexpr std::size_t vector_bytes = 16;
constexpr std::size_t tile_rows = 6;
constexpr std::size_t panel_depth = 256;
#endif
constexpr std::size_t min_depth = 16;  // shallower products stay with OpenBLAS (own_gemm_fits)

template <class T>
struct VectorOf {
    typedef T type __attribute__((vector_size(vector_bytes)));
};
template <class T>
using Vec = typename VectorOf<T>::type;
template <class T>
constexpr std::size_t lanes = vector_bytes / sizeof(T);
// Each row of a tile is two vectors wide; in a last panel no wider than one vector, one (for n = 100 floats on
// AVX-512, 3 panels of 32 and one of 4: 12 % padding, not 28 %).
constexpr std::size_t max_tile_vectors = 2;
template <class T>
constexpr std::size_t panel_width = max_tile_vectors * lanes<T>;  // NR

// Unaligned vector load and store (memcpy compiles to one instruction and is free of aliasing trouble).
template <class T>
Vec<T> load(const T* p) {
    Vec<T> v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class T>
void store(T* p, const Vec<T>& v) {
    std::memcpy(p, &v, sizeof v);
}

// panel[p·stride + j] = op(B)(k0 + p, j0 + j) for p < depth, j < width; zero for width <= j < stride.
template <class T>
void pack_panel(bool tb, const T* b, std::size_t ldb, std::size_t k0, std::size_t depth, std::size_t j0,
                std::size_t width, std::size_t stride, T* panel) {
    for (std::size_t p = 0; p < depth; ++p, panel += stride) {
        std::size_t j = 0;
        if (tb)  // op(B)(q, j) = B(j, q): a column of B, strided
            for (const T* col = b + j0 * ldb + k0 + p; j < width; ++j) panel[j] = col[j * ldb];
        else
            for (const T* row = b + (k0 + p) * ldb + j0; j < width; ++j) panel[j] = row[j];
        for (; j < stride; ++j) panel[j] = T(0);
    }
}

// Where A's elements are: A(i, p) = a[i·row_step + p·depth_step] (op(A) read in place, transposed or not).
struct Strides {
    std::size_t row_step, depth_step;
};

// C[R × width] = alpha·(R rows of A)·panel + beta·C, the panel V vectors wide: the tile's sums stay in registers
// over the whole depth.
template <std::size_t R, std::size_t V, class T>
void tile(std::size_t depth, const T* a, Strides s, const T* panel, T* c, std::size_t ldc, std::size_t width, T alpha,
          T beta) {
    constexpr std::size_t stride = V * lanes<T>;
    Vec<T> sum[R][V] = {};
    for (std::size_t p = 0; p < depth; ++p, a += s.depth_step, panel += stride) {
        Vec<T> row[V];
        for (std::size_t v = 0; v < V; ++v) row[v] = load(panel + v * lanes<T>);
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) {
            const T air = a[r * s.row_step];
            for (std::size_t v = 0; v < V; ++v) sum[r][v] += air * row[v];
        }
    }
    for (std::size_t r = 0; r < R; ++r) {
        T* crow = c + r * ldc;
        if (width == stride) {
            for (std::size_t v = 0; v < V; ++v) {
                Vec<T> out = alpha * sum[r][v];
                if (beta != T(0)) out += beta * load(crow + v * lanes<T>);  // beta = 0: C's old value is not read
                store(crow + v * lanes<T>, out);
            }
        } else {  // the last panel: only width columns are C's
            T out[stride];
            std::memcpy(out, sum[r], sizeof out);
            for (std::size_t j = 0; j < width; ++j)
                crow[j] = beta == T(0) ? alpha * out[j] : alpha * out[j] + beta * crow[j];
        }
    }
}

// The last rows % MR rows: the tile of that height, chosen at run time among the compiled ones.
template <std::size_t V, class T, std::size_t... R>
void short_tile(std::size_t rows, std::index_sequence<R...>, std::size_t depth, const T* a, Strides s,
                const T* panel, T* c, std::size_t ldc, std::size_t width, T alpha, T beta) {
    ((rows == R + 1 ? tile<R + 1, V>(depth, a, s, panel, c, ldc, width, alpha, beta) : void()), ...);
}

// All m rows of A times one packed panel: full tiles down the rows, then the short one.
template <std::size_t V, class T>
void down_the_rows(std::size_t m, std::size_t depth, const T* a, Strides s, const T* panel, T* c, std::size_t ldc,
                   std::size_t width, T alpha, T beta) {
    std::size_t i = 0;
    for (; i + tile_rows <= m; i += tile_rows)
        tile<tile_rows, V>(depth, a + i * s.row_step, s, panel, c + i * ldc, ldc, width, alpha, beta);
    if (i < m)
        short_tile<V>(m - i, std::make_index_sequence<tile_rows - 1>(), depth, a + i * s.row_step, s, panel,
                      c + i * ldc, ldc, width, alpha, beta);
}

}  // namespace
}  // namespace own

std::size_t own_gemm_vector_bytes() { return own::vector_bytes; }

template <class T>
bool own_gemm_fits(std::size_t m, std::size_t n, std::size_t k) {
    return m >= own::tile_rows && n >= own::panel_width<T> && k >= own::min_depth;
}

template <class T>
void own_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
              const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    using namespace own;
    // One panel per thread, kept: no allocation per product in the steady state.
    static thread_local std::vector<T> panel;
    panel.resize(panel_depth * panel_width<T>);
    const Strides s = ta ? Strides{1, lda} : Strides{lda, 1};
    for (std::size_t j0 = 0; j0 < n; j0 += panel_width<T>) {
        const std::size_t width = std::min(panel_width<T>, n - j0);
        const bool narrow = width <= lanes<T>;
        for (std::size_t k0 = 0; k0 < k; k0 += panel_depth) {
            const std::size_t depth = std::min(panel_depth, k - k0);
            pack_panel(tb, b, ldb, k0, depth, j0, width, narrow ? lanes<T> : panel_width<T>, panel.data());
            const T tile_beta = k0 == 0 ? beta : T(1);  // later depths add to what the first one stored
            const T* a0 = a + k0 * s.depth_step;
            if (narrow)
                down_the_rows<1>(m, depth, a0, s, panel.data(), c + j0, ldc, width, alpha, tile_beta);
            else
                down_the_rows<max_tile_vectors>(m, depth, a0, s, panel.data(), c + j0, ldc, width, alpha, tile_beta);
        }
    }
}

#define DG_INSTANTIATE_OWN_GEMM(T)                                                                                    \
    template bool own_gemm_fits<T>(std::size_t, std::size_t, std::size_t);                                            \
    template void own_gemm<T>(bool, bool, std::size_t, std::size_t, std::size_t, T, const T*, std::size_t, const T*,  \
                              std::size_t, T, T*, std::size_t);
DG_INSTANTIATE_OWN_GEMM(float)
DG_INSTANTIATE_OWN_GEMM(double)
#undef DG_INSTANTIATE_OWN_GEMM

}  // namespace dg::blas
