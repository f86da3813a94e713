// distributed_scaling: samples/s of data-parallel training (784-512-512-10 ReLU, float, SGD) under mpirun with
// any number of ranks, and the share of each step spent in the gradient allreduce. Not a Google Benchmark
// program (it runs under mpirun); built with the distributed tests. Results: benchmarks/RESULTS.md.
//   OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 mpirun -np 2 build-mpi/bin/distributed_scaling --batch 128 --steps 200
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "nn/distributed/distributed.hpp"
#include "nn/loss.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/optim/sgd.hpp"

namespace {

using namespace dg;
using Clock = std::chrono::steady_clock;

struct Args {
    std::size_t batch = 128;  // global batch when !per_rank, else per rank
    bool per_rank = false;    // weak scaling: each rank keeps `batch` rows
    std::size_t steps = 200;
    std::size_t warmup = 20;
    std::string spec = "784-512-512-10:relu";
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        const auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : throw ValueError(k + ": missing value"); };
        if (k == "--batch") a.batch = std::stoul(value());
        else if (k == "--steps") a.steps = std::stoul(value());
        else if (k == "--warmup") a.warmup = std::stoul(value());
        else if (k == "--spec") a.spec = value();
        else if (k == "--per-rank") a.per_rank = true;
        else throw ValueError("unknown option " + k + " (--batch N --steps N --warmup N --spec S --per-rank)");
    }
    return a;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
    dist::Environment env(&argc, &argv);
    return env.run([&] {
        const Args a = parse(argc, argv);
        const std::size_t global = a.per_rank ? a.batch * std::size_t(env.size()) : a.batch;
        Generator gen(1);
        nn::Mlp<float> model(a.spec, gen);
        const std::size_t in = model.parameters().front().shape()[1];
        const std::size_t classes = model.parameters().back().shape()[0];
        data::Dataset<float> data;
        data.x = Array<float>::from_shape({std::size_t(8192), in});
        data.y = Array<float>::from_shape({std::size_t(8192)});
        data.num_classes = classes;
        for (auto& v : data.x) v = float(gen.uniform());
        for (auto& v : data.y) v = float(gen.below(classes));

        optim::SGD<float> opt(model.parameters(), optim::SGDOptions(0.01));
        dist::DataParallel<float> ddp(env, model, opt);
        dist::ShardedLoader<float> loader(env, data, {global, true, true}, Generator(2));
        Clock::duration compute{}, reduce{};
        Clock::time_point start;
        for (std::size_t step = 0; step < a.warmup + a.steps;) {
            if (!loader.next()) continue;
            if (step == a.warmup) {
                env.barrier();
                start = Clock::now();
                compute = reduce = {};
            }
            const auto t0 = Clock::now();
            const data::Batch<float>& b = loader.batch();
            opt.zero_grad();
            nn::cross_entropy(model(Tensor<float>(b.x)), Tensor<float>(b.y)).backward();
            const auto t1 = Clock::now();
            ddp.all_reduce_gradients(b.size(), loader.global_batch_size());  // includes waiting for the slower rank
            const auto t2 = Clock::now();
            opt.step();
            compute += (t1 - t0) + (Clock::now() - t2);
            reduce += t2 - t1;
            ++step;
        }
        env.barrier();
        const double total = seconds(Clock::now() - start);
        if (env.is_root()) {
            const double bytes = double(ddp.gradient_elements()) * sizeof(float);
            std::printf("%s ranks %d, global batch %zu (%zu per rank), %zu steps: %.0f samples/s, %.2f ms/step "
                        "(forward+backward+step %.2f ms, allreduce %.2f ms = %.0f%%), gradient %.2f MB in %zu bucket(s)\n",
                        a.spec.c_str(), env.size(), global, global / std::size_t(env.size()), a.steps,
                        double(global * a.steps) / total, 1e3 * total / double(a.steps),
                        1e3 * seconds(compute) / double(a.steps), 1e3 * seconds(reduce) / double(a.steps),
                        100.0 * seconds(reduce) / total, bytes / 1e6, ddp.buckets());
        }
        return 0;
    });
}
