// blas::gemm: the split of a large product over deltagrad's threads, the choice of kernel, and the OpenBLAS calls
// (gemv for a product with one row or column).
#include "autograd/kernels/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <string>

#include "autograd/array/errors.hpp"
#include "autograd/kernels/gemm_kernel.hpp"
#include "autograd/kernels/parallel.hpp"

namespace dg::blas {
namespace {

// Kernel::mixed hands the dot form only the products whose longer side is at least this. Against OpenBLAS's AVX-512
// kernels it ran LeNet-5's conv2 weight gradient (16 × 150 × 560) at 115-148 GFLOP/s against 70-90, the 784-100-10
// batch-16 forward (16 × 100 × 784) at 162-172 against 84-97, but LeNet-5's conv1 one (6 × 25 × 3584) at 106-109
// against 129 (gemm_kernel_bench, RESULTS.md).
constexpr std::size_t mixed_dots_min_side = 32;

CBLAS_TRANSPOSE op(bool t) { return t ? CblasTrans : CblasNoTrans; }

void call_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
               std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, op(ta), op(tb), blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b,
                blasint(ldb), beta, c, blasint(ldc));
}
void call_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
               std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, op(ta), op(tb), blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b,
                blasint(ldb), beta, c, blasint(ldc));
}

// y = alpha·op(M)·x + beta·y, M rows×cols row-major with row stride ld; x and y strided.
void call_gemv(bool t, std::size_t rows, std::size_t cols, float alpha, const float* mat, std::size_t ld,
               const float* x, std::size_t incx, float beta, float* y, std::size_t incy) {
    cblas_sgemv(CblasRowMajor, op(t), blasint(rows), blasint(cols), alpha, mat, blasint(ld), x, blasint(incx), beta, y,
                blasint(incy));
}
void call_gemv(bool t, std::size_t rows, std::size_t cols, double alpha, const double* mat, std::size_t ld,
               const double* x, std::size_t incx, double beta, double* y, std::size_t incy) {
    cblas_dgemv(CblasRowMajor, op(t), blasint(rows), blasint(cols), alpha, mat, blasint(ld), x, blasint(incx), beta, y,
                blasint(incy));
}

// C = beta·C over m×n; beta = 0 writes zeros, whatever C held (NaN included).
template <class T>
void scale(std::size_t m, std::size_t n, T beta, T* c, std::size_t ldc) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
}

// One product (or one part of a split one) as one call: deltagrad's kernel (its dot-product form for a long, narrow
// A·Bᵀ) or OpenBLAS's GEMM, as `kernel` has it (blas.hpp), or OpenBLAS's gemv. A product with one row or one column
// is a matrix-vector product, and goes to gemv: OpenBLAS 0.3.21's GEMM does not notice, and with its AVX2 (Haswell)
// kernels a [1×784]·[784×100] GEMM took 24 µs against gemv's 3.6 µs, most of a batch-1 training step (RESULTS.md).
template <class T>
void product(Kernel kernel, bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
             std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    if (m != 1 && n != 1) {
        const bool all = kernel == Kernel::deltagrad, mixed = kernel == Kernel::mixed;
        if ((all || (mixed && std::max(m, n) >= mixed_dots_min_side)) && own_gemm_dots_fits<T>(ta, tb, m, n, k))
            return own_gemm_dots(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if ((all && own_gemm_fits<T>(m, n, k)) || (mixed && own_gemm_in_place_fits<T>(tb, m, n, k)))
            return own_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return call_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    // beta = 0 must ignore C's old contents; BLAS does not promise that gemv's beta = 0 skips a NaN in y.
    if (beta == T(0)) scale(m, n, beta, c, ldc);
    if (m == 1) {  // the row c = alpha·op(B)ᵀ·(the row of op(A)) + beta·c; op(A)'s row is strided when ta
        const std::size_t inc_a = ta ? lda : 1;
        if (tb) return call_gemv(false, n, k, alpha, b, ldb, a, inc_a, beta, c, 1);  // B is n×k
        return call_gemv(true, k, n, alpha, b, ldb, a, inc_a, beta, c, 1);           // B is k×n
    }
    // n == 1: the column c = alpha·op(A)·(the column of op(B)) + beta·c, strided by ldc
    const std::size_t inc_b = tb ? 1 : ldb;
    if (ta) return call_gemv(true, k, m, alpha, a, lda, b, inc_b, beta, c, ldc);  // A is k×m
    return call_gemv(false, m, k, alpha, a, lda, b, inc_b, beta, c, ldc);         // A is m×k
}

// The width in bytes of the vectors of OpenBLAS's kernels, by the name openblas_get_corename gives them.
std::size_t openblas_vector_bytes(const char* core) {
    std::string name = core ? core : "";
    for (char& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    for (const char* avx512 : {"skylakex", "cooperlake", "sapphirerapids"})
        if (name == avx512) return 64;
    return 32;  // Haswell, Zen and older: AVX2 at most
}

constexpr int unset = -1;
std::atomic<int> chosen_kernel{unset};

}  // namespace

// OpenBLAS runs on one thread inside deltagrad's products: the threads are deltagrad's (parallel.hpp). A BLAS call
// another thread makes meanwhile runs on one thread too (slower, never wrong).
OneBlasThread::OneBlasThread() : restore_(openblas_get_num_threads()) {
    if (restore_ > 1) openblas_set_num_threads(1);
}
OneBlasThread::~OneBlasThread() {
    if (restore_ > 1) openblas_set_num_threads(restore_);
}

Kernel detail::kernel_for(const char* dg_gemm, const char* openblas_core, std::size_t own_vector_bytes) {
    if (dg_gemm) {
        const std::string value = dg_gemm;
        for (Kernel k : {Kernel::openblas, Kernel::deltagrad, Kernel::mixed})
            if (value == kernel_name(k)) return k;
        throw ValueError("DG_GEMM: expected \"openblas\", \"deltagrad\" or \"mixed\" (or unset), got \"" + value +
                         "\"");
    }
    return own_vector_bytes > openblas_vector_bytes(openblas_core) ? Kernel::deltagrad : Kernel::mixed;
}

const char* kernel_name(Kernel kernel) {
    return kernel == Kernel::openblas ? "openblas" : kernel == Kernel::deltagrad ? "deltagrad" : "mixed";
}

Kernel gemm_kernel() {
    int k = chosen_kernel.load(std::memory_order_relaxed);
    if (k == unset) {
        k = int(detail::kernel_for(std::getenv("DG_GEMM"), openblas_get_corename(), own_gemm_vector_bytes()));
        chosen_kernel.store(k, std::memory_order_relaxed);
    }
    return Kernel(k);
}

void set_gemm_kernel(Kernel kernel) { chosen_kernel.store(int(kernel), std::memory_order_relaxed); }

std::size_t gemm_parts(std::size_t m, std::size_t n, std::size_t k, int threads) {
    if (threads <= 1) return 1;
    // Each factor below split_work (2^23) first, so that no product overflows.
    const bool small = m < split_work && n < split_work && k < split_work && m * n * k < split_work;
    if (small) return 1;
    const std::size_t along = std::max(m, n);
    // At least part_unit rows or columns per part.
    return std::max<std::size_t>(1, std::min<std::size_t>(std::size_t(threads), along / parallel::part_unit));
}

template <class T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) return scale(m, n, beta, c, ldc);  // op(A)·op(B) is all zeros; BLAS wants strides >= 1 for them
    for (std::size_t extent : {m, n, k, lda, ldb, ldc})
        if (extent > std::size_t(INT_MAX))
            throw ValueError("gemm: extent " + std::to_string(extent) + " exceeds BLAS's limit of " +
                             std::to_string(INT_MAX));
    // num_threads() first: its first call reads OpenBLAS's count, which the guard is about to change.
    const std::size_t parts = gemm_parts(m, n, k, num_threads());
    const Kernel kernel = gemm_kernel();
    OneBlasThread one_blas_thread;
    if (parts == 1) return product(kernel, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    // Split C along its longer side: rows take rows of op(A), columns take columns of op(B). Parts start at
    // multiples of parallel::part_unit: no cache line of C is written by two threads.
    const bool by_rows = m >= n;
    const std::size_t extent = by_rows ? m : n;
    parallel::run(parts, [&](std::size_t p) {
        const std::size_t lo = parallel::part_start(extent, parts, p), hi = parallel::part_start(extent, parts, p + 1);
        if (lo == hi) return;
        if (by_rows)
            product(kernel, ta, tb, hi - lo, n, k, alpha, ta ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc,
                    ldc);
        else
            product(kernel, ta, tb, m, hi - lo, k, alpha, a, lda, tb ? b + lo * ldb : b + lo, ldb, beta, c + lo, ldc);
    });
}

template void gemm<float>(bool, bool, std::size_t, std::size_t, std::size_t, float, const float*, std::size_t,
                          const float*, std::size_t, float, float*, std::size_t);
template void gemm<double>(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*, std::size_t,
                           const double*, std::size_t, double, double*, std::size_t);

}  // namespace dg::blas
