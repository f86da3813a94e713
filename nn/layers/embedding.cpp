// Embedding: validates indices (naming the module), then index_select of rows and a reshape to S + [dim].
#include "nn/layers/embedding.hpp"

#include <cmath>
#include <cstdint>
#include <sstream>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"

namespace dg::nn {

template <class T>
Embedding<T>::Embedding(std::size_t num_embeddings, std::size_t dim, Generator& gen, const Init& init)
    : num_(num_embeddings), dim_(dim) {
    if (num_ == 0 || dim_ == 0)
        throw ValueError("Embedding: sizes must be positive, got " + std::to_string(num_) + "×" + std::to_string(dim_));
    // A negative size converted to size_t arrives as a huge number; num × dim must not overflow the allocation.
    if (num_ > static_cast<std::size_t>(PTRDIFF_MAX) / sizeof(T) / dim_)
        throw ValueError("Embedding: sizes " + std::to_string(num_) + "×" + std::to_string(dim_) +
                         " are too large (a negative size converted to size_t?)");
    weight_ = this->register_parameter("weight", init::apply_(Tensor<T>::zeros({num_, dim_}), init, gen));
}

template <class T>
Embedding<T>::Embedding(const Embedding& other)
    : Cloneable<Embedding<T>, T>(other), num_(other.num_), dim_(other.dim_), weight_(this->parameter("weight")) {}

template <class T>
std::string Embedding<T>::describe() const {
    return "Embedding " + std::to_string(num_) + "×" + std::to_string(dim_);
}

template <class T>
std::string Embedding<T>::output_shape_hint() const {
    return "[*, " + std::to_string(dim_) + "]";
}

template <class T>
void Embedding<T>::check(std::size_t index, std::size_t position) const {
    if (index >= num_)
        throw ValueError(this->where() + ": index " + std::to_string(index) + " at position " +
                         std::to_string(position) + " is out of range [0, " + std::to_string(num_) + ")");
}

template <class T>
Tensor<T> Embedding<T>::forward(const std::vector<std::size_t>& indices) {
    for (std::size_t i = 0; i < indices.size(); ++i) check(indices[i], i);
    return index_select(weight_, indices);
}

template <class T>
Tensor<T> Embedding<T>::forward(const Tensor<T>& indices) {
    const Array<T>& v = indices.value();
    std::vector<std::size_t> rows(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        const T x = v.data()[i];
        if (!(x >= T(0)) || std::floor(x) != x) {
            std::ostringstream msg;
            msg << this->where() << ": index " << x << " at position " << i << " is not a non-negative integer";
            throw ValueError(msg.str());
        }
        if (x >= static_cast<T>(num_)) {
            std::ostringstream msg;
            msg << this->where() << ": index " << x << " at position " << i << " is out of range [0, " << num_ << ")";
            throw ValueError(msg.str());
        }
        rows[i] = static_cast<std::size_t>(x);
    }
    Shape out_shape = indices.shape();
    out_shape.push_back(dim_);
    Tensor<T> y = index_select(weight_, rows);
    return out_shape.size() == 2 ? y : reshape(y, out_shape);
}

template class Embedding<float>;
template class Embedding<double>;

}  // namespace dg::nn
