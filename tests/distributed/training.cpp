// The two training loops of the distributed tests: identical except for sharding and the gradient allreduce.
#include "training.hpp"

#include <memory>

#include "mpi_env.hpp"
#include "nn/data/loader.hpp"
#include "nn/distributed/sharded_loader.hpp"
#include "nn/loss.hpp"
#include "nn/layers/mlp.hpp"
#include "nn/optim/optim.hpp"

namespace dg::test {
namespace {

constexpr const char* spec = "8-16-16-4:tanh";

std::unique_ptr<optim::Optimizer<float>> make_optimizer(const std::string& name, nn::Module<float>& model) {
    if (name == "sgd") return std::make_unique<optim::SGD<float>>(model.parameters(), optim::SGDOptions(0.1).momentum(0.9));
    return std::make_unique<optim::Adam<float>>(model.parameters(), optim::AdamOptions(1e-2));
}

/// Forward, mean cross-entropy over the batch's rows, backward.
void backward_on(nn::Mlp<float>& model, const data::Batch<float>& b) {
    Tensor<float> logits = model(Tensor<float>(b.x));
    nn::cross_entropy(logits, Tensor<float>(b.y)).backward();
}

std::vector<Array<float>> values(const nn::Module<float>& model) {
    std::vector<Array<float>> out;
    for (const auto& [name, p] : model.named_parameters()) out.push_back(p.value());
    return out;
}

}  // namespace

data::Dataset<float> make_dataset(std::size_t samples, std::uint64_t seed) {
    Generator gen(seed * 1000 + 17);
    data::Dataset<float> d;
    d.x = Array<float>::from_shape({samples, 8});
    d.y = Array<float>::from_shape({samples});
    d.num_classes = 4;
    for (auto& v : d.x) v = float(gen.normal());
    for (auto& v : d.y) v = float(gen.below(4));
    return d;
}

std::vector<Array<float>> train_single(const TrainSetup& s) {
    const data::Dataset<float> data = make_dataset(s.samples, s.seed);
    Generator init(s.seed);
    nn::Mlp<float> model(spec, init);
    auto opt = make_optimizer(s.optimizer, model);
    data::DataLoader<float> loader(data, {s.global_batch}, Generator(s.seed + 1));
    for (std::size_t step = 0; step < s.steps;) {
        if (!loader.next()) continue;  // end of epoch: the next call starts the next one
        opt->zero_grad();
        backward_on(model, loader.batch());
        opt->step();
        ++step;
    }
    return values(model);
}

DistributedRun train_distributed(const TrainSetup& s) {
    const dist::Environment& env = mpi_env();
    const data::Dataset<float> data = make_dataset(s.samples, s.seed);
    Generator init(s.seed + (s.seed_by_rank ? std::uint64_t(env.rank()) : 0));
    nn::Mlp<float> model(spec, init);
    auto opt = make_optimizer(s.optimizer, model);
    dist::DataParallel<float> ddp(env, model, *opt, s.options);
    dist::ShardedLoader<float> loader(env, data, {s.global_batch}, Generator(s.seed + 1));
    for (std::size_t step = 0; step < s.steps;) {
        if (!loader.next()) continue;
        const data::Batch<float>& mine = loader.batch();
        if (s.on_step) s.on_step(step);
        opt->zero_grad();
        if (mine.size() > 0) backward_on(model, mine);  // a rank with no rows contributes zeros
        ddp.step(mine.size(), loader.global_batch_size());
        ++step;
    }
    DistributedRun run;
    run.params = values(model);
    run.in_sync = ddp.parameters_in_sync();
    run.allreduce_calls = ddp.allreduce_calls();
    run.buckets = ddp.buckets();
    return run;
}

}  // namespace dg::test
