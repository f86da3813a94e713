// The one matrix product under every GEMM in deltagrad (autograd's ops and the delta reference): row-major
// C = alpha·op(A)·op(B) + beta·C on raw pointers. A large product is split into parts of C, one per deltagrad
// thread (parallel.hpp), each part one single-threaded call of OpenBLAS or of deltagrad's own kernel (Kernel below);
// see parallel.hpp for why.
// Free of xtensor on purpose: <cblas.h> cannot share a translation unit with xtensor-blas.
#pragma once

#include <cstddef>

namespace dg::blas {

/// Products below this many multiply-adds run whole on the calling thread: handing half of a smaller one to a
/// worker costs more than it saves. Measured on a 784-100-10 step with 2 threads (RESULTS.md): at batch 16 (largest
/// product 1.25 M) splitting made the step 30 % slower, at batch 64 (5 M) 2-7 % slower; at batch 256 (20 M) the
/// step runs 1.4-1.5x faster than on one thread.
inline constexpr std::size_t split_work = std::size_t(1) << 23;

/// C[m×n] = alpha·op(A)·op(B) + beta·C, row-major, op(A) m×k and op(B) k×n; lda, ldb, ldc are the row strides of
/// A, B and C as stored (A is k×m when ta). beta = 0 ignores C's old contents (NaN included). m, n or k may be 0.
template <class T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc);

/// Whose GEMM runs the products gemm hands on whole (each part of a split one). `openblas`: OpenBLAS's for all.
/// `deltagrad`: deltagrad's own (gemm_kernel.hpp) for each product that is at least one of its tiles (own_gemm_fits)
/// or a long, narrow A·Bᵀ for its dot-product form (own_gemm_dots_fits: a convolution's weight gradient), OpenBLAS's
/// for the rest. `mixed`: deltagrad's only for the two forms that beat OpenBLAS's kernels of the same vector width
/// (AVX-512 against AVX-512, gemm_kernel_bench in RESULTS.md): op(B) read in place (own_gemm_in_place_fits: a
/// convolution's forward) and the dot form where the other side is at least 32 (LeNet-5's second convolution's weight
/// gradient, 16 × 150; not its first, 6 × 25, where OpenBLAS's was faster), OpenBLAS's for the rest. Products with
/// one row or column go to OpenBLAS's gemv in every case. The default is `deltagrad` when its vectors are wider than
/// those of the OpenBLAS kernels in use (AVX-512 against OpenBLAS's AVX2 kernels, as OPENBLAS_CORETYPE=Haswell pins
/// them on an AVX-512 CPU), else `mixed`. The environment variable DG_GEMM (openblas, deltagrad or mixed) sets it.
enum class Kernel { openblas, deltagrad, mixed };
/// The kernel's name as DG_GEMM spells it: "openblas", "deltagrad" or "mixed".
const char* kernel_name(Kernel kernel);
/// The kernel in use; the first call reads DG_GEMM (ValueError when it is none of the three values).
Kernel gemm_kernel();
/// Sets the kernel for the whole process, in place of DG_GEMM and the default. The two kernels' results may differ in
/// the last bits of a product.
void set_gemm_kernel(Kernel kernel);

namespace detail {
/// The kernel for DG_GEMM's value (nullptr: unset), the OpenBLAS kernels' name (openblas_get_corename) and the
/// vector width of deltagrad's own kernel in bytes. ValueError, naming DG_GEMM, for a value other than "openblas",
/// "deltagrad" or "mixed".
Kernel kernel_for(const char* dg_gemm, const char* openblas_core, std::size_t own_vector_bytes);
}  // namespace detail

/// Runs OpenBLAS on one thread for the guard's lifetime, and sets its thread count back afterwards (the count is
/// process-wide). gemm holds one while it runs; code that calls gemm from several of deltagrad's threads at once
/// (parallel::run) holds one around them, so that their calls do not set and reset the count under each other.
class OneBlasThread {
public:
    OneBlasThread();
    ~OneBlasThread();
    OneBlasThread(const OneBlasThread&) = delete;
    OneBlasThread& operator=(const OneBlasThread&) = delete;

private:
    int restore_;
};

/// How many parts gemm splits an m×n×k product into with `threads` threads (1: not split).
std::size_t gemm_parts(std::size_t m, std::size_t n, std::size_t k, int threads);

}  // namespace dg::blas
