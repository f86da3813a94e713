// deltagrad's own GEMM: C = alpha·op(A)·op(B) + beta·C, row-major, in portable vector code (GCC/Clang vector
// extensions), compiled for several instruction sets (AVX-512F, AVX2 + FMA, the build's baseline) and run with the
// widest this CPU has, chosen at run time: the library needs no -march flag to get it. blas::gemm runs it in place of
// OpenBLAS's GEMM when it is wider than the OpenBLAS kernels in use (see blas.hpp, Kernel). Why it exists: on an
// AVX-512 CPU whose OpenBLAS runs its AVX2 kernels (OPENBLAS_CORETYPE=Haswell, as this project's benchmark machine
// sets, or an OpenBLAS that does not know the CPU), the products of the benchmarked MLP steps ran 1.6-1.9x faster than
// OpenBLAS's; against OpenBLAS's own AVX-512 kernels, 0.90-1.16x, so OpenBLAS keeps those (benchmarks/gemm_kernel_bench,
// RESULTS.md session 6).
//
// The method is the textbook one (Goto/BLIS), with one pack instead of two: op(B) is copied, KC rows by NR columns at
// a time, into a contiguous panel (zero-padded past the last column); A is read in place, and so is an untransposed B
// in a product at most two tiles high (each of its elements is read that often: a copy would cost more than it
// saves). The micro-kernel keeps an MR×NR tile of C in registers and adds, for each p of the panel, the row B(p, ·)
// times the broadcast A(i, p).
// A second form for long, narrow A·Bᵀ products (own_gemm_dots): dot products of rows, summed in vectors along k.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dg::blas {

/// The vector width, in bytes, of the kernel in use: 64 with AVX-512F, 32 with AVX2 + FMA, else 16.
std::size_t own_gemm_vector_bytes();
/// The instruction set of the kernel in use: "avx512", "avx2" or "generic" (the build's baseline: SSE2 on x86-64, or
/// everything the build machine has with DELTAGRAD_NATIVE). By default the widest this CPU runs, chosen at the first
/// call.
const char* own_gemm_isa();
/// The instruction sets the kernel is compiled for that this CPU runs, widest first (e.g. avx512, avx2, generic).
std::vector<std::string> own_gemm_isas();
/// Runs the kernel with `isa`, one of own_gemm_isas(), from now on in the whole process (tests and benchmarks of the
/// narrower variants); ValueError listing them for another name. Call it while no product runs.
void set_own_gemm_isa(const std::string& isa);

/// Whether the kernel takes an m×n×k product: one at least a full tile high (half a tile when at least 1024 wide, as a
/// convolution's forward over a few images), a full panel wide and 16 deep. A narrower one (a 10-class output layer)
/// would be mostly padding. A shallower one (the rank-1 weight gradient of a
/// batch of 1) is mostly reading and writing C, where OpenBLAS's kernels were as fast or faster: at k = 1, 5.0 µs
/// against 8.4 µs for the 100×784 weight gradient; at k = 16, 25 µs against 21 µs (RESULTS.md, session 6).
/// OpenBLAS keeps those.
template <class T>
bool own_gemm_fits(std::size_t m, std::size_t n, std::size_t k);

/// Whether the kernel takes an m×n×k product (own_gemm_fits) and reads op(B) in place for it, without packing: B
/// untransposed and the product at most two tiles high (a convolution's forward over a few images, 6 × 3584 × 25 and
/// 16 × 560 × 150 in LeNet-5).
template <class T>
bool own_gemm_in_place_fits(bool tb, std::size_t m, std::size_t n, std::size_t k);

/// C[m×n] = alpha·op(A)·op(B) + beta·C, with blas::gemm's arguments and contract (beta = 0 ignores C's contents),
/// on the calling thread. m, n, k >= 1.
template <class T>
void own_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
              const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc);

/// Whether the dot-product form (own_gemm_dots) takes a product: C = A·Bᵀ (ta false, tb true: both operands read
/// along their rows), at least 256 deep, with fewer than 32 rows or columns (a convolution's weight gradient, 6 × 25 ×
/// 3584 in LeNet-5). There own_gemm would pack Bᵀ by a strided gather of at least one element per vector
/// multiply-add, and OpenBLAS's kernels ran such products at about 17 GFLOP/s (RESULTS.md).
template <class T>
bool own_gemm_dots_fits(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k);

/// C[m×n] = alpha·A·Bᵀ + beta·C, A m×k and B n×k row-major (row strides lda, ldb), beta = 0 ignoring C's contents, on
/// the calling thread: each entry a dot product of two rows summed in vectors along k, with no copy of A or B.
/// m, n, k >= 1.
template <class T>
void own_gemm_dots(std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda, const T* b,
                   std::size_t ldb, T beta, T* c, std::size_t ldc);

}  // namespace dg::blas
