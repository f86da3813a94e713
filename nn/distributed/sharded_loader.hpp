// ShardedLoader: every rank draws the same shuffled global batches (same seed) and keeps its own contiguous slice,
// so the global batch, the epoch order and the resumable position are exactly those of a single-process DataLoader.
#pragma once

#include <cstddef>
#include <utility>

#include "nn/data/loader.hpp"
#include "nn/distributed/environment.hpp"

namespace dg::dist {

/// The rows [first, first + count) of a batch of `rows` that rank `rank` of `size` takes: contiguous slices in
/// rank order, sizes differing by at most one (the first rows % size ranks take one more). A rank may get 0 rows.
std::pair<std::size_t, std::size_t> shard_range(std::size_t rows, int rank, int size);

/// Copies rank `rank`'s rows (shard_range) of a global batch into `out`, reusing its buffers when the row count is
/// unchanged. For programs that keep a plain DataLoader of the global batch (its state is then the checkpointed one).
template <class T>
void take_shard(const data::Batch<T>& global, int rank, int size, data::Batch<T>& out);

/// A DataLoader over the global batch, sharded across ranks:
///
///     ShardedLoader<float> loader(env, train, {global_batch}, Generator(seed));
///     while (loader.next()) { const data::Batch<float>& mine = loader.batch(); ... loader.global_batch_size() ... }
///
/// options.batch_size is the GLOBAL batch (the one a single process would use); batch() is this rank's shard of it.
/// state() / set_state() are the global loader's position, identical on every rank and interchangeable with a
/// single-process DataLoader's: a checkpoint written with any number of ranks resumes with any other number.
template <class T>
class ShardedLoader {
public:
    /// The same arguments on every rank (the same seed too): each rank draws the same global order.
    ShardedLoader(const Environment& env, const data::Dataset<T>& data, data::LoaderOptions options, Generator gen);
    ShardedLoader(const Environment& env, data::Dataset<T>&& data, data::LoaderOptions options, Generator gen) = delete;

    /// Advances every rank to the next global batch (false at the end of an epoch, as DataLoader::next()).
    bool next();
    /// This rank's rows of the current global batch (possibly none: then x and y have 0 rows).
    const data::Batch<T>& batch() const;
    /// Rows of the current global batch, summed over ranks (what DataParallel::step takes as global_rows).
    std::size_t global_batch_size() const { return global_.batch().size(); }

    /// @name The global loader's position and options
    ///@{

    /// As DataLoader's member of the same name, for the global batches (the same on every rank).
    std::size_t batches_per_epoch() const { return global_.batches_per_epoch(); }
    std::size_t epoch() const { return global_.epoch(); }
    std::size_t batch_index() const { return global_.batch_index(); }
    const data::LoaderOptions& options() const { return global_.options(); }
    data::LoaderState state() const { return global_.state(); }
    void set_state(const data::LoaderState& state) { global_.set_state(state); }
    ///@}

private:
    int rank_;
    int size_;
    data::DataLoader<T> global_;
    data::Batch<T> local_;
    bool has_batch_ = false;
};

extern template void take_shard<float>(const data::Batch<float>&, int, int, data::Batch<float>&);
extern template void take_shard<double>(const data::Batch<double>&, int, int, data::Batch<double>&);
extern template class ShardedLoader<float>;
extern template class ShardedLoader<double>;

}  // namespace dg::dist
