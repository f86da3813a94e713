// LeNet-5 at batch 64, float32, through deltagrad's ops: each layer's forward + backward on its own (µs), the
// convolutions' forward alone, the whole training step (forward, softmax cross-entropy, backward, SGD update) on one
// and on two threads, and batch / layer normalisation at the sizes a deeper CNN would use them. LeNet-5: pad-2 conv 6@5x5, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, flatten,
// 120, 84, 10 (ReLU between). Wall time: the two-thread step needs it.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "autograd/kernels/parallel.hpp"
#include "autograd/ops.hpp"
#include "nn/optim/sgd.hpp"

namespace {

using T = float;
using dg::Tensor;
constexpr std::size_t batch = 64;

Tensor<T> randn(const dg::Shape& shape, dg::Generator& gen, double stddev, bool requires_grad) {
    return Tensor<T>::randn(shape, gen, T(0), T(stddev), requires_grad);
}

/// The parameters of LeNet-5, PyTorch's default-like scale (1/√fan_in).
struct LeNet {
    dg::Generator gen{42};
    Tensor<T> c1w = randn({6, 1, 5, 5}, gen, 0.2, true), c1b = randn({6}, gen, 0.1, true);
    Tensor<T> c2w = randn({16, 6, 5, 5}, gen, 0.08, true), c2b = randn({16}, gen, 0.1, true);
    Tensor<T> f1w = randn({120, 400}, gen, 0.05, true), f1b = randn({120}, gen, 0.1, true);
    Tensor<T> f2w = randn({84, 120}, gen, 0.09, true), f2b = randn({84}, gen, 0.1, true);
    Tensor<T> f3w = randn({10, 84}, gen, 0.1, true), f3b = randn({10}, gen, 0.1, true);

    std::vector<Tensor<T>> parameters() const { return {c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b}; }

    Tensor<T> logits(const Tensor<T>& x) const {
        Tensor<T> h = dg::max_pool2d(dg::relu(dg::conv2d(x, c1w, c1b, dg::Conv2dOptions{1, 2})), 2);
        h = dg::max_pool2d(dg::relu(dg::conv2d(h, c2w, c2b)), 2);
        h = dg::relu(dg::linear(dg::flatten(h), f1w, f1b));
        h = dg::relu(dg::linear(h, f2w, f2b));
        return dg::linear(h, f3w, f3b);
    }
};

/// A batch of 28x28 images in [0, 1) and class labels.
struct Batch {
    dg::Generator gen{7};
    Tensor<T> x = Tensor<T>::rand({batch, 1, 28, 28}, gen);
    std::vector<std::size_t> labels = [this] {
        std::vector<std::size_t> y(batch);
        for (auto& v : y) v = static_cast<std::size_t>(gen.below(10));
        return y;
    }();
};

void per_sample(benchmark::State& state) {
    state.counters["samples_per_s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}

/// One layer's forward and backward: `layer` maps the input to the output; the input (when it requires grad) and the
/// parameters get their gradients from a fixed output gradient, and are cleared after each iteration.
void layer_bench(benchmark::State& state, const dg::Shape& in_shape, bool input_grad, std::vector<Tensor<T>> params,
                 const std::function<Tensor<T>(const Tensor<T>&)>& layer, bool forward_only) {
    dg::set_num_threads(1);
    dg::Generator gen(3);
    Tensor<T> x = randn(in_shape, gen, 1.0, input_grad);
    const Tensor<T> g = Tensor<T>::ones(layer(x).shape());
    for (auto _ : state) {
        const Tensor<T> y = layer(x);
        if (!forward_only) y.backward(g);
        benchmark::DoNotOptimize(y.value().data());
        if (input_grad) x.zero_grad();
        for (auto& p : params) p.zero_grad();
    }
    per_sample(state);
}

void step(benchmark::State& state, int threads) {
    dg::set_num_threads(threads);
    LeNet net;
    Batch data;
    dg::optim::SGD<T> opt(net.parameters(), dg::optim::SGDOptions(0.01));
    for (auto _ : state) {
        const Tensor<T> loss = dg::softmax_cross_entropy(net.logits(data.x), data.labels);
        loss.backward();
        opt.step();
        opt.zero_grad();
        benchmark::DoNotOptimize(loss.item());
    }
    per_sample(state);
    dg::set_num_threads(1);
}

/// The step under the name benchmarks/compare pairs with torch_bench's (f32/<ours|fused>/lenet5/b64): the thread
/// count from DG_NUM_THREADS (as compare sets it), `fused` written as opt.backward_and_step(loss).
void compare_step(benchmark::State& state, bool fused) {
    dg::set_num_threads(dg::detail::threads_from_environment());
    LeNet net;
    Batch data;
    dg::optim::SGD<T> opt(net.parameters(), dg::optim::SGDOptions(0.01));
    for (auto _ : state) {
        const Tensor<T> loss = dg::softmax_cross_entropy(net.logits(data.x), data.labels);
        if (fused) {
            opt.backward_and_step(loss);
        } else {
            loss.backward();
            opt.step();
        }
        opt.zero_grad();
        benchmark::DoNotOptimize(loss.item());
    }
    per_sample(state);
    dg::set_num_threads(1);
}

void register_all() {
    static LeNet net;
    static Batch data;
    using dg::Shape;
    const dg::Conv2dOptions pad2{1, 2};
    struct Layer {
        const char* name;
        Shape input;
        bool input_grad;
        std::vector<Tensor<T>> params;
        std::function<Tensor<T>(const Tensor<T>&)> f;
    };
    std::vector<Layer> layers = {
        {"conv1+relu", {batch, 1, 28, 28}, false, {net.c1w, net.c1b},
         [pad2](const Tensor<T>& x) { return dg::relu(dg::conv2d(x, net.c1w, net.c1b, pad2)); }},
        {"pool1", {batch, 6, 28, 28}, true, {}, [](const Tensor<T>& x) { return dg::max_pool2d(x, 2); }},
        {"conv2+relu", {batch, 6, 14, 14}, true, {net.c2w, net.c2b},
         [](const Tensor<T>& x) { return dg::relu(dg::conv2d(x, net.c2w, net.c2b)); }},
        {"pool2", {batch, 16, 10, 10}, true, {}, [](const Tensor<T>& x) { return dg::max_pool2d(x, 2); }},
        {"flatten", {batch, 16, 5, 5}, true, {}, [](const Tensor<T>& x) { return dg::flatten(x); }},
        {"fc1+relu", {batch, 400}, true, {net.f1w, net.f1b},
         [](const Tensor<T>& x) { return dg::relu(dg::linear(x, net.f1w, net.f1b)); }},
        {"fc2+relu", {batch, 120}, true, {net.f2w, net.f2b},
         [](const Tensor<T>& x) { return dg::relu(dg::linear(x, net.f2w, net.f2b)); }},
        {"fc3+loss", {batch, 84}, true, {net.f3w, net.f3b},
         [](const Tensor<T>& x) { return dg::softmax_cross_entropy(dg::linear(x, net.f3w, net.f3b), data.labels); }},
    };
    // Not in LeNet-5: the normalisations a deeper CNN would add after conv2 and fc1 (training mode, affine).
    static Tensor<T> gamma = Tensor<T>::ones({16}, true), beta = Tensor<T>::zeros({16}, true);
    static Tensor<T> running_mean = Tensor<T>::zeros({16}), running_var = Tensor<T>::ones({16});
    static Tensor<T> ln_gamma = Tensor<T>::ones({120}, true), ln_beta = Tensor<T>::zeros({120}, true);
    layers.push_back({"batch_norm(conv2)", {batch, 16, 10, 10}, true, {gamma, beta}, [](const Tensor<T>& x) {
                          return dg::batch_norm(x, gamma, beta, running_mean, running_var, true);
                      }});
    layers.push_back({"layer_norm(fc1)", {batch, 120}, true, {ln_gamma, ln_beta},
                      [](const Tensor<T>& x) { return dg::layer_norm(x, {120}, ln_gamma, ln_beta); }});
    for (const Layer& l : layers) {
        const std::string name = std::string("f32/lenet5/b64/") + l.name;
        benchmark::RegisterBenchmark(name.c_str(), layer_bench, l.input, l.input_grad, l.params, l.f, false)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
        if (std::string(l.name).rfind("conv", 0) == 0)
            benchmark::RegisterBenchmark((name + "/forward").c_str(), layer_bench, l.input, l.input_grad, l.params,
                                         l.f, true)
                ->Unit(benchmark::kMicrosecond)
                ->UseRealTime();
    }
    for (int threads : {1, 2})
        benchmark::RegisterBenchmark(("f32/lenet5/b64/step/threads:" + std::to_string(threads)).c_str(), step, threads)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
    // For benchmarks/compare: CPU time of the calling thread unless DG_BENCH_TIME=real (as mlp_step_bench).
    const char* time = std::getenv("DG_BENCH_TIME");
    const bool real = time && std::string(time) == "real";
    for (bool fused : {false, true}) {
        auto* b = benchmark::RegisterBenchmark(fused ? "f32/fused/lenet5/b64" : "f32/ours/lenet5/b64", compare_step,
                                               fused);
        b->Unit(benchmark::kMicrosecond);
        if (real) b->UseRealTime();
    }
}

}  // namespace

extern "C" char* openblas_get_corename(void);  // from <cblas.h>, which cannot share a file with xtensor-blas

int main(int argc, char** argv) {
    benchmark::AddCustomContext("openblas_core", openblas_get_corename());
    benchmark::AddCustomContext("gemm_kernel",
                                dg::blas::gemm_kernel() == dg::blas::Kernel::deltagrad ? "deltagrad" : "openblas");
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
