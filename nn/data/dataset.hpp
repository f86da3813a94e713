// Dataset<T>: inputs and targets as plain arrays, with row subsets and a seeded train/validation split.
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/array/random.hpp"
#include "autograd/array/xt.hpp"

namespace dg::data {

/// n samples: x is [n, features...]; y is [n] class indices stored as T (classification, num_classes > 0)
/// or [n] / [n, k] targets (regression, num_classes == 0).
template <class T>
struct Dataset {
    Array<T> x;                   ///< the inputs, [n, features...]
    Array<T> y;                   ///< the targets: [n] class indices, or [n] / [n, k] values
    std::size_t num_classes = 0;  ///< classes of a classification set; 0 for regression

    std::size_t size() const { return x.dimension() == 0 ? 0 : x.shape()[0]; }  ///< n, the number of samples
    /// Throws ShapeError if x and y disagree on n or x is 0-d, ValueError if a class label is not an
    /// integer in [0, num_classes).
    void validate() const;
};

/// The rows `indices` of `data`, in that order (copies).
template <class T>
Dataset<T> subset(const Dataset<T>& data, const std::vector<std::size_t>& indices);

/// The two parts of a dataset that train_validation_split made.
template <class T>
struct TrainValidation {
    Dataset<T> train;       ///< the samples to train on
    Dataset<T> validation;  ///< the held-out samples
};

/// Shuffles the sample indices with `gen` and puts round(validation_fraction * n) of them in the validation
/// set, the rest in the training set (each keeping the shuffled order). validation_fraction in [0, 1].
template <class T>
TrainValidation<T> train_validation_split(const Dataset<T>& data, double validation_fraction, Generator& gen);

/// A uniformly random permutation of 0..n-1 (Fisher–Yates driven by gen.below()).
std::vector<std::size_t> random_permutation(std::size_t n, Generator& gen);

}  // namespace dg::data
