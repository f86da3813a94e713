// deltagrad's own GEMM (see gemm_kernel.hpp): the kernel body (gemm_kernel_body.inc) compiled once per instruction set
// (AVX-512F, AVX2 + FMA, and the build's baseline), and the choice among them made once, at run time, from the CPU.
//
// Why at run time: the library is built for the baseline of its target (x86-64: SSE2) unless DELTAGRAD_NATIVE asks
// for this machine's CPU, and a kernel built that way would run 16-byte vectors on an AVX-512 CPU. Each variant lives
// in its own namespace with internal linkage, in a region whose functions are compiled for its instruction set (GCC's
// target pragma, clang's attribute pragma). Only the kernel's own functions are in the region: inline functions of
// other headers (the standard library's) stay compiled for the baseline, so the linker can never pick an AVX-512 copy
// of one for code that runs on any CPU.
#include "autograd/kernels/gemm_kernel.hpp"

#include <atomic>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/array/errors.hpp"

namespace dg::blas {
namespace own {
namespace {

constexpr std::size_t min_depth = 16;  // shallower products stay with OpenBLAS (own_gemm_fits)
// A product this wide may be half a tile high (own_gemm_fits): LeNet-5's first convolution, 6 × 3584 × 25, ran at
// 82 GFLOP/s in the kernel against 60 in OpenBLAS's AVX2 kernels (gemm_kernel_bench, RESULTS.md).
constexpr std::size_t wide_columns = 1024;
// The dot-product form (own_gemm_dots) takes NT products at least this deep with a side shorter than this: there
// op(B) = Bᵀ is packed by a strided gather of at least one element per vector multiply-add of the tiles.
constexpr std::size_t dots_min_depth = 256, dots_max_side = 32;
// A slab of k, in bytes of a row: 4 rows of A and 4 of B (a tile's) are 32 KiB, within the L1 cache.
constexpr std::size_t dot_slab_bytes = 4096;
// Each row of a tile is two vectors wide; in a last panel no wider than one vector, one (for n = 100 floats on
// AVX-512, 3 panels of 32 and one of 4: 12 % padding, not 28 %).
constexpr std::size_t max_tile_vectors = 2;
// Products at most this many tiles high read op(B) in place: LeNet-5's forward convolutions, 6 × 3584 × 25 and
// 16 × 560 × 150, ran at 150–165 and 190–230 GFLOP/s against 73–110 and 133–167 packed (gemm_kernel_bench,
// RESULTS.md).
constexpr std::size_t in_place_tiles = 2;
// Whether a product m rows high reads an untransposed op(B) in place (tiles tile_rows high): such a product reads each
// element of op(B) at most in_place_tiles times, so packing it would cost a copy of each element to save little.
// The one statement of the rule: the kernel's body (full panels) and own_gemm_in_place_fits both ask it.
constexpr bool reads_b_in_place(bool tb, std::size_t m, std::size_t tile_rows) {
    return !tb && m <= in_place_tiles * tile_rows;
}

// Where A's elements are: A(i, p) = a[i·row_step + p·depth_step] (op(A) read in place, transposed or not).
struct Strides {
    std::size_t row_step, depth_step;
};

#if defined(__x86_64__) || defined(__i386__)
#define DG_GEMM_X86 1
#if defined(__clang__)
#define DG_GEMM_TARGET_BEGIN(isa) _Pragma(DG_GEMM_STR(clang attribute push(__attribute__((target(isa))), apply_to = function)))
#define DG_GEMM_TARGET_END _Pragma("clang attribute pop")
#else
#define DG_GEMM_TARGET_BEGIN(isa) _Pragma("GCC push_options") _Pragma(DG_GEMM_STR(GCC target(isa)))
#define DG_GEMM_TARGET_END _Pragma("GCC pop_options")
#endif
#define DG_GEMM_STR(x) #x

// AVX-512F: 12 rows × 2 vectors = 24 accumulators of the 32 registers; KC 512, of 128, 256 and 512 the fastest on
// the MLP steps' products. The dot-product form: a 4 × 4 tile, 16 accumulators and 8 loads per 16 multiply-adds.
DG_GEMM_TARGET_BEGIN("avx512f,avx2,fma")
namespace avx512 {
constexpr std::size_t vector_bytes = 64, tile_rows = 12, panel_depth = 512, dot_rows = 4, dot_cols = 4;
#include "autograd/kernels/gemm_kernel_body.inc"
}  // namespace avx512
DG_GEMM_TARGET_END

// AVX2 + FMA: 12 accumulators of the 16 registers; the dot-product form 2 × 4, 8 accumulators.
DG_GEMM_TARGET_BEGIN("avx2,fma")
namespace avx2 {
constexpr std::size_t vector_bytes = 32, tile_rows = 6, panel_depth = 256, dot_rows = 2, dot_cols = 4;
#include "autograd/kernels/gemm_kernel_body.inc"
}  // namespace avx2
DG_GEMM_TARGET_END
#endif

// The build's baseline (SSE2 on x86-64, NEON on arm64; all of this machine's with DELTAGRAD_NATIVE).
namespace generic {
constexpr std::size_t vector_bytes = 16, tile_rows = 6, panel_depth = 256, dot_rows = 2, dot_cols = 4;
#include "autograd/kernels/gemm_kernel_body.inc"
}  // namespace generic

// One compiled variant: its name, its tile and panel, its entry points.
struct Variant {
    const char* name;
    std::size_t vector_bytes, tile_rows, panel_depth;
    decltype(&generic::sgemm) sgemm;
    decltype(&generic::dgemm) dgemm;
    decltype(&generic::sgemm_dots) sgemm_dots;
    decltype(&generic::dgemm_dots) dgemm_dots;
    bool (*supported)();
};

#define DG_GEMM_VARIANT(ns, test)                                                                                \
    Variant {                                                                                                  \
        #ns, ns::vector_bytes, ns::tile_rows, ns::panel_depth, &ns::sgemm, &ns::dgemm, &ns::sgemm_dots,         \
            &ns::dgemm_dots, test                                                                              \
    }

// Widest first. __builtin_cpu_supports also checks that the OS saves the wider registers.
const std::vector<Variant>& variants() {
#ifdef DG_GEMM_X86
    static const bool cpu_known = (__builtin_cpu_init(), true);  // in case this runs in a static constructor
    (void)cpu_known;
#endif
    static const std::vector<Variant> all = {
#ifdef DG_GEMM_X86
        DG_GEMM_VARIANT(avx512, [] { return bool(__builtin_cpu_supports("avx512f")); }),
        DG_GEMM_VARIANT(avx2, [] { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }),
#endif
        DG_GEMM_VARIANT(generic, [] { return true; }),
    };
    return all;
}

// The variant in use: the widest this CPU runs, unless set_own_gemm_isa chose another.
std::atomic<const Variant*>& current() {
    static std::atomic<const Variant*> chosen{[] {
        for (const Variant& v : variants())
            if (v.supported()) return &v;
        return &variants().back();
    }()};
    return chosen;
}

template <class T>
std::size_t panel_width(const Variant& v) {
    return max_tile_vectors * v.vector_bytes / sizeof(T);
}

}  // namespace
}  // namespace own

std::size_t own_gemm_vector_bytes() { return own::current().load(std::memory_order_relaxed)->vector_bytes; }

const char* own_gemm_isa() { return own::current().load(std::memory_order_relaxed)->name; }

std::vector<std::string> own_gemm_isas() {
    std::vector<std::string> names;
    for (const own::Variant& v : own::variants())
        if (v.supported()) names.emplace_back(v.name);
    return names;
}

void set_own_gemm_isa(const std::string& isa) {
    for (const own::Variant& v : own::variants())
        if (v.supported() && isa == v.name) {
            own::current().store(&v, std::memory_order_relaxed);
            return;
        }
    std::string known;
    for (const std::string& name : own_gemm_isas()) known += (known.empty() ? "" : ", ") + name;
    throw ValueError("set_own_gemm_isa: \"" + isa + "\" is not an instruction set of deltagrad's GEMM kernel that this "
                     "CPU runs (" + known + ")");
}

template <class T>
bool own_gemm_fits(std::size_t m, std::size_t n, std::size_t k) {
    const own::Variant& v = *own::current().load(std::memory_order_relaxed);
    const bool tall = m >= v.tile_rows || (2 * m >= v.tile_rows && n >= own::wide_columns);
    return tall && n >= own::panel_width<T>(v) && k >= own::min_depth;
}

template <class T>
bool own_gemm_in_place_fits(bool tb, std::size_t m, std::size_t n, std::size_t k) {
    const own::Variant& v = *own::current().load(std::memory_order_relaxed);
    return own::reads_b_in_place(tb, m, v.tile_rows) && own_gemm_fits<T>(m, n, k);
}

template <class T>
void own_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
              const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    const own::Variant& v = *own::current().load(std::memory_order_relaxed);
    // One panel per thread, kept: no allocation per product in the steady state.
    static thread_local std::vector<T> panel;
    panel.resize(v.panel_depth * own::panel_width<T>(v));
    if constexpr (std::is_same_v<T, float>)
        v.sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, panel.data());
    else
        v.dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, panel.data());
}

template <class T>
bool own_gemm_dots_fits(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k) {
    return !ta && tb && k >= own::dots_min_depth && (m < own::dots_max_side || n < own::dots_max_side);
}

template <class T>
void own_gemm_dots(std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, const T* b,
                   std::size_t ldb, T beta, T* c, std::size_t ldc) {
    const own::Variant& v = *own::current().load(std::memory_order_relaxed);
    if constexpr (std::is_same_v<T, float>)
        v.sgemm_dots(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        v.dgemm_dots(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#define DG_INSTANTIATE_OWN_GEMM(T)                                                                                    \
    template bool own_gemm_fits<T>(std::size_t, std::size_t, std::size_t);                                            \
    template bool own_gemm_in_place_fits<T>(bool, std::size_t, std::size_t, std::size_t);                             \
    template void own_gemm<T>(bool, bool, std::size_t, std::size_t, std::size_t, T, const T*, std::size_t, const T*,  \
                              std::size_t, T, T*, std::size_t);                                                       \
    template bool own_gemm_dots_fits<T>(bool, bool, std::size_t, std::size_t, std::size_t);                           \
    template void own_gemm_dots<T>(std::size_t, std::size_t, std::size_t, T, const T*, std::size_t, const T*,         \
                                   std::size_t, T, T*, std::size_t);
DG_INSTANTIATE_OWN_GEMM(float)
DG_INSTANTIATE_OWN_GEMM(double)
#undef DG_INSTANTIATE_OWN_GEMM

}  // namespace dg::blas
