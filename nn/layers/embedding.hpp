// Embedding: a lookup table of rows (word vectors, as in Bengio's neural language model), on index_select.
#pragma once

#include <cstddef>
#include <vector>

#include "nn/init.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// Row i of the parameter "weight" [num_embeddings, dim] is the vector of index i. Default init N(0, 1),
/// as PyTorch's nn.Embedding. An index outside [0, num_embeddings), or a non-integral one, is a ValueError
/// naming the module.
template <class T>
class Embedding : public Cloneable<Embedding<T>, T> {
public:
    /// A table of num_embeddings rows of dim values, drawn from `gen` by `init`.
    Embedding(std::size_t num_embeddings, std::size_t dim, Generator& gen, const Init& init = Init::normal(1.0));
    /// The copy under clone(): the copy's own weight.
    Embedding(const Embedding& other);

    /// Indices stored as T (integral values) of any shape S; output S + [dim].
    Tensor<T> forward(const Tensor<T>& indices) override;
    /// Indices as integers; output [indices.size(), dim].
    Tensor<T> forward(const std::vector<std::size_t>& indices);

    std::string type_name() const override { return "Embedding"; }
    /// "Embedding 1000×300".
    std::string describe() const override;
    std::string output_shape_hint() const override;

    /// The number of rows (valid indices are 0 .. num_embeddings − 1).
    std::size_t num_embeddings() const { return num_; }
    /// The length of each row.
    std::size_t dim() const { return dim_; }
    /// The table [num_embeddings, dim]; aliases the registered parameter.
    const Tensor<T>& weight() const { return weight_; }

private:
    void check(std::size_t index, std::size_t position) const;

    std::size_t num_, dim_;
    Tensor<T> weight_;
};

extern template class Embedding<float>;
extern template class Embedding<double>;

}  // namespace dg::nn
