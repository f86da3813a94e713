// DataLoader<T>: batches of a Dataset in an order reshuffled every epoch from a seeded Generator —
// full-batch GD (batch = n), SGD (batch = 1) or mini-batch GD (batch = m) — with a resumable position.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "autograd/array/random.hpp"
#include "nn/data/dataset.hpp"

namespace dg::data {

/// One batch: the rows `indices` of the dataset, copied into x [b, features...] and y [b] or [b, k].
template <class T>
struct Batch {
    Array<T> x;                        ///< the inputs, [b, features...]
    Array<T> y;                        ///< the targets, [b] (class indices or values) or [b, k]
    std::vector<std::size_t> indices;  ///< which rows of the dataset, in batch order

    std::size_t size() const { return indices.size(); }  ///< b, the number of rows
};

/// Where a loader is: enough to continue bit-identically after a restart (see DataLoader::state).
struct LoaderState {
    std::size_t epoch = 0;         ///< epochs completed
    std::size_t batch = 0;         ///< batches already yielded in the current epoch
    std::size_t dataset_size = 0;  ///< checked on restore, with the batch size and flags
    std::size_t batch_size = 0;    ///< LoaderOptions::batch_size, checked on restore
    bool shuffle = true;           ///< LoaderOptions::shuffle, checked on restore
    bool drop_last = false;        ///< LoaderOptions::drop_last, checked on restore
    std::string generator;  ///< Generator::state() at the start of the current epoch, before its shuffle
};

/// LoaderState as one line of text (e.g. for a checkpoint's metadata) and back; from_text throws ValueError
/// on malformed text.
std::string to_text(const LoaderState& state);
LoaderState loader_state_from_text(const std::string& text);

/// How a DataLoader batches: DataLoader(data, {64}, gen) is mini-batches of 64, reshuffled every epoch.
struct LoaderOptions {
    std::size_t batch_size = 1;  ///< rows per batch (n: full-batch GD; 1: SGD)
    bool shuffle = true;     ///< false: every epoch in index order
    bool drop_last = false;  ///< drop the last batch of an epoch when it is smaller than batch_size
};

/// Iterates a Dataset in batches:
///
///     DataLoader<float> loader(data, {64}, Generator(seed));
///     while (loader.next()) { const Batch<float>& b = loader.batch(); ... }  // one epoch; call again for the next
///
/// Each epoch's order is a fresh permutation drawn from the loader's generator (identity order when
/// shuffle is off). Rows are copied into buffers reused across batches (one for full batches, one for a
/// smaller last batch), so steady-state iteration does not allocate. The dataset is held by reference and
/// must outlive the loader.
template <class T>
class DataLoader {
public:
    /// Throws ValueError for batch_size 0, an empty dataset, or drop_last with batch_size > n (no batches).
    DataLoader(const Dataset<T>& data, LoaderOptions options, Generator gen);
    /// A temporary dataset would dangle: the loader keeps only a reference.
    DataLoader(Dataset<T>&& data, LoaderOptions options, Generator gen) = delete;

    /// Advances to the next batch of the current epoch and returns true; at the end of the epoch returns
    /// false once and counts the epoch as completed (the next call starts the next epoch).
    bool next();
    /// The batch produced by the last successful next(); valid until the following next().
    const Batch<T>& batch() const;

    /// Batches in one epoch (a smaller last batch counts unless drop_last).
    std::size_t batches_per_epoch() const { return batches_per_epoch_; }
    std::size_t epoch() const { return epoch_; }               ///< epochs completed
    std::size_t batch_index() const { return batch_; }         ///< batches yielded in the current epoch
    const LoaderOptions& options() const { return options_; }  ///< the options given at construction

    /// The position: epochs done, batches yielded in this epoch and the generator state that produced this
    /// epoch's order. Restoring it on a loader over the same dataset and options replays the rest of the epoch
    /// and all later epochs bit-identically.
    LoaderState state() const;
    /// Throws ValueError if `state` was taken from a loader with a different dataset size, batch size or flags,
    /// or its batch index exceeds batches_per_epoch().
    void set_state(const LoaderState& state);

private:
    void start_epoch();
    void fill(Batch<T>& out, std::size_t begin, std::size_t count);

    const Dataset<T>* data_;
    LoaderOptions options_;
    Generator gen_;
    std::size_t full_rows_ = 0;  // rows of a full batch: min(batch_size, n)
    std::size_t batches_per_epoch_ = 0;
    std::size_t epoch_ = 0;
    std::size_t batch_ = 0;
    bool in_epoch_ = false;
    std::string epoch_start_state_;
    std::vector<std::size_t> order_;
    Batch<T> full_;
    Batch<T> tail_;
    Batch<T>* current_ = nullptr;
};

}  // namespace dg::data
