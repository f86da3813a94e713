// LeNet-5 at batch 64, float32, through deltagrad's ops: each layer's forward + backward on its own (µs), the
// convolutions' forward alone, the whole training step (forward, softmax cross-entropy, backward, SGD update) on one
// and on two threads, and batch / layer normalisation at the sizes a deeper CNN would use them. LeNet-5: pad-2 conv
// 6@5x5, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, flatten, 120, 84, 10 (ReLU between). Wall time: the
// two-thread step needs it. For benchmarks/compare: the LeNet-5 step, its hand-written floor (lenet_floor.hpp) and
// the README's recommended CNN (nn::Cnn) as f32/<ours|fused|floor>/<lenet5|cnn-c32-c64-bn>/b64.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/kernels/parallel.hpp"
#include "autograd/ops.hpp"
#include "benchmarks/lenet_floor.hpp"
#include "benchmarks/step_bench.hpp"
#include "nn/layers/cnn.hpp"
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

void per_sample(benchmark::State& state) { dg::bench::set_rate(state, double(batch)); }

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

constexpr double lr = 0.01;

Tensor<T> lenet_loss(const LeNet& net, const Batch& data) {
    return dg::softmax_cross_entropy(net.logits(data.x), data.labels);
}

void step(benchmark::State& state, int threads) {
    dg::set_num_threads(threads);
    LeNet net;
    Batch data;
    dg::optim::SGD<T> opt(net.parameters(), dg::optim::SGDOptions(lr));
    dg::bench::train_steps(state, opt, [&] { return lenet_loss(net, data); }, false);
    per_sample(state);
    dg::set_num_threads(1);
}

/// The step under the name benchmarks/compare pairs with torch_bench's (f32/<ours|fused>/lenet5/b64): the thread
/// count from DG_NUM_THREADS (as compare sets it), `fused` written as opt.backward_and_step(loss).
void compare_step(benchmark::State& state, bool fused) {
    dg::set_num_threads(dg::detail::threads_from_environment());
    LeNet net;
    Batch data;
    dg::optim::SGD<T> opt(net.parameters(), dg::optim::SGDOptions(lr));
    dg::bench::train_steps(state, opt, [&] { return lenet_loss(net, data); }, fused);
    per_sample(state);
    dg::set_num_threads(1);
}

/// LeNet's parameters as plain arrays, in LeNet::parameters()' order.
std::vector<std::vector<T>> plain(const LeNet& net) {
    std::vector<std::vector<T>> out;
    for (const Tensor<T>& p : net.parameters()) out.emplace_back(p.value().begin(), p.value().end());
    return out;
}

/// f32/floor/lenet5/b64: the hand-written step (lenet_floor.hpp) on the same network and batch, DG_NUM_THREADS threads
/// (its GEMMs split as ours; its loops run on the calling thread). First it checks that it computes the same step as
/// autograd: the parameters after one step of each agree to 1e-5, else the row is an error.
void floor_step(benchmark::State& state) {
    dg::set_num_threads(dg::detail::threads_from_environment());
    LeNet net;
    Batch data;
    dg::bench::LeNetFloor floor(batch, plain(net));
    floor.step(data.x.value().data(), data.labels.data(), T(lr));
    dg::optim::SGD<T> opt(net.parameters(), dg::optim::SGDOptions(lr));
    lenet_loss(net, data).backward();
    opt.step();
    const std::vector<std::vector<T>> want = plain(net);
    for (std::size_t i = 0; i < want.size(); ++i)
        for (std::size_t j = 0; j < want[i].size(); ++j)
            if (!(std::abs(floor.params()[i][j] - want[i][j]) <= 1e-5f)) {
                state.SkipWithError(("the floor's step differs from autograd's: parameter " + std::to_string(i) +
                                     ", element " + std::to_string(j) + ": " + std::to_string(floor.params()[i][j]) +
                                     " against " + std::to_string(want[i][j]))
                                        .c_str());
                return;
            }
    for (auto _ : state) benchmark::DoNotOptimize(floor.step(data.x.value().data(), data.labels.data(), T(lr)));
    per_sample(state);
    dg::set_num_threads(1);
}

/// The README's recommended CNN (nn::Cnn, batch norm in training mode) at batch 64, SGD, DG_NUM_THREADS threads:
/// f32/<ours|fused>/cnn-c32-c64-bn/b64.
constexpr const char* recommended_cnn = "1x28x28-c32k3p1-bn-relu-m2-c64k3p1-bn-relu-m2-flat-128-relu-10";

void cnn_step(benchmark::State& state, bool fused) {
    dg::set_num_threads(dg::detail::threads_from_environment());
    dg::Generator gen(42);
    dg::nn::Cnn<T> cnn(recommended_cnn, gen);
    Batch data;
    dg::optim::SGD<T> opt(cnn.parameters(), dg::optim::SGDOptions(lr));
    dg::bench::train_steps(state, opt, [&] { return dg::softmax_cross_entropy(cnn(data.x), data.labels); }, fused);
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
    // For benchmarks/compare: CPU time of the calling thread unless DG_BENCH_TIME=real (step_bench.hpp).
    for (bool fused : {false, true}) {
        const std::string impl = fused ? "fused" : "ours";
        dg::bench::compare_clock(
            benchmark::RegisterBenchmark(("f32/" + impl + "/lenet5/b64").c_str(), compare_step, fused));
        dg::bench::compare_clock(
            benchmark::RegisterBenchmark(("f32/" + impl + "/cnn-c32-c64-bn/b64").c_str(), cnn_step, fused));
    }
    dg::bench::compare_clock(benchmark::RegisterBenchmark("f32/floor/lenet5/b64", floor_step));
}

}  // namespace

int main(int argc, char** argv) {
    dg::bench::add_kernel_context();
    register_all();
    return dg::bench::run_benchmarks(argc, argv);
}
