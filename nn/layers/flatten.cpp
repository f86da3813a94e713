// Flatten: the dims checked against the input's rank (naming the layer), then the flatten op.
#include "nn/layers/flatten.hpp"

#include <algorithm>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"

namespace dg::nn {

template <class T>
std::string Flatten<T>::describe() const {
    if (start_ == 1 && end_ == -1) return "Flatten";
    return "Flatten " + std::to_string(start_) + ".." + std::to_string(end_);
}

template <class T>
Tensor<T> Flatten<T>::forward(const Tensor<T>& x) {
    const int rank = static_cast<int>(x.shape().size());
    const int s = start_ < 0 ? start_ + rank : start_, e = end_ < 0 ? end_ + rank : end_;
    if (s < 0 || e < 0 || s >= rank || e >= rank || s > e)
        throw ShapeError(this->where() + ": dims " + std::to_string(start_) + ".." + std::to_string(end_) +
                         " do not fit an input of rank " + std::to_string(rank) + " (" + shape_str(x.shape()) +
                         "); expected at least rank " + std::to_string(std::max(start_ < 0 ? -start_ : start_ + 1,
                                                                                end_ < 0 ? -end_ : end_ + 1)));
    return flatten(x, start_, end_);
}

template class Flatten<float>;
template class Flatten<double>;

}  // namespace dg::nn
