// DataLoader: per-epoch permutation, row copies into reused buffers, and the resumable position.
#include "nn/data/loader.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "autograd/array/errors.hpp"

namespace dg::data {
namespace {

std::size_t row_elems(const Shape& shape) {
    std::size_t n = 1;
    for (std::size_t d = 1; d < shape.size(); ++d) n *= shape[d];
    return n;
}

template <class T>
Batch<T> make_buffer(const Dataset<T>& data, std::size_t rows) {
    Shape xs = shape_of(data.x), ys = shape_of(data.y);
    xs[0] = rows;
    ys[0] = rows;
    Batch<T> b{Array<T>::from_shape(xs), Array<T>::from_shape(ys), {}};
    b.indices.reserve(rows);
    return b;
}

}  // namespace

std::string to_text(const LoaderState& s) {
    std::ostringstream out;
    out << "epoch " << s.epoch << " batch " << s.batch << " dataset_size " << s.dataset_size << " batch_size "
        << s.batch_size << " shuffle " << s.shuffle << " drop_last " << s.drop_last << " generator " << s.generator;
    return out.str();
}

LoaderState loader_state_from_text(const std::string& text) {
    std::istringstream in(text);
    LoaderState s;
    const auto field = [&](const char* name, auto& value) {
        std::string key;
        if (!(in >> key) || key != name || !(in >> value))
            throw ValueError(std::string("loader_state_from_text: expected '") + name + " <value>' in '" +
                             text.substr(0, 80) + "'");
    };
    field("epoch", s.epoch);
    field("batch", s.batch);
    field("dataset_size", s.dataset_size);
    field("batch_size", s.batch_size);
    field("shuffle", s.shuffle);
    field("drop_last", s.drop_last);
    std::string key;
    if (!(in >> key) || key != "generator")
        throw ValueError("loader_state_from_text: expected 'generator <state>' in '" + text.substr(0, 80) + "'");
    std::getline(in >> std::ws, s.generator);
    if (s.generator.empty()) throw ValueError("loader_state_from_text: empty generator state");
    return s;
}

template <class T>
DataLoader<T>::DataLoader(const Dataset<T>& data, LoaderOptions options, Generator gen)
    : data_(&data), options_(options), gen_(std::move(gen)) {
    const std::size_t n = data.size();
    if (options.batch_size == 0) throw ValueError("DataLoader: batch_size must be positive");
    if (n == 0) throw ValueError("DataLoader: the dataset is empty");
    if (data.y.dimension() == 0 || data.y.shape()[0] != n)
        throw ShapeError("DataLoader: x has " + std::to_string(n) + " samples but y does not");
    if (options.drop_last && options.batch_size > n)
        throw ValueError("DataLoader: drop_last with batch_size " + std::to_string(options.batch_size) + " > " +
                         std::to_string(n) + " samples would yield no batches");
    full_rows_ = std::min(options.batch_size, n);
    const std::size_t full = full_rows_;
    const std::size_t rest = n % full;
    batches_per_epoch_ = n / full + (rest && !options.drop_last ? 1 : 0);
    full_ = make_buffer(data, full);
    if (rest && !options.drop_last) tail_ = make_buffer(data, rest);
    order_.resize(n);
}

template <class T>
void DataLoader<T>::start_epoch() {
    // Remember the state before the shuffle: restoring it regenerates this epoch's order exactly.
    epoch_start_state_ = gen_.state();
    std::iota(order_.begin(), order_.end(), std::size_t(0));
    if (options_.shuffle)
        for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[gen_.below(i)]);
    in_epoch_ = true;
}

template <class T>
void DataLoader<T>::fill(Batch<T>& out, std::size_t begin, std::size_t count) {
    const Array<T>& x = data_->x;
    const Array<T>& y = data_->y;
    const std::size_t xr = row_elems(shape_of(x)), yr = row_elems(shape_of(y));
    out.indices.assign(order_.begin() + begin, order_.begin() + begin + count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t s = out.indices[i];
        std::copy_n(x.data() + s * xr, xr, out.x.data() + i * xr);
        std::copy_n(y.data() + s * yr, yr, out.y.data() + i * yr);
    }
}

template <class T>
bool DataLoader<T>::next() {
    if (!in_epoch_) start_epoch();
    if (batch_ == batches_per_epoch_) {
        in_epoch_ = false;
        ++epoch_;
        batch_ = 0;
        current_ = nullptr;
        return false;
    }
    const std::size_t full = full_rows_;
    const std::size_t begin = batch_ * full;
    const std::size_t count = std::min(full, order_.size() - begin);
    current_ = count == full ? &full_ : &tail_;
    fill(*current_, begin, count);
    ++batch_;
    return true;
}

template <class T>
const Batch<T>& DataLoader<T>::batch() const {
    if (!current_) throw ValueError("DataLoader::batch: no current batch (call next() first; it returned false "
                                    "at the end of the epoch)");
    return *current_;
}

template <class T>
LoaderState DataLoader<T>::state() const {
    return LoaderState{epoch_,           batch_, order_.size(), options_.batch_size, options_.shuffle,
                       options_.drop_last, in_epoch_ ? epoch_start_state_ : gen_.state()};
}

template <class T>
void DataLoader<T>::set_state(const LoaderState& s) {
    if (s.dataset_size != order_.size() || s.batch_size != options_.batch_size || s.shuffle != options_.shuffle ||
        s.drop_last != options_.drop_last)
        throw ValueError("DataLoader::set_state: state is for dataset_size " + std::to_string(s.dataset_size) +
                         ", batch_size " + std::to_string(s.batch_size) + ", shuffle " + std::to_string(s.shuffle) +
                         ", drop_last " + std::to_string(s.drop_last) + "; this loader has " +
                         std::to_string(order_.size()) + ", " + std::to_string(options_.batch_size) + ", " +
                         std::to_string(options_.shuffle) + ", " + std::to_string(options_.drop_last));
    if (s.batch > batches_per_epoch_)
        throw ValueError("DataLoader::set_state: batch " + std::to_string(s.batch) + " exceeds the " +
                         std::to_string(batches_per_epoch_) + " batches per epoch");
    gen_.set_state(s.generator);
    epoch_ = s.epoch;
    batch_ = s.batch;
    in_epoch_ = false;  // the next call to next() regenerates this epoch's order from the restored state
    current_ = nullptr;
}

template class DataLoader<float>;
template class DataLoader<double>;

}  // namespace dg::data
