// A small classification problem trained for a few steps either by one plain process (DataLoader, no MPI) or by
// DataParallel + ShardedLoader on every rank: the two sides the distributed tests compare.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/distributed/data_parallel.hpp"

namespace dg::test {

struct TrainSetup {
    std::size_t samples = 64;
    std::size_t global_batch = 16;   ///< 2m: the single process's batch, split across the ranks
    std::size_t steps = 6;
    std::string optimizer = "sgd";   ///< "sgd" (lr 0.1, momentum 0.9) or "adam" (lr 1e-2)
    std::uint64_t seed = 7;          ///< data order and rank 0's initial weights
    bool seed_by_rank = true;        ///< distributed: rank r initialises with seed + r (the broadcast must fix it)
    dist::DataParallelOptions options = {};
    std::function<void(std::size_t step)> on_step;  ///< distributed: called before each step's backward
};

/// The dataset of every run: 8 features, 4 classes, fixed by `seed`.
data::Dataset<float> make_dataset(std::size_t samples, std::uint64_t seed);

/// The parameters (in named_parameters() order) after `setup.steps` single-process steps with the global batch.
std::vector<Array<float>> train_single(const TrainSetup& setup);

struct DistributedRun {
    std::vector<Array<float>> params;
    bool in_sync = false;              ///< DataParallel::parameters_in_sync() at the end
    std::uint64_t allreduce_calls = 0;
    std::size_t buckets = 0;
};
/// The same training with DataParallel + ShardedLoader on every rank of the test environment.
DistributedRun train_distributed(const TrainSetup& setup);

}  // namespace dg::test
