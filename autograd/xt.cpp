// The array-level helpers every library shares (deltagrad::xt): shape formatting, the small-GEMM thread guard.
#include "autograd/xt.hpp"

#include <sstream>

// OpenBLAS's thread control, declared here because <cblas.h> cannot share a translation unit with xtensor-blas.
extern "C" void openblas_set_num_threads(int num_threads);
extern "C" int openblas_get_num_threads(void);

namespace dg {

SmallGemmGuard::SmallGemmGuard(std::size_t m, std::size_t n, std::size_t k) {
    // Each factor below small_work (2^23) first, so that no product overflows.
    const bool small = m < small_work && n < small_work && k < small_work && m * n < small_work && m * n * k < small_work;
    if (!small) return;
    const int threads = openblas_get_num_threads();
    if (threads > 1) {
        openblas_set_num_threads(1);
        restore_ = threads;
    }
}

SmallGemmGuard::~SmallGemmGuard() {
    if (restore_ > 0) openblas_set_num_threads(restore_);
}

std::string shape_str(const Shape& s) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < s.size(); ++i) out << (i ? ", " : "") << s[i];
    out << ']';
    return out.str();
}

}  // namespace dg
