// ShardedLoader: the slice arithmetic and the copy of this rank's rows out of the global batch.
#include "nn/distributed/sharded_loader.hpp"

#include <algorithm>

namespace dg::dist {

std::pair<std::size_t, std::size_t> shard_range(std::size_t rows, int rank, int size) {
    if (size <= 0 || rank < 0 || rank >= size)
        throw ValueError("shard_range: rank " + std::to_string(rank) + " is not in [0, " + std::to_string(size) + ")");
    const std::size_t p = static_cast<std::size_t>(size), r = static_cast<std::size_t>(rank);
    const std::size_t base = rows / p, extra = rows % p;
    return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

template <class T>
ShardedLoader<T>::ShardedLoader(const Environment& env, const data::Dataset<T>& data, data::LoaderOptions options,
                                Generator gen)
    : rank_(env.rank()), size_(env.size()), global_(data, options, std::move(gen)) {}

template <class T>
void take_shard(const data::Batch<T>& g, int rank, int size, data::Batch<T>& out) {
    const auto [first, count] = shard_range(g.size(), rank, size);
    const auto row_elems = [&](const Array<T>& a) { return g.size() == 0 ? 0 : a.size() / g.size(); };
    const std::size_t xr = row_elems(g.x), yr = row_elems(g.y);
    Shape xs = shape_of(g.x), ys = shape_of(g.y);
    xs[0] = count;
    ys[0] = count;
    // Resized only when the shard's row count changes (the last batch of an epoch): steady state does not allocate.
    if (shape_of(out.x) != xs) out.x.resize(xs);
    if (shape_of(out.y) != ys) out.y.resize(ys);
    std::copy_n(g.x.data() + first * xr, count * xr, out.x.data());
    std::copy_n(g.y.data() + first * yr, count * yr, out.y.data());
    out.indices.assign(g.indices.begin() + first, g.indices.begin() + first + count);
}

template <class T>
bool ShardedLoader<T>::next() {
    has_batch_ = global_.next();
    if (has_batch_) take_shard(global_.batch(), rank_, size_, local_);
    return has_batch_;
}

template <class T>
const data::Batch<T>& ShardedLoader<T>::batch() const {
    if (!has_batch_) throw ValueError("ShardedLoader::batch: no current batch (call next() first; it returned false "
                                      "at the end of the epoch)");
    return local_;
}

template void take_shard<float>(const data::Batch<float>&, int, int, data::Batch<float>&);
template void take_shard<double>(const data::Batch<double>&, int, int, data::Batch<double>&);
template class ShardedLoader<float>;
template class ShardedLoader<double>;

}  // namespace dg::dist
