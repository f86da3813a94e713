// blas::gemm: the split of a large product over deltagrad's threads, and the OpenBLAS calls.
#include "autograd/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <string>

#include "autograd/errors.hpp"
#include "autograd/parallel.hpp"

namespace dg::blas {
namespace {

// OpenBLAS runs on one thread inside deltagrad's products: the threads are deltagrad's (parallel.hpp). The count
// is process-wide, so it is set back afterwards; a BLAS call another thread makes meanwhile runs on one thread
// too (slower, never wrong).
class OneBlasThread {
public:
    OneBlasThread() : restore_(openblas_get_num_threads()) {
        if (restore_ > 1) openblas_set_num_threads(1);
    }
    ~OneBlasThread() {
        if (restore_ > 1) openblas_set_num_threads(restore_);
    }
    OneBlasThread(const OneBlasThread&) = delete;
    OneBlasThread& operator=(const OneBlasThread&) = delete;

private:
    int restore_;
};

CBLAS_TRANSPOSE op(bool t) { return t ? CblasTrans : CblasNoTrans; }

void call(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, op(ta), op(tb), blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b,
                blasint(ldb), beta, c, blasint(ldc));
}

void call(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
          std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, op(ta), op(tb), blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b,
                blasint(ldb), beta, c, blasint(ldc));
}

}  // namespace

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
    if (k == 0) {  // op(A)·op(B) is all zeros; BLAS would want strides >= 1 for the empty operands
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
        return;
    }
    for (std::size_t extent : {m, n, k, lda, ldb, ldc})
        if (extent > std::size_t(INT_MAX))
            throw ValueError("gemm: extent " + std::to_string(extent) + " exceeds BLAS's limit of " +
                             std::to_string(INT_MAX));
    // num_threads() first: its first call reads OpenBLAS's count, which the guard is about to change.
    const std::size_t parts = gemm_parts(m, n, k, num_threads());
    OneBlasThread one_blas_thread;
    if (parts == 1) return call(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    // Split C along its longer side: rows take rows of op(A), columns take columns of op(B). Parts start at
    // multiples of parallel::part_unit: no cache line of C is written by two threads.
    const bool by_rows = m >= n;
    const std::size_t extent = by_rows ? m : n;
    parallel::run(parts, [&](std::size_t p) {
        const std::size_t lo = parallel::part_start(extent, parts, p), hi = parallel::part_start(extent, parts, p + 1);
        if (lo == hi) return;
        if (by_rows)
            call(ta, tb, hi - lo, n, k, alpha, ta ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc, ldc);
        else
            call(ta, tb, m, hi - lo, k, alpha, a, lda, tb ? b + lo * ldb : b + lo, ldb, beta, c + lo, ldc);
    });
}

template void gemm<float>(bool, bool, std::size_t, std::size_t, std::size_t, float, const float*, std::size_t,
                          const float*, std::size_t, float, float*, std::size_t);
template void gemm<double>(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*, std::size_t,
                           const double*, std::size_t, double, double*, std::size_t);

}  // namespace dg::blas
