// DataLoader: coverage of every sample per epoch, seeded reproducible orders, drop_last, SGD / full batch,
// buffer reuse, and bit-identical resume from a saved position.
#include <algorithm>
#include <numeric>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autograd/array/errors.hpp"
#include "nn/data/loader.hpp"
#include "test_util.hpp"

namespace dg::data {
namespace {

using ::testing::HasSubstr;
using test::error_of;

/// Row i is (i, 10 i), target (i mod 3, -i): every copied row can be traced back to its sample.
Dataset<float> numbered(std::size_t n) {
    Dataset<float> d;
    d.x = Array<float>::from_shape({n, std::size_t(2)});
    d.y = Array<float>::from_shape({n, std::size_t(2)});
    for (std::size_t i = 0; i < n; ++i) {
        d.x(i, 0) = static_cast<float>(i);
        d.x(i, 1) = 10.0f * static_cast<float>(i);
        d.y(i, 0) = static_cast<float>(i % 3);
        d.y(i, 1) = -static_cast<float>(i);
    }
    return d;
}

/// Runs one epoch; checks each batch's rows against its indices and returns the indices in order.
std::vector<std::vector<std::size_t>> run_epoch(DataLoader<float>& loader) {
    std::vector<std::vector<std::size_t>> batches;
    while (loader.next()) {
        const Batch<float>& b = loader.batch();
        EXPECT_EQ(b.x.shape()[0], b.size());
        EXPECT_EQ(b.y.shape()[0], b.size());
        for (std::size_t r = 0; r < b.size(); ++r) {
            const auto i = static_cast<float>(b.indices[r]);
            EXPECT_EQ(b.x(r, 0), i);
            EXPECT_EQ(b.x(r, 1), 10.0f * i);
            EXPECT_EQ(b.y(r, 1), -i);
        }
        batches.push_back(b.indices);
    }
    return batches;
}

std::vector<std::size_t> flatten(const std::vector<std::vector<std::size_t>>& batches) {
    std::vector<std::size_t> out;
    for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
    return out;
}

std::vector<std::size_t> iota(std::size_t n) {
    std::vector<std::size_t> v(n);
    std::iota(v.begin(), v.end(), std::size_t(0));
    return v;
}

TEST(Loader, EverySampleExactlyOncePerEpoch) {
    const auto data = numbered(10);
    for (std::size_t bs : {1, 3, 4, 7, 10, 64}) {
        SCOPED_TRACE("batch_size " + std::to_string(bs));
        DataLoader<float> loader(data, {bs}, Generator(1));
        const std::size_t full = std::min<std::size_t>(bs, 10);
        EXPECT_EQ(loader.batches_per_epoch(), (10 + full - 1) / full);
        for (int epoch = 0; epoch < 3; ++epoch) {
            const auto batches = run_epoch(loader);
            ASSERT_EQ(batches.size(), loader.batches_per_epoch());
            for (std::size_t k = 0; k + 1 < batches.size(); ++k) EXPECT_EQ(batches[k].size(), full);
            EXPECT_EQ(batches.back().size(), 10 - full * (batches.size() - 1));
            auto all = flatten(batches);
            std::sort(all.begin(), all.end());
            EXPECT_EQ(all, iota(10));
        }
        EXPECT_EQ(loader.epoch(), 3u);
    }
}

TEST(Loader, SameSeedSameOrderOtherEpochOtherOrder) {
    const auto data = numbered(50);
    DataLoader<float> a(data, {8}, Generator(123)), b(data, {8}, Generator(123)), c(data, {8}, Generator(124));
    const auto a1 = flatten(run_epoch(a)), a2 = flatten(run_epoch(a));
    EXPECT_EQ(flatten(run_epoch(b)), a1);
    EXPECT_EQ(flatten(run_epoch(b)), a2);
    EXPECT_NE(a1, a2);  // reshuffled every epoch
    EXPECT_NE(a1, iota(50));
    EXPECT_NE(flatten(run_epoch(c)), a1);  // another seed
}

TEST(Loader, NoShuffleIsIndexOrder) {
    const auto data = numbered(7);
    DataLoader<float> loader(data, {3, false}, Generator(5));
    EXPECT_EQ(run_epoch(loader), (std::vector<std::vector<std::size_t>>{{0, 1, 2}, {3, 4, 5}, {6}}));
    EXPECT_EQ(flatten(run_epoch(loader)), iota(7));
}

TEST(Loader, DropLast) {
    const auto data = numbered(10);
    DataLoader<float> loader(data, {3, true, true}, Generator(9));
    EXPECT_EQ(loader.batches_per_epoch(), 3u);
    for (int epoch = 0; epoch < 4; ++epoch) {
        const auto batches = run_epoch(loader);
        ASSERT_EQ(batches.size(), 3u);
        auto all = flatten(batches);
        for (const auto& b : batches) EXPECT_EQ(b.size(), 3u);
        std::sort(all.begin(), all.end());
        EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());  // 9 distinct samples, one dropped
    }
    EXPECT_THAT(error_of<ValueError>([&] { DataLoader<float>(data, {11, true, true}, Generator(0)); }),
                HasSubstr("would yield no batches"));
}

TEST(Loader, SgdAndFullBatch) {
    const auto data = numbered(6);
    DataLoader<float> sgd(data, {1}, Generator(3));
    const auto batches = run_epoch(sgd);
    ASSERT_EQ(batches.size(), 6u);
    for (const auto& b : batches) EXPECT_EQ(b.size(), 1u);

    DataLoader<float> full(data, {6}, Generator(3));
    const auto one = run_epoch(full);
    ASSERT_EQ(one.size(), 1u);
    auto sorted = one[0];
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, iota(6));
    // The same generator drives both loaders' shuffles, so full batch GD sees SGD's order in one batch.
    EXPECT_EQ(one[0], flatten(batches));
}

TEST(Loader, ReusesBatchBuffers) {
    const auto data = numbered(10);
    DataLoader<float> loader(data, {4}, Generator(2));
    std::vector<const float*> full, tail;
    for (int epoch = 0; epoch < 2; ++epoch)
        while (loader.next()) (loader.batch().size() == 4 ? full : tail).push_back(loader.batch().x.data());
    ASSERT_EQ(full.size(), 4u);
    ASSERT_EQ(tail.size(), 2u);
    EXPECT_TRUE(std::all_of(full.begin(), full.end(), [&](const float* p) { return p == full[0]; }));
    EXPECT_EQ(tail[0], tail[1]);
}

TEST(Loader, BatchBeforeNextThrows) {
    const auto data = numbered(3);
    DataLoader<float> loader(data, {2}, Generator(0));
    EXPECT_THROW(loader.batch(), ValueError);
    EXPECT_THROW(DataLoader<float>(data, {0}, Generator(0)), ValueError);
}

/// Records the rest of the current epoch plus `more` epochs: indices and the x bytes of every batch.
std::vector<std::vector<float>> record(DataLoader<float>& loader, int more) {
    std::vector<std::vector<float>> out;
    for (int e = 0; e <= more; ++e) {
        while (loader.next()) {
            const auto& b = loader.batch();
            std::vector<float> row(b.x.begin(), b.x.end());
            for (auto i : b.indices) row.push_back(static_cast<float>(i));
            out.push_back(row);
        }
        out.push_back({-1.0f});  // epoch boundary marker
    }
    return out;
}

TEST(Loader, ResumeMidEpochIsBitIdentical) {
    const auto data = numbered(23);
    DataLoader<float> a(data, {5}, Generator(77));
    run_epoch(a);
    run_epoch(a);
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(a.next());
    const std::string saved = to_text(a.state());
    const auto expected = record(a, 2);

    DataLoader<float> b(data, {5}, Generator(999));  // a different seed: the state must override it
    b.set_state(loader_state_from_text(saved));
    EXPECT_EQ(b.epoch(), 2u);
    EXPECT_EQ(b.batch_index(), 3u);
    EXPECT_EQ(record(b, 2), expected);
    EXPECT_EQ(b.epoch(), a.epoch());
}

TEST(Loader, ResumeAtEpochBoundaries) {
    const auto data = numbered(12);
    for (int batches_done : {0, 3}) {  // before the first batch of an epoch, and after its last one
        SCOPED_TRACE(batches_done);
        DataLoader<float> a(data, {4}, Generator(5));
        run_epoch(a);
        for (int k = 0; k < batches_done; ++k) ASSERT_TRUE(a.next());
        const LoaderState s = a.state();
        const auto expected = record(a, 1);
        DataLoader<float> b(data, {4}, Generator(6));
        b.set_state(s);
        EXPECT_EQ(record(b, 1), expected);
    }
}

TEST(Loader, StateChecks) {
    const auto data = numbered(12);
    DataLoader<float> a(data, {4}, Generator(5));
    LoaderState s = a.state();
    DataLoader<float> other(data, {3}, Generator(5));
    EXPECT_THAT(error_of<ValueError>([&] { other.set_state(s); }), HasSubstr("batch_size 4"));
    s.batch = 4;
    EXPECT_THAT(error_of<ValueError>([&] { a.set_state(s); }), HasSubstr("batch 4 exceeds the 3 batches per epoch"));
    EXPECT_THROW(loader_state_from_text("epoch x"), ValueError);
    const LoaderState round = loader_state_from_text(to_text(a.state()));
    EXPECT_EQ(round.generator, a.state().generator);
    EXPECT_EQ(round.batch_size, 4u);
}

}  // namespace
}  // namespace dg::data
