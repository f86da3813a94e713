// Dataset validation, row subsets and the seeded train/validation split.
#include "nn/data/dataset.hpp"

#include <cmath>
#include <numeric>
#include <string>

#include "autograd/array/errors.hpp"

namespace dg::data {
namespace {

template <class T>
std::size_t row_elems(const Array<T>& a) {
    std::size_t n = 1;
    for (std::size_t d = 1; d < a.dimension(); ++d) n *= a.shape()[d];
    return n;
}

template <class T>
Array<T> take_rows(const Array<T>& a, const std::vector<std::size_t>& indices) {
    Shape shape = shape_of(a);
    shape[0] = indices.size();
    Array<T> out = Array<T>::from_shape(shape);
    const std::size_t row = row_elems(a);
    for (std::size_t i = 0; i < indices.size(); ++i)
        std::copy_n(a.data() + indices[i] * row, row, out.data() + i * row);
    return out;
}

}  // namespace

template <class T>
void Dataset<T>::validate() const {
    if (x.dimension() == 0) throw ShapeError("Dataset: x must be [n, features...], got a 0-d array");
    if (y.dimension() == 0 || y.shape()[0] != x.shape()[0])
        throw ShapeError("Dataset: x has " + std::to_string(x.shape()[0]) + " samples but y has shape " +
                         (y.dimension() == 0 ? std::string("[]") : "[" + std::to_string(y.shape()[0]) + ", ...]"));
    if (num_classes > 0) {
        if (y.dimension() != 1) throw ShapeError("Dataset: class labels y must be 1-D [n]");
        for (std::size_t i = 0; i < y.size(); ++i) {
            const T v = y.data()[i];
            if (!(v >= 0 && v < static_cast<T>(num_classes)) || std::trunc(v) != v)
                throw ValueError("Dataset: label " + std::to_string(i) + " = " + std::to_string(v) +
                                 " is not a class index in [0, " + std::to_string(num_classes) + ")");
        }
    }
}

template <class T>
Dataset<T> subset(const Dataset<T>& data, const std::vector<std::size_t>& indices) {
    const std::size_t n = data.size();
    for (auto i : indices)
        if (i >= n) throw ValueError("subset: index " + std::to_string(i) + " out of range for " + std::to_string(n) + " samples");
    if (data.y.dimension() == 0 || data.y.shape()[0] != n)
        throw ShapeError("subset: x has " + std::to_string(n) + " samples but y does not");
    return Dataset<T>{take_rows(data.x, indices), take_rows(data.y, indices), data.num_classes};
}

std::vector<std::size_t> random_permutation(std::size_t n, Generator& gen) {
    std::vector<std::size_t> p(n);
    std::iota(p.begin(), p.end(), std::size_t(0));
    for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[gen.below(i)]);
    return p;
}

template <class T>
TrainValidation<T> train_validation_split(const Dataset<T>& data, double validation_fraction, Generator& gen) {
    if (!(validation_fraction >= 0.0 && validation_fraction <= 1.0))
        throw ValueError("train_validation_split: validation_fraction must be in [0, 1], got " +
                         std::to_string(validation_fraction));
    const std::vector<std::size_t> order = random_permutation(data.size(), gen);
    const auto n_val = static_cast<std::size_t>(std::llround(validation_fraction * static_cast<double>(order.size())));
    const std::vector<std::size_t> val(order.begin(), order.begin() + n_val);
    const std::vector<std::size_t> train(order.begin() + n_val, order.end());
    return {subset(data, train), subset(data, val)};
}

template struct Dataset<float>;
template struct Dataset<double>;
template Dataset<float> subset(const Dataset<float>&, const std::vector<std::size_t>&);
template Dataset<double> subset(const Dataset<double>&, const std::vector<std::size_t>&);
template TrainValidation<float> train_validation_split(const Dataset<float>&, double, Generator&);
template TrainValidation<double> train_validation_split(const Dataset<double>&, double, Generator&);

}  // namespace dg::data
