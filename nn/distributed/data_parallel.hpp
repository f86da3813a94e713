// DataParallel: data-parallel training of any Module + Optimizer on MPI. Every rank holds a full replica; rank 0's
// parameters are broadcast at the start; after each backward the gradients are packed into one flat buffer,
// averaged with MPI_Allreduce (in a few large buckets, not one call per tensor), unpacked, and the optimizer steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/distributed/environment.hpp"
#include "nn/distributed/watchdog.hpp"
#include "nn/module.hpp"
#include "nn/optim/optimizer.hpp"

namespace dg::dist {

/// How DataParallel communicates: the bucket size of its reductions and the watchdog's deadline.
struct DataParallelOptions {
    /// Largest MPI_Allreduce / MPI_Bcast message, in bytes (PyTorch DDP's default bucket, 25 MiB): the flat buffer
    /// is reduced in ceil(bytes / bucket_bytes) calls. 784-512-512-10 in float (2.7 MB) is one call.
    std::size_t bucket_bytes = std::size_t(25) << 20;
    /// A collective that has not completed after this long ends the job (see Watchdog); <= 0: wait forever.
    double timeout_seconds = 300;
};

/// Wraps a model and its optimizer for data-parallel training:
///
///     dist::Environment env(&argc, &argv);
///     dist::DataParallel<float> ddp(env, model, optimizer);        // broadcasts rank 0's parameters
///     dist::ShardedLoader<float> loader(env, train, {global_batch}, Generator(seed));
///     while (loader.next()) {
///         optimizer.zero_grad();
///         loss(model(x of loader.batch()), y).backward();          // mean over this rank's rows
///         ddp.step(loader.batch().size(), loader.global_batch_size());
///     }
///
/// step() makes every rank's gradient the gradient of the mean loss over the whole global batch
/// (Σ_r (rows_r / global_rows) · g_r), which is what a single process with that batch computes, up to float
/// round-off in the order of the sums. Every rank then applies the same update to the same parameters, so the
/// replicas stay identical without further communication. The model and optimizer must outlive the wrapper and
/// be built the same way on every rank (same architecture, optimizer and options).
template <class T>
class DataParallel {
public:
    /// Collects the model's parameters and broadcasts rank 0's values to every rank.
    DataParallel(const Environment& env, nn::Module<T>& model, optim::Optimizer<T>& optimizer,
                 DataParallelOptions options = {});
    ~DataParallel();
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;

    /// Copies rank 0's parameter values to every rank (e.g. after rank 0 alone changed them).
    void broadcast_parameters();
    /// Replaces every rank's gradients by Σ_r (local_rows_r / global_rows) · grad_r (one MPI_Allreduce per bucket).
    /// local_rows is the number of rows this rank's loss averaged over (0 if it had none: it then contributes
    /// zeros). A parameter that has a gradient on no rank keeps none, so the optimizer skips it as it would in a
    /// single process. Call on every rank, after backward.
    void all_reduce_gradients(std::size_t local_rows, std::size_t global_rows);
    /// all_reduce_gradients(), then optimizer.step().
    void step(std::size_t local_rows, std::size_t global_rows);
    /// True when every rank holds bit-identical parameters (a 64-bit hash compared with one MPI_Allreduce).
    bool parameters_in_sync();

    const Environment& environment() const { return env_; }  ///< the MPI session given at construction
    /// Elements of the flat gradient buffer (trainable parameters only).
    std::size_t gradient_elements() const { return grad_elements_; }
    /// MPI_Allreduce calls one all_reduce_gradients() makes (the bucket count).
    std::size_t buckets() const;
    /// MPI_Allreduce calls made so far for gradients (for tests: one per bucket per step, never one per tensor).
    std::uint64_t allreduce_calls() const { return allreduce_calls_; }

private:
    void collective_buckets(T* data, std::size_t count, bool broadcast, const char* what);

    const Environment& env_;
    optim::Optimizer<T>& optimizer_;
    DataParallelOptions options_;
    std::vector<Tensor<T>> all_params_;  // broadcast: every parameter, frozen ones too
    std::vector<Tensor<T>> trainable_;   // reduced: those that require grad
    std::vector<Tensor<T>> grads_;       // the averaged gradients, owned here and reused every step
    std::size_t grad_elements_ = 0;
    std::vector<T> buffer_;              // flat: the gradients, then one "has a gradient" count per parameter
    std::uint64_t allreduce_calls_ = 0;
    std::unique_ptr<Watchdog> watchdog_;
};

extern template class DataParallel<float>;
extern template class DataParallel<double>;

}  // namespace dg::dist
