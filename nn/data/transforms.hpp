// Transforms on plain arrays: one-hot targets, scaling to [0, 1], per-feature standardisation.
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/array/xt.hpp"

namespace dg::data {

/// [n, num_classes] with a 1 at (i, labels[i]). Throws ValueError if a label is >= num_classes.
template <class T>
Array<T> one_hot(const std::vector<std::size_t>& labels, std::size_t num_classes);
/// The same from labels stored as T ([n]); each must be an integer in [0, num_classes).
template <class T>
Array<T> one_hot(const Array<T>& labels, std::size_t num_classes);

/// In place: x = (x - low) / (high - low), e.g. low 0, high 255 for image bytes. Throws ValueError if high <= low.
template <class T>
void scale_to_unit(Array<T>& x, T low, T high);
/// In place, with low and high the minimum and maximum of x (a constant x becomes all zeros).
template <class T>
void scale_to_unit(Array<T>& x);

/// Per-feature mean and standard deviation: each has the shape of one sample (x.shape minus axis 0), or
/// is a scalar (shape {}) applied to every feature.
template <class T>
struct Standardization {
    Array<T> mean;    ///< subtracted from each sample
    Array<T> stddev;  ///< divides each centred sample
};

/// Mean and population standard deviation over axis 0 (the samples), accumulated in double. A feature
/// with standard deviation below `epsilon` gets stddev 1, so that constant features stay finite.
template <class T>
Standardization<T> compute_standardization(const Array<T>& x, double epsilon = 1e-12);

/// In place: x = (x - mean) / stddev for every sample. Throws ShapeError if the statistics do not match a
/// sample's shape, ValueError if a stddev is not positive.
template <class T>
void standardize(Array<T>& x, const Standardization<T>& s);

}  // namespace dg::data
