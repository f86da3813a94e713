// Fashion-MNIST loading: file names, presence check with an install hint, flattening and scaling.
#include "nn/data/fashion_mnist.hpp"

#include <sys/stat.h>

#include "autograd/array/errors.hpp"
#include "nn/data/idx.hpp"

namespace dg::data {
namespace {

std::string file(FashionMnistSplit split, const std::string& dir, const char* kind) {
    return dir + "/" + (split == FashionMnistSplit::Train ? "train" : "t10k") + "-" + kind + "-ubyte.gz";
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

const std::array<const char*, 10> fashion_mnist_classes = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

bool fashion_mnist_available(FashionMnistSplit split, const std::string& dir) {
    return exists(file(split, dir, "images-idx3")) && exists(file(split, dir, "labels-idx1"));
}

template <class T>
Dataset<T> load_fashion_mnist(FashionMnistSplit split, std::size_t limit, const std::string& dir) {
    const std::string images = file(split, dir, "images-idx3");
    const std::string labels = file(split, dir, "labels-idx1");
    for (const auto& path : {images, labels})
        if (!exists(path))
            throw IoError("load_fashion_mnist: '" + path +
                          "' not found; install Debian's dataset-fashion-mnist package "
                          "(apt-get install dataset-fashion-mnist) or pass the folder holding the IDX files");

    Array<T> x = read_idx<T>(images);
    const std::vector<std::size_t> y = read_idx_labels(labels);
    if (x.dimension() != 3 || x.shape()[1] != 28 || x.shape()[2] != 28)
        throw IoError("load_fashion_mnist: '" + images + "': expected [n, 28, 28] images");
    const std::size_t n_file = x.shape()[0];
    if (y.size() != n_file)
        throw IoError("load_fashion_mnist: '" + images + "' has " + std::to_string(n_file) + " images but '" +
                      labels + "' has " + std::to_string(y.size()) + " labels");
    const std::size_t n = limit > 0 ? std::min(limit, n_file) : n_file;

    Dataset<T> data;
    data.num_classes = 10;
    data.x = Array<T>::from_shape({n, std::size_t(784)});
    std::copy_n(x.data(), n * 784, data.x.data());
    // Bytes 0..255 to [0, 1] by division, so that 255 maps to exactly 1.
    T* px = data.x.data();
    for (std::size_t i = 0, m = data.x.size(); i < m; ++i) px[i] = px[i] / T(255);
    data.y = Array<T>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        if (y[i] >= 10)
            throw IoError("load_fashion_mnist: '" + labels + "': label " + std::to_string(i) + " is " +
                          std::to_string(y[i]) + ", expected 0..9");
        data.y(i) = static_cast<T>(y[i]);
    }
    return data;
}

template Dataset<float> load_fashion_mnist<float>(FashionMnistSplit, std::size_t, const std::string&);
template Dataset<double> load_fashion_mnist<double>(FashionMnistSplit, std::size_t, const std::string&);

}  // namespace dg::data
