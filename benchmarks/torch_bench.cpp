// The libtorch side of the comparison (built only when Torch is found): the same MLP training step as
// mlp_step_bench.cpp (forward, cross-entropy, backward, SGD update, zero_grad), the same tiny-op chain as
// op_overhead_bench.cpp, and the CNN and recurrent steps of conv_bench.cpp and recurrent_bench.cpp, under the same
// benchmark names with impl "torch". Intra-op threads come from
// DG_TORCH_THREADS (default 1); OpenBLAS threads from OPENBLAS_NUM_THREADS, as for our programs.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Workload {
    std::vector<int64_t> sizes;
    bool relu;
    int64_t batch;
    std::string spec;
};

std::vector<Workload> workloads() {
    std::vector<Workload> w;
    for (bool relu : {false, true})
        for (int64_t b : {1, 16, 64, 256, 1024})
            w.push_back({{784, 100, 10}, relu, b, relu ? "784-100-10:relu" : "784-100-10:sigmoid"});
    w.push_back({{784, 512, 512, 10}, true, 256, "784-512-512-10:relu"});
    return w;
}

// Linear layers with the activation between them, as nn::Mlp builds them (linear output: logits).
struct MlpImpl : torch::nn::Module {
    MlpImpl(const std::vector<int64_t>& sizes, bool relu) : relu_(relu) {
        for (std::size_t l = 1; l < sizes.size(); ++l)
            layers_.push_back(register_module("fc" + std::to_string(l), torch::nn::Linear(sizes[l - 1], sizes[l])));
    }
    torch::Tensor forward(torch::Tensor x) {
        for (std::size_t l = 0; l < layers_.size(); ++l) {
            x = layers_[l]->forward(x);
            if (l + 1 < layers_.size()) x = relu_ ? torch::relu(x) : torch::sigmoid(x);
        }
        return x;
    }
    bool relu_;
    std::vector<torch::nn::Linear> layers_;
};

// The timed loop of a classifier's training step, the same for the MLP and the CNNs: cross-entropy of the model's
// logits, backward, SGD, zero_grad; the rate in samples (rows of x) per second.
template <class Model>
void classifier_steps(benchmark::State& state, Model& model, torch::optim::SGD& opt, const torch::Tensor& x,
                      const torch::Tensor& target) {
    for (auto _ : state) {
        torch::Tensor loss = torch::nn::functional::cross_entropy(model.forward(x), target);
        loss.backward();
        opt.step();
        opt.zero_grad();
        benchmark::DoNotOptimize(loss.item<double>());
    }
    state.counters["samples_per_s"] =
        benchmark::Counter(static_cast<double>(x.size(0)), benchmark::Counter::kIsIterationInvariantRate);
}

void step(benchmark::State& state, Workload w, torch::Dtype dtype) {
    torch::manual_seed(42);
    MlpImpl model(w.sizes, w.relu);
    model.to(dtype);
    torch::optim::SGD opt(model.parameters(), torch::optim::SGDOptions(0.01));
    const torch::Tensor x = torch::rand({w.batch, w.sizes.front()}, torch::TensorOptions().dtype(dtype));
    const torch::Tensor target = torch::randint(w.sizes.back(), {w.batch}, torch::kLong);
    classifier_steps(state, model, opt, x, target);
}

// x = x * w + b on [1,1] tensors, 1000 times, then backward: 2000 ops per chain.
void tiny_op_chain(benchmark::State& state) {
    const int steps = 1000;
    torch::Tensor w = torch::full({1, 1}, 0.999f, torch::requires_grad());
    torch::Tensor b = torch::full({1, 1}, 0.001f, torch::requires_grad());
    torch::Tensor x0 = torch::full({1, 1}, 1.0f, torch::requires_grad());
    for (auto _ : state) {
        torch::Tensor x = x0;
        for (int i = 0; i < steps; ++i) x = x * w + b;
        x.backward();
        benchmark::DoNotOptimize(w.grad().item<float>());
        w.mutable_grad().reset();
        b.mutable_grad().reset();
        x0.mutable_grad().reset();
    }
    state.counters["per_op"] = benchmark::Counter(2.0 * steps, benchmark::Counter::kIsIterationInvariantRate |
                                                                   benchmark::Counter::kInvert);
}

// LeNet-5 as conv_bench.cpp builds it: pad-2 conv 6@5x5, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, flatten,
// 120, 84, 10 (ReLU between); 1x28x28 inputs in [0, 1), batch 64.
struct LeNetImpl : torch::nn::Module {
    torch::nn::Conv2d c1{register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 6, 5).padding(2)))};
    torch::nn::Conv2d c2{register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)))};
    torch::nn::Linear f1{register_module("f1", torch::nn::Linear(400, 120))};
    torch::nn::Linear f2{register_module("f2", torch::nn::Linear(120, 84))};
    torch::nn::Linear f3{register_module("f3", torch::nn::Linear(84, 10))};
    torch::Tensor forward(torch::Tensor x) {
        x = torch::max_pool2d(torch::relu(c1->forward(x)), 2);
        x = torch::max_pool2d(torch::relu(c2->forward(x)), 2);
        x = torch::relu(f1->forward(x.flatten(1)));
        x = torch::relu(f2->forward(x));
        return f3->forward(x);
    }
};

// conv_bench.cpp's cnn-c32-c64-bn row: the README's recommended CNN, 1x28x28-c32k3p1-bn-relu-m2-c64k3p1-bn-relu-m2-
// flat-128-relu-10 (batch norm in training mode, as nn::Cnn builds it).
struct CnnImpl : torch::nn::Module {
    torch::nn::Conv2d c1{register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3).padding(1)))};
    torch::nn::BatchNorm2d b1{register_module("b1", torch::nn::BatchNorm2d(32))};
    torch::nn::Conv2d c2{register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)))};
    torch::nn::BatchNorm2d b2{register_module("b2", torch::nn::BatchNorm2d(64))};
    torch::nn::Linear f1{register_module("f1", torch::nn::Linear(64 * 7 * 7, 128))};
    torch::nn::Linear f2{register_module("f2", torch::nn::Linear(128, 10))};
    torch::Tensor forward(torch::Tensor x) {
        x = torch::max_pool2d(torch::relu(b1->forward(c1->forward(x))), 2);
        x = torch::max_pool2d(torch::relu(b2->forward(c2->forward(x))), 2);
        x = torch::relu(f1->forward(x.flatten(1)));
        return f2->forward(x);
    }
};

// One training step of a CNN on 1x28x28 inputs in [0, 1), batch 64.
template <class Net>
void cnn_step(benchmark::State& state) {
    const int64_t batch = 64;
    torch::manual_seed(42);
    Net model;
    torch::optim::SGD opt(model.parameters(), torch::optim::SGDOptions(0.01));
    const torch::Tensor x = torch::rand({batch, 1, 28, 28});
    const torch::Tensor target = torch::randint(10, {batch}, torch::kLong);
    classifier_steps(state, model, opt, x, target);
}

// recurrent_bench.cpp's setting (issue 19): embedding 64 (vocabulary 64) -> torch::nn::RNN (tanh) or LSTM, hidden
// 128, one layer -> 64-way linear head, cross-entropy at every step, sequence 32, batch 32, SGD. Rate: sequences/s.
void recurrent_step(benchmark::State& state, bool lstm) {
    const int64_t steps = 32, batch = 32, vocab = 64, embed = 64, hidden = 128, classes = 64;
    torch::manual_seed(42);
    torch::nn::Embedding table(vocab, embed);
    torch::nn::RNN rnn(torch::nn::RNNOptions(embed, hidden).nonlinearity(torch::kTanh));
    torch::nn::LSTM cell(torch::nn::LSTMOptions(embed, hidden));
    torch::nn::Linear head(hidden, classes);
    std::vector<torch::Tensor> params = table->parameters();
    for (const auto& p : (lstm ? cell->parameters() : rnn->parameters())) params.push_back(p);
    for (const auto& p : head->parameters()) params.push_back(p);
    torch::optim::SGD opt(params, torch::optim::SGDOptions(0.01));
    const torch::Tensor ids = torch::randint(vocab, {steps, batch}, torch::kLong);
    const torch::Tensor target = torch::randint(classes, {steps * batch}, torch::kLong);
    for (auto _ : state) {
        const torch::Tensor x = table->forward(ids);  // [T, N, E]
        const torch::Tensor h = lstm ? std::get<0>(cell->forward(x)) : std::get<0>(rnn->forward(x));  // [T, N, H]
        torch::Tensor loss = torch::nn::functional::cross_entropy(head->forward(h.reshape({steps * batch, hidden})),
                                                                  target);
        loss.backward();
        opt.step();
        opt.zero_grad();
        benchmark::DoNotOptimize(loss.item<double>());
    }
    state.counters["sequences_per_s"] =
        benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
    const char* threads = std::getenv("DG_TORCH_THREADS");
    torch::set_num_threads(threads ? std::atoi(threads) : 1);
    // CPU time of the calling thread by default; DG_BENCH_TIME=real for wall time (as mlp_step_bench).
    const char* time = std::getenv("DG_BENCH_TIME");
    const bool real = time && std::string(time) == "real";
    for (const Workload& w : workloads()) {
        const std::string suffix = "/torch/" + w.spec + "/b" + std::to_string(w.batch);
        for (auto* b : {benchmark::RegisterBenchmark(("f32" + suffix).c_str(), step, w, torch::kFloat32),
                        benchmark::RegisterBenchmark(("f64" + suffix).c_str(), step, w, torch::kFloat64)}) {
            b->Unit(benchmark::kMicrosecond);
            if (real) b->UseRealTime();
        }
    }
    // The CNN and recurrent steps (conv_bench.cpp and recurrent_bench.cpp register ours under the same names).
    for (auto* b : {benchmark::RegisterBenchmark("f32/torch/lenet5/b64", cnn_step<LeNetImpl>),
                    benchmark::RegisterBenchmark("f32/torch/cnn-c32-c64-bn/b64", cnn_step<CnnImpl>),
                    benchmark::RegisterBenchmark("f32/torch/rnn-tanh-h128-T32/b32", recurrent_step, false),
                    benchmark::RegisterBenchmark("f32/torch/lstm-h128-T32/b32", recurrent_step, true)}) {
        b->Unit(benchmark::kMicrosecond);
        if (real) b->UseRealTime();
    }
    benchmark::RegisterBenchmark("BM_TinyOpChain/torch", tiny_op_chain)->Unit(benchmark::kMicrosecond);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
