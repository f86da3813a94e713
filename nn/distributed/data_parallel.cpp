// DataParallel: the flat buffer, its bucketed MPI_Bcast / MPI_Allreduce, and the weighting that makes the
// averaged gradient equal the single-process gradient of the global batch.
#include "nn/distributed/data_parallel.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstring>

#include "autograd/engine.hpp"

namespace dg::dist {
namespace {

template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype mpi_type<double>() { return MPI_DOUBLE; }

/// FNV-1a over the bytes of every parameter: equal hashes on all ranks mean (all but surely) equal replicas.
template <class T>
std::uint64_t hash_values(const std::vector<Tensor<T>>& params) {
    std::uint64_t h = 1469598103934665603ull;
    for (const Tensor<T>& p : params) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(p.value().data());
        for (std::size_t i = 0, n = p.numel() * sizeof(T); i < n; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
    }
    return h;
}

}  // namespace

template <class T>
DataParallel<T>::DataParallel(const Environment& env, nn::Module<T>& model, optim::Optimizer<T>& optimizer,
                              DataParallelOptions options)
    : env_(env), optimizer_(optimizer), options_(options),
      watchdog_(std::make_unique<Watchdog>(options.timeout_seconds, env.where())) {
    if (options_.bucket_bytes < sizeof(T))
        throw ValueError("DataParallel: bucket_bytes must hold at least one element (got " +
                         std::to_string(options_.bucket_bytes) + ")");
    std::size_t all_elements = 0;
    for (auto& [name, p] : model.named_parameters()) {
        all_params_.push_back(p);
        all_elements += p.numel();
        if (!p.requires_grad()) continue;
        trainable_.push_back(p);
        grads_.push_back(Tensor<T>(Array<T>::from_shape(p.shape())));
        grad_elements_ += p.numel();
    }
    if (all_params_.empty()) throw ValueError("DataParallel: the model has no parameters");
    buffer_.resize(std::max(all_elements, grad_elements_ + trainable_.size()));
    broadcast_parameters();
}

template <class T>
DataParallel<T>::~DataParallel() = default;

template <class T>
std::size_t DataParallel<T>::buckets() const {
    const std::size_t per_bucket = options_.bucket_bytes / sizeof(T);
    const std::size_t n = grad_elements_ + trainable_.size();
    return (n + per_bucket - 1) / per_bucket;
}

template <class T>
void DataParallel<T>::collective_buckets(T* data, std::size_t count, bool broadcast, const char* what) {
    const std::size_t per_bucket = options_.bucket_bytes / sizeof(T);
    WatchdogScope guard(*watchdog_, what);
    for (std::size_t begin = 0; begin < count; begin += per_bucket) {
        const int n = static_cast<int>(std::min(per_bucket, count - begin));
        if (broadcast) {
            check_mpi(MPI_Bcast(data + begin, n, mpi_type<T>(), 0, MPI_COMM_WORLD), what, env_);
        } else {
            check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + begin, n, mpi_type<T>(), MPI_SUM, MPI_COMM_WORLD), what, env_);
            ++allreduce_calls_;
        }
    }
}

template <class T>
void DataParallel<T>::broadcast_parameters() {
    std::size_t offset = 0;
    for (const Tensor<T>& p : all_params_) {
        std::copy_n(p.value().data(), p.numel(), buffer_.data() + offset);
        offset += p.numel();
    }
    collective_buckets(buffer_.data(), offset, true, "MPI_Bcast of the parameters");
    if (env_.is_root()) return;
    NoGradGuard no_grad;
    offset = 0;
    for (Tensor<T>& p : all_params_) {
        std::copy_n(buffer_.data() + offset, p.numel(), p.mutable_value().data());
        offset += p.numel();
    }
}

template <class T>
void DataParallel<T>::all_reduce_gradients(std::size_t local_rows, std::size_t global_rows) {
    if (global_rows == 0 || local_rows > global_rows)
        throw ValueError("DataParallel::all_reduce_gradients: local_rows " + std::to_string(local_rows) +
                         " must be at most global_rows " + std::to_string(global_rows) + " > 0");
    // Each rank's loss is a mean over its own rows; weighting it by rows / global_rows before the sum gives the
    // mean over the global batch. With equal shards the weight is 1/P, a power of two for P = 2: exact.
    const T weight = T(double(local_rows) / double(global_rows));
    T* flags = buffer_.data() + grad_elements_;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < trainable_.size(); ++i) {
        const Tensor<T>& p = trainable_[i];
        const std::size_t n = p.numel();
        T* out = buffer_.data() + offset;
        const bool has = local_rows > 0 && p.has_grad();
        if (has) {
            const Array<T>& g = p.grad().value();
            if (g.size() != n)
                throw ShapeError("DataParallel: gradient of " + p.label() + " has " + std::to_string(g.size()) +
                                 " elements for a parameter of " + std::to_string(n));
            const T* in = g.data();
            for (std::size_t k = 0; k < n; ++k) out[k] = weight * in[k];
        } else {
            std::fill_n(out, n, T(0));
        }
        flags[i] = has ? T(1) : T(0);
        offset += n;
    }
    collective_buckets(buffer_.data(), grad_elements_ + trainable_.size(), false, "MPI_Allreduce of the gradients");
    NoGradGuard no_grad;
    offset = 0;
    for (std::size_t i = 0; i < trainable_.size(); ++i) {
        Tensor<T>& p = trainable_[i];
        const std::size_t n = p.numel();
        if (flags[i] > T(0)) {
            std::copy_n(buffer_.data() + offset, n, grads_[i].mutable_value().data());
            p.node()->grad = grads_[i];  // our own tensor: never aliases a gradient the engine may share
        } else {
            p.zero_grad();
        }
        offset += n;
    }
}

template <class T>
void DataParallel<T>::step(std::size_t local_rows, std::size_t global_rows) {
    all_reduce_gradients(local_rows, global_rows);
    optimizer_.step();
}

template <class T>
bool DataParallel<T>::parameters_in_sync() {
    const std::uint64_t h = hash_values(all_params_);
    std::uint64_t lo = h, hi = h;
    WatchdogScope guard(*watchdog_, "MPI_Allreduce of the parameter hash");
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD), "MPI_Allreduce (hash)", env_);
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce (hash)", env_);
    return lo == hi;
}

template class DataParallel<float>;
template class DataParallel<double>;

}  // namespace dg::dist
