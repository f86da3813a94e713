// Fashion-MNIST from Debian's dataset-fashion-mnist package: images flattened to [n, 784] in [0, 1], labels 0..9.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "nn/data/dataset.hpp"

namespace dg::data {

/// Where Debian's dataset-fashion-mnist installs the IDX files.
inline constexpr const char* fashion_mnist_default_dir = "/usr/share/datasets/fashion-mnist";

enum class FashionMnistSplit { Train, Test };

/// The 10 class names, by label.
extern const std::array<const char*, 10> fashion_mnist_classes;

/// True if both files of `split` exist in `dir`.
bool fashion_mnist_available(FashionMnistSplit split, const std::string& dir = fashion_mnist_default_dir);

/// Loads `split` (train: 60000 samples, test: 10000) from {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz in
/// `dir`: x [n, 784] scaled to [0, 1], y [n] labels as T, num_classes 10. `limit` > 0 keeps only the first
/// `limit` samples. Throws IoError naming the package to install when the files are missing, and the
/// IDX reader's errors for malformed files or mismatched image/label counts.
template <class T>
Dataset<T> load_fashion_mnist(FashionMnistSplit split, std::size_t limit = 0,
                              const std::string& dir = fashion_mnist_default_dir);

}  // namespace dg::data
