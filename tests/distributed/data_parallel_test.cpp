// DataParallel and ShardedLoader under mpirun (-np 1 and -np 2): the broadcast, the equivalence with one process
// training on the same global batch, reproducibility, one allreduce per bucket, and the sharded loader's slices.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>

#include "mpi_env.hpp"
#include "nn/data/loader.hpp"
#include "nn/distributed/sharded_loader.hpp"
#include "training.hpp"

namespace dg::test {
namespace {

/// Largest |a - b| over every parameter element.
double max_abs_diff(const std::vector<Array<float>>& a, const std::vector<Array<float>>& b) {
    EXPECT_EQ(a.size(), b.size());
    double worst = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        EXPECT_EQ(a[i].size(), b[i].size());
        for (std::size_t k = 0; k < a[i].size(); ++k)
            worst = std::max(worst, std::abs(double(a[i].data()[k]) - double(b[i].data()[k])));
    }
    return worst;
}

bool bit_identical(const std::vector<Array<float>>& a, const std::vector<Array<float>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
            return false;
    return true;
}

// The tolerance of "same parameters as one process, to float round-off". Both runs do the same arithmetic except
// the order of one sum: a weight gradient ΔW = δᵀa sums over the batch rows, one process over all 2m rows, the
// distributed run over m rows per rank and then the two halves (×½ is exact). Each reordered float sum differs by
// a few ulp of its terms (|g| ≲ 1, ulp = 6e-8), i.e. ≲ 1e-6 in a gradient; SGD (lr 0.1, momentum 0.9) accumulates
// that over 6 steps to ≲ 6 · 0.1 · 10 · 1e-6 ≈ 6e-6 in a parameter; Adam's normalised step is at most lr = 1e-2
// times a relative error of the same order. Measured: 3e-8 (SGD) and 6e-8 (Adam), i.e. 1-2 ulp. 1e-5 is the bound
// with margin and still ~1000× smaller than what training moves (a wrong shard, weight or missing gradient shows
// up at ≥ 1e-2: see the self-check below).
constexpr double round_off_tolerance = 1e-5;

TEST(ShardRange, PartitionsRowsIntoContiguousSlicesInRankOrder) {
    for (std::size_t rows : {0u, 1u, 2u, 5u, 16u, 17u})
        for (int size : {1, 2, 3, 4}) {
            std::size_t next = 0;
            for (int r = 0; r < size; ++r) {
                auto [first, count] = dist::shard_range(rows, r, size);
                EXPECT_EQ(first, next) << rows << " rows, rank " << r << " of " << size;
                EXPECT_LE(count, rows / size + 1);
                EXPECT_GE(count, rows / size);
                next = first + count;
            }
            EXPECT_EQ(next, rows);
        }
    EXPECT_EQ(dist::shard_range(5, 0, 2), std::make_pair(std::size_t(0), std::size_t(3)));
    EXPECT_EQ(dist::shard_range(5, 1, 2), std::make_pair(std::size_t(3), std::size_t(2)));
    EXPECT_THROW(dist::shard_range(5, 2, 2), ValueError);
}

TEST(ShardedLoader, ShardsAreSlicesOfTheSingleProcessBatchesAndStateIsTheSame) {
    const dist::Environment& env = mpi_env();
    const data::Dataset<float> data = make_dataset(23, 3);
    data::DataLoader<float> single(data, {5}, Generator(11));
    dist::ShardedLoader<float> sharded(env, data, {5}, Generator(11));
    for (int epoch = 0; epoch < 2; ++epoch) {
        while (single.next()) {
            ASSERT_TRUE(sharded.next());
            const data::Batch<float>& g = single.batch();
            const data::Batch<float>& mine = sharded.batch();
            ASSERT_EQ(sharded.global_batch_size(), g.size());
            auto [first, count] = dist::shard_range(g.size(), env.rank(), env.size());
            ASSERT_EQ(mine.size(), count);
            ASSERT_EQ(mine.x.shape()[0], count);
            for (std::size_t i = 0; i < count; ++i) {
                EXPECT_EQ(mine.indices[i], g.indices[first + i]);
                for (std::size_t f = 0; f < 8; ++f) EXPECT_EQ(mine.x(i, f), g.x(first + i, f));
                EXPECT_EQ(mine.y(i), g.y(first + i));
            }
            EXPECT_EQ(data::to_text(sharded.state()), data::to_text(single.state()));
        }
        EXPECT_FALSE(sharded.next());
    }
}

TEST(DataParallel, BroadcastsRank0sInitialParameters) {
    TrainSetup s;
    s.steps = 0;  // rank r initialises with seed + r: only the broadcast can make them equal
    const DistributedRun run = train_distributed(s);
    EXPECT_TRUE(run.in_sync);
    EXPECT_TRUE(bit_identical(run.params, train_single(s)));  // rank 0's initialisation, on every rank
}

TEST(DataParallel, MatchesOneProcessWithTheSameGlobalBatchSgd) {
    TrainSetup s;  // 2m = 16: m = 8 rows per rank with 2 ranks, 6 steps of SGD with momentum
    const DistributedRun run = train_distributed(s);
    const auto single = train_single(s);
    EXPECT_TRUE(run.in_sync);
    const double diff = max_abs_diff(run.params, single);
    std::cout << "[" << mpi_env().where() << "] SGD: max |distributed - single| = " << diff << "\n";
    if (mpi_env().size() == 1)
        EXPECT_TRUE(bit_identical(run.params, single)) << "one rank must reproduce the plain loop exactly";
    EXPECT_LE(diff, round_off_tolerance);
    // Self-check: training actually moved the parameters by far more than the tolerance.
    TrainSetup none = s;
    none.steps = 0;
    EXPECT_GT(max_abs_diff(train_single(none), single), 100 * round_off_tolerance);
}

TEST(DataParallel, MatchesOneProcessWithTheSameGlobalBatchAdam) {
    TrainSetup s;
    s.optimizer = "adam";
    const DistributedRun run = train_distributed(s);
    const auto single = train_single(s);
    EXPECT_TRUE(run.in_sync);
    const double diff = max_abs_diff(run.params, single);
    std::cout << "[" << mpi_env().where() << "] Adam: max |distributed - single| = " << diff << "\n";
    if (mpi_env().size() == 1) EXPECT_TRUE(bit_identical(run.params, single));
    EXPECT_LE(diff, round_off_tolerance);
}

TEST(DataParallel, UnevenShardsTailBatchesAndEmptyShardsStillMatch) {
    TrainSetup s;
    s.samples = 23;
    s.global_batch = 5;  // shards of 3 and 2 rows; each epoch ends with a batch of 3 (2 + 1)
    s.steps = 12;
    const DistributedRun run = train_distributed(s);
    EXPECT_TRUE(run.in_sync);
    EXPECT_LE(max_abs_diff(run.params, train_single(s)), round_off_tolerance);

    s.global_batch = 1;  // plain SGD: with 2 ranks one of them has no rows at every step
    s.steps = 8;
    const DistributedRun single_row = train_distributed(s);
    EXPECT_TRUE(single_row.in_sync);
    EXPECT_LE(max_abs_diff(single_row.params, train_single(s)), round_off_tolerance);
}

TEST(DataParallel, BitIdenticalWhenRunTwiceWithTheSameSeed) {
    TrainSetup s;
    s.optimizer = "adam";
    const DistributedRun a = train_distributed(s);
    const DistributedRun b = train_distributed(s);
    EXPECT_TRUE(bit_identical(a.params, b.params));
    s.seed = 8;  // and a different seed really gives different parameters
    EXPECT_FALSE(bit_identical(a.params, train_distributed(s).params));
}

TEST(DataParallel, OneAllreducePerBucketPerStepAndBucketingDoesNotChangeTheResult) {
    TrainSetup s;
    const DistributedRun one = train_distributed(s);
    EXPECT_EQ(one.buckets, 1u);  // 8·16 + 16 + 16·16 + 16 + 16·4 + 4 = 484 floats (+ 6 flags) in one 25 MiB bucket
    EXPECT_EQ(one.allreduce_calls, s.steps);

    s.options.bucket_bytes = 256;  // 64 floats a bucket: ceil(490 / 64) = 8 calls a step
    const DistributedRun many = train_distributed(s);
    EXPECT_EQ(many.buckets, 8u);
    EXPECT_EQ(many.allreduce_calls, 8 * s.steps);
    EXPECT_TRUE(bit_identical(one.params, many.params));  // an elementwise sum does not depend on the chunking
}

}  // namespace
}  // namespace dg::test
