// one_hot, scaling and standardisation, written as loops over contiguous rows (no lazy expressions kept).
#include "nn/data/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/array/errors.hpp"

namespace dg::data {

template <class T>
Array<T> one_hot(const std::vector<std::size_t>& labels, std::size_t num_classes) {
    if (num_classes == 0) throw ValueError("one_hot: num_classes must be positive");
    Array<T> out = xt::zeros<T>({labels.size(), num_classes});
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] >= num_classes)
            throw ValueError("one_hot: label " + std::to_string(i) + " is " + std::to_string(labels[i]) +
                             ", expected < num_classes = " + std::to_string(num_classes));
        out(i, labels[i]) = T(1);
    }
    return out;
}

template <class T>
Array<T> one_hot(const Array<T>& labels, std::size_t num_classes) {
    if (labels.dimension() != 1)
        throw ShapeError("one_hot: labels must be 1-D, got shape " + shape_str(shape_of(labels)));
    std::vector<std::size_t> idx(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const T v = labels(i);
        if (!(v >= 0) || std::trunc(v) != v)
            throw ValueError("one_hot: label " + std::to_string(i) + " is " + std::to_string(v) +
                             ", expected a non-negative integer");
        if (v >= static_cast<T>(num_classes))
            throw ValueError("one_hot: label " + std::to_string(i) + " is " + std::to_string(v) +
                             ", expected < num_classes = " + std::to_string(num_classes));
        idx[i] = static_cast<std::size_t>(v);
    }
    return one_hot<T>(idx, num_classes);
}

template <class T>
void scale_to_unit(Array<T>& x, T low, T high) {
    if (!(high > low))
        throw ValueError("scale_to_unit: need high > low, got low " + std::to_string(low) + ", high " +
                         std::to_string(high));
    const T scale = T(1) / (high - low);
    T* p = x.data();  // raw pointer: xtensor's iterators are several times slower on large arrays
    for (std::size_t i = 0, n = x.size(); i < n; ++i) p[i] = (p[i] - low) * scale;
}

template <class T>
void scale_to_unit(Array<T>& x) {
    if (x.size() == 0) return;
    const auto [lo, hi] = std::minmax_element(x.data(), x.data() + x.size());
    const T low = *lo, high = *hi;
    if (high > low) scale_to_unit(x, low, high);
    else std::fill(x.begin(), x.end(), T(0));
}

template <class T>
Standardization<T> compute_standardization(const Array<T>& x, double epsilon) {
    if (x.dimension() == 0 || x.shape()[0] == 0)
        throw ValueError("compute_standardization: need at least one sample, got shape " + shape_str(shape_of(x)));
    const std::size_t n = x.shape()[0];
    const std::size_t row = x.size() / n;
    std::vector<double> sum(row, 0.0), sq(row, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        const T* r = x.data() + i * row;
        for (std::size_t j = 0; j < row; ++j) sum[j] += static_cast<double>(r[j]);
    }
    for (auto& s : sum) s /= static_cast<double>(n);
    // Two passes: the sum of squared deviations does not cancel catastrophically like E[x²] − E[x]².
    for (std::size_t i = 0; i < n; ++i) {
        const T* r = x.data() + i * row;
        for (std::size_t j = 0; j < row; ++j) {
            const double d = static_cast<double>(r[j]) - sum[j];
            sq[j] += d * d;
        }
    }
    Shape sample(x.shape().begin() + 1, x.shape().end());
    Standardization<T> s{Array<T>::from_shape(sample), Array<T>::from_shape(sample)};
    for (std::size_t j = 0; j < row; ++j) {
        const double sd = std::sqrt(sq[j] / static_cast<double>(n));
        s.mean.data()[j] = static_cast<T>(sum[j]);
        s.stddev.data()[j] = static_cast<T>(sd < epsilon ? 1.0 : sd);
    }
    return s;
}

template <class T>
void standardize(Array<T>& x, const Standardization<T>& s) {
    if (x.dimension() == 0) throw ShapeError("standardize: x must be [n, features...], got a scalar");
    const Shape sample(x.shape().begin() + 1, x.shape().end());
    const auto fits = [&](const Array<T>& a) { return a.dimension() == 0 || shape_of(a) == sample; };
    if (!fits(s.mean) || !fits(s.stddev))
        throw ShapeError("standardize: mean " + shape_str(shape_of(s.mean)) + " and stddev " +
                         shape_str(shape_of(s.stddev)) + " must be scalars or one sample's shape " + shape_str(sample));
    const std::size_t n = x.shape()[0];
    const std::size_t row = n == 0 ? 0 : x.size() / n;
    std::vector<T> mean(row), sdev(row);
    for (std::size_t j = 0; j < row; ++j) {
        mean[j] = s.mean.dimension() == 0 ? s.mean() : s.mean.data()[j];
        const T sd = s.stddev.dimension() == 0 ? s.stddev() : s.stddev.data()[j];
        if (!(sd > 0)) throw ValueError("standardize: stddev of feature " + std::to_string(j) + " is " +
                                        std::to_string(sd) + ", expected > 0");
        sdev[j] = sd;  // divide, not multiply by 1/sd: the result is then exactly (x - mean) / sd
    }
    for (std::size_t i = 0; i < n; ++i) {
        T* r = x.data() + i * row;
        for (std::size_t j = 0; j < row; ++j) r[j] = (r[j] - mean[j]) / sdev[j];
    }
}

template Array<float> one_hot<float>(const std::vector<std::size_t>&, std::size_t);
template Array<double> one_hot<double>(const std::vector<std::size_t>&, std::size_t);
template Array<float> one_hot<float>(const Array<float>&, std::size_t);
template Array<double> one_hot<double>(const Array<double>&, std::size_t);
template void scale_to_unit<float>(Array<float>&, float, float);
template void scale_to_unit<double>(Array<double>&, double, double);
template void scale_to_unit<float>(Array<float>&);
template void scale_to_unit<double>(Array<double>&);
template struct Standardization<float>;
template struct Standardization<double>;
template Standardization<float> compute_standardization<float>(const Array<float>&, double);
template Standardization<double> compute_standardization<double>(const Array<double>&, double);
template void standardize<float>(Array<float>&, const Standardization<float>&);
template void standardize<double>(Array<double>&, const Standardization<double>&);

}  // namespace dg::data
