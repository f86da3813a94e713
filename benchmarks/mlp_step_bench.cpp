// One full MLP training step (forward, softmax cross-entropy, backward, SGD update, zero_grad) through autograd,
// and the same step computed by the delta reference (delta_sgd_step: the allocation-free floor), in float and
// double, reported as samples/s. Names: <type>/<impl>/<spec>/b<batch>, e.g. f32/ours/784-100-10:sigmoid/b256,
// where impl is ours (backward, then step), fused (backward_and_step) or floor;
// benchmarks/compare and torch_bench.cpp use the same names so rows line up.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "benchmarks/step_bench.hpp"
#include "nn/loss.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_sgd.hpp"

namespace {

struct Workload {
    const char* spec;
    std::size_t batch;
};

// The workloads of the performance issue: 784-100-10 sigmoid and ReLU at five batch sizes, one wider net.
std::vector<Workload> workloads() {
    std::vector<Workload> w;
    for (const char* spec : {"784-100-10:sigmoid", "784-100-10:relu"})
        for (std::size_t b : {1, 16, 64, 256, 1024}) w.push_back({spec, b});
    w.push_back({"784-512-512-10:relu", 256});
    return w;
}

constexpr double lr = 0.01;  // small enough that the weights stay sane over millions of steps

// A fixed batch: inputs uniform in [0, 1) (as scaled pixels), class targets uniform over 10 classes.
template <class T>
struct Batch {
    dg::Tensor<T> x;
    std::vector<std::size_t> target;
    dg::Array<T> onehot;
};

template <class T>
Batch<T> make_batch(std::size_t batch, std::size_t in, std::size_t classes, dg::Generator& gen) {
    Batch<T> b;
    b.x = dg::Tensor<T>::rand({batch, in}, gen);
    b.onehot = dg::Array<T>::from_shape({batch, classes});
    b.onehot.fill(T(0));
    for (std::size_t i = 0; i < batch; ++i) {
        b.target.push_back(static_cast<std::size_t>(gen.uniform(0, static_cast<double>(classes))) % classes);
        b.onehot(i, b.target.back()) = T(1);
    }
    return b;
}

// Autograd: what a user writes. `fused` steps with opt.backward_and_step(loss) (the SGD update inside backward,
// in the weight-gradient GEMMs) instead of loss.backward(); opt.step().
template <class T, bool fused>
void ours(benchmark::State& state, Workload w) {
    dg::Generator gen(42);
    dg::nn::Mlp<T> model(w.spec, gen);
    dg::optim::SGD<T> opt(model.parameters(), dg::optim::SGDOptions(lr));
    const auto& sizes = model.spec().sizes;
    Batch<T> data = make_batch<T>(w.batch, sizes.front(), sizes.back(), gen);
    dg::bench::train_steps(state, opt, [&] { return dg::nn::cross_entropy(model(data.x), data.target); }, fused);
    dg::bench::set_rate(state, double(w.batch));
}

// The delta reference on the same network and batch: the floor.
template <class T>
void floor_step(benchmark::State& state, Workload w) {
    dg::Generator gen(42);
    dg::nn::Mlp<T> model(w.spec, gen);
    dg::reference::MlpParams<T> net;
    for (const auto& layer : model.layer_arrays())
        net.layers.push_back({layer.W, layer.b, layer.activation.kind, static_cast<T>(layer.activation.alpha)});
    const auto& sizes = model.spec().sizes;
    Batch<T> data = make_batch<T>(w.batch, sizes.front(), sizes.back(), gen);
    dg::reference::SgdWorkspace<T> ws;
    for (auto _ : state) {
        T loss = dg::reference::delta_sgd_step(net, data.x.value(), data.onehot, dg::reference::Loss::softmax_ce,
                                               T(lr), T(0), ws);
        benchmark::DoNotOptimize(loss);
    }
    dg::bench::set_rate(state, double(w.batch));
}

template <class T>
void register_all(const char* type) {
    for (const Workload& w : workloads()) {
        const std::string suffix = std::string("/") + w.spec + "/b" + std::to_string(w.batch);
        const std::string prefix = std::string(type) + "/";
        // Per CPU second of the calling thread, or per wall second with DG_BENCH_TIME=real (step_bench.hpp).
        dg::bench::compare_clock(benchmark::RegisterBenchmark((prefix + "ours" + suffix).c_str(), ours<T, false>, w));
        dg::bench::compare_clock(benchmark::RegisterBenchmark((prefix + "fused" + suffix).c_str(), ours<T, true>, w));
        dg::bench::compare_clock(benchmark::RegisterBenchmark((prefix + "floor" + suffix).c_str(), floor_step<T>, w));
    }
}

}  // namespace

int main(int argc, char** argv) {
    dg::bench::add_kernel_context();
    register_all<float>("f32");
    register_all<double>("f64");
    return dg::bench::run_benchmarks(argc, argv);
}
