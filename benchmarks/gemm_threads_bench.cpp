// Why deltagrad runs its own threads (autograd/kernels/parallel.hpp): the two large products of a 784-100-10 training
// step, at batch 256 and 1024, by OpenBLAS on 1 and 2 of its own threads, and by dg::blas::gemm split over 2
// deltagrad threads (each part one single-threaded OpenBLAS call). Wall time per product.
//   build/bin/gemm_threads_bench
// The OpenBLAS rows run first: deltagrad's worker spins for 200 µs after a job, and must not share the cores
// with OpenBLAS's threads while those are measured.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <string>
#include <vector>

#include "autograd/kernels/blas.hpp"
#include "autograd/kernels/parallel.hpp"

namespace {

// y = x·Wᵀ (x [batch, 784], W [100, 784]) and gW = gᵀ·x (g [batch, 100]): the forward and weight-gradient GEMMs.
struct Shapes {
    bool ta, tb;
    int m, n, k;
};
Shapes forward(int batch) { return {false, true, batch, 100, 784}; }
Shapes weight_grad(int batch) { return {true, false, 100, 784, batch}; }

void product(benchmark::State& state, Shapes s, bool ours, int threads) {
    std::vector<float> a(std::size_t(s.m) * s.k, 0.5f), b(std::size_t(s.k) * s.n, 0.25f), c(std::size_t(s.m) * s.n);
    const int lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    if (ours) {
        dg::set_num_threads(threads);
        openblas_set_num_threads(1);
    } else {
        openblas_set_num_threads(threads);
    }
    for (auto _ : state) {
        if (ours)
            dg::blas::gemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), s.n);
        else
            cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.m, s.n,
                        s.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), s.n);
        benchmark::DoNotOptimize(c.data());
    }
}

void register_all() {
    for (bool ours : {false, true})
        for (int threads : {1, 2}) {
            if (ours && threads == 1) continue;  // the same call as OpenBLAS on one thread
            for (int batch : {256, 1024})
                for (bool grad : {false, true}) {
                    const std::string name = std::string(ours ? "deltagrad_split" : "openblas") + "/" +
                                             std::to_string(threads) + "t/" + (grad ? "gW" : "forward") + "/b" +
                                             std::to_string(batch);
                    benchmark::RegisterBenchmark(name.c_str(), product, grad ? weight_grad(batch) : forward(batch),
                                                 ours, threads)
                        ->UseRealTime()
                        ->Unit(benchmark::kMicrosecond);
                }
        }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
