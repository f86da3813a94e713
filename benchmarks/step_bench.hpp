// What the training-step benchmarks (mlp_step_bench, conv_bench, recurrent_bench) share: the step loop written the
// two ways compare pairs with libtorch (loss.backward(); opt.step(), or opt.backward_and_step(loss)), the clock switch
// DG_BENCH_TIME, the per-sample rate and the kernels in use as benchmark context.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "autograd/kernels/blas.hpp"
#include "autograd/tensor.hpp"

extern "C" char* openblas_get_corename(void);  // from <cblas.h>, which cannot share a file with xtensor-blas

namespace dg::bench {

/// True when DG_BENCH_TIME=real: rates per wall second (what multi-threaded runs need); otherwise per CPU second of
/// the calling thread (robust on a loaded machine, exact with one thread).
inline bool real_time() {
    const char* t = std::getenv("DG_BENCH_TIME");
    return t && std::string(t) == "real";
}

/// A row benchmarks/compare reads: microseconds, wall time when DG_BENCH_TIME=real.
inline benchmark::internal::Benchmark* compare_clock(benchmark::internal::Benchmark* b) {
    b->Unit(benchmark::kMicrosecond);
    if (real_time()) b->UseRealTime();
    return b;
}

/// Reports `per_iteration` items (samples, sequences) per second under the counter `name`.
inline void set_rate(benchmark::State& state, double per_iteration, const char* name = "samples_per_s") {
    state.counters[name] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

/// Training steps while the state runs: loss_of() builds the forward and the loss, then the update as a user writes
/// it: `fused`, opt.backward_and_step(loss) (the SGD update inside backward); else loss.backward(); opt.step(). Then
/// opt.zero_grad().
template <class Opt, class LossOf>
void train_steps(benchmark::State& state, Opt& opt, LossOf loss_of, bool fused) {
    for (auto _ : state) {
        const auto loss = loss_of();
        if (fused) {
            opt.backward_and_step(loss);
        } else {
            loss.backward();
            opt.step();
        }
        opt.zero_grad();
        benchmark::DoNotOptimize(loss.item());
    }
}

/// Records in the benchmark's context the OpenBLAS kernels in use (OPENBLAS_CORETYPE or its own detection) and
/// whose GEMM deltagrad runs (blas.hpp, Kernel): GEMM-bound figures depend on both.
inline void add_kernel_context() {
    benchmark::AddCustomContext("openblas_core", openblas_get_corename());
    benchmark::AddCustomContext("gemm_kernel", blas::kernel_name(blas::gemm_kernel()));
}

/// The usual main after registering: runs the benchmarks the command line selects; 1 for an unknown argument.
inline int run_benchmarks(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // namespace dg::bench
