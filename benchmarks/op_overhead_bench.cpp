// Per-op overhead: a chain of 1000 tiny ops (x = x * w + b on [1,1] tensors) recorded, then backpropagated.
// Reported per op (2000 ops per chain: one mul, one add per step).
#include <benchmark/benchmark.h>

#include "autograd/ops.hpp"

namespace {

void BM_TinyOpChain(benchmark::State& state) {
    const int steps = 1000;
    dg::Tensorf w = dg::Tensorf::full({1, 1}, 0.999f, true);
    dg::Tensorf b = dg::Tensorf::full({1, 1}, 0.001f, true);
    dg::Tensorf x0 = dg::Tensorf::full({1, 1}, 1.0f, true);
    for (auto _ : state) {
        dg::Tensorf x = x0;
        for (int i = 0; i < steps; ++i) x = x * w + b;
        x.backward();
        benchmark::DoNotOptimize(w.grad().item());
        w.zero_grad();
        b.zero_grad();
        x0.zero_grad();
    }
    // Seconds per op (printed with an SI prefix: "1.2u" is 1.2 µs).
    state.counters["per_op"] = benchmark::Counter(2.0 * steps, benchmark::Counter::kIsIterationInvariantRate |
                                                                   benchmark::Counter::kInvert);
}
BENCHMARK(BM_TinyOpChain)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
