// deltagrad's own GEMM kernel (autograd/kernels/gemm_kernel.hpp) against OpenBLAS's on the products of the benchmarked MLP
// and CNN steps, one thread, float32: GFLOP/s per product. Each product runs back to back as <name>/openblas,
// <name>/deltagrad (blas::gemm's choice with deltagrad's kernel: the main kernel, its dot-product form, or OpenBLAS
// where neither takes the product), <name>/mixed (blas::Kernel::mixed: deltagrad's in-place and dot forms only) and
// <name>/own_gemm (the main kernel called directly), so they share the machine's load. Which OpenBLAS kernels run is
// OpenBLAS's choice or OPENBLAS_CORETYPE's:
//   OPENBLAS_CORETYPE=Haswell build/bin/gemm_kernel_bench     (AVX2 kernels: deltagrad's is the default there)
//   env -u OPENBLAS_CORETYPE build/bin/gemm_kernel_bench      (OpenBLAS's own choice; Cooperlake on this CPU)
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "autograd/kernels/blas.hpp"
#include "autograd/kernels/gemm_kernel.hpp"
#include "autograd/kernels/parallel.hpp"

extern "C" char* openblas_get_corename(void);  // from <cblas.h>

namespace {

struct Product {
    const char* name;
    bool ta, tb;
    int m, n, k;
};

// Row-major as the ops call blas::gemm: y = x·Wᵀ (NT), the weight gradient gᵀ·x (TN), the input gradient g·W (NN).
const std::vector<Product> products = {
    {"784-100-10/b16/forward", false, true, 16, 100, 784},
    {"784-100-10/b64/forward", false, true, 64, 100, 784},
    {"784-100-10/b64/weight_grad", true, false, 100, 784, 64},
    {"784-100-10/b256/forward", false, true, 256, 100, 784},
    {"784-100-10/b256/weight_grad", true, false, 100, 784, 256},
    {"784-100-10/b1024/forward", false, true, 1024, 100, 784},
    {"784-100-10/b1024/weight_grad", true, false, 100, 784, 1024},
    {"784-512-512-10/b256/forward1", false, true, 256, 512, 784},
    {"784-512-512-10/b256/weight_grad1", true, false, 512, 784, 256},
    {"784-512-512-10/b256/forward2", false, true, 256, 512, 512},
    {"784-512-512-10/b256/weight_grad2", true, false, 512, 512, 256},
    {"784-512-512-10/b256/input_grad2", false, false, 256, 512, 512},
    // The convolutions' products as autograd/ops/conv.cpp calls them (a chunk of images on the wide grid): forward W·col
    // (NN), input gradient Wᵀ·g (TN), weight gradient g·colᵀ (NT, deltagrad's dot-product form). LeNet-5 at batch 64
    // (4 images a chunk) and the recommended CNN's second convolution (1 image a chunk).
    {"lenet5/conv1/forward", false, false, 6, 3584, 25},
    {"lenet5/conv1/weight_grad", false, true, 6, 25, 3584},
    {"lenet5/conv2/forward", false, false, 16, 560, 150},
    {"lenet5/conv2/input_grad", true, false, 150, 560, 16},
    {"lenet5/conv2/weight_grad", false, true, 16, 150, 560},
    {"cnn/conv1/weight_grad", false, true, 32, 9, 10080},
    {"cnn/conv2/forward", false, false, 64, 224, 288},
    {"cnn/conv2/input_grad", true, false, 288, 224, 64},
    {"cnn/conv2/weight_grad", false, true, 64, 288, 224},
};

// `direct`: blas::own_gemm called whatever the product (the main kernel, without blas::gemm's choice of form).
void run(benchmark::State& state, Product p, dg::blas::Kernel kernel, bool direct) {
    std::vector<float> a(std::size_t(p.m) * p.k), b(std::size_t(p.k) * p.n), c(std::size_t(p.m) * p.n);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = float(i % 7) * 0.25f - 0.75f;
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(i % 5) * 0.125f - 0.25f;
    const int lda = p.ta ? p.m : p.k, ldb = p.tb ? p.k : p.n;
    dg::set_num_threads(1);
    dg::blas::set_gemm_kernel(kernel);
    for (auto _ : state) {
        if (direct)
            dg::blas::own_gemm(p.ta, p.tb, p.m, p.n, p.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), p.n);
        else
            dg::blas::gemm(p.ta, p.tb, p.m, p.n, p.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), p.n);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * p.m * p.n * p.k * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::AddCustomContext("openblas_core", openblas_get_corename());
    for (const Product& p : products) {
        for (auto kernel : {dg::blas::Kernel::openblas, dg::blas::Kernel::deltagrad, dg::blas::Kernel::mixed})
            benchmark::RegisterBenchmark((std::string(p.name) + "/" + dg::blas::kernel_name(kernel)).c_str(), run, p,
                                         kernel, false)
                ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((std::string(p.name) + "/own_gemm").c_str(), run, p, dg::blas::Kernel::deltagrad,
                                     true)
            ->Unit(benchmark::kMicrosecond);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
