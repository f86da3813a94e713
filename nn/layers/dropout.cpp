// Dropout: draws the keep-mask, scales it by 1/(1−p) and multiplies (the mask is a constant: gx = g·mask).
#include "nn/layers/dropout.hpp"

#include <sstream>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"

namespace dg::nn {

template <class T>
Dropout<T>::Dropout(double p, Generator& gen) : p_(p), gen_(gen.bits()) {
    if (!(p >= 0.0 && p <= 1.0)) {  // also rejects NaN
        std::ostringstream msg;
        msg << "Dropout: p must be in [0, 1], got " << p;
        throw ValueError(msg.str());
    }
}

template <class T>
std::string Dropout<T>::describe() const {
    std::ostringstream out;
    out << "Dropout(p=" << p_ << ')';
    return out.str();
}

template <class T>
Tensor<T> Dropout<T>::forward(const Tensor<T>& x) {
    if (!this->is_training() || p_ == 0.0) return x;
    const T scale = p_ < 1.0 ? static_cast<T>(1.0 / (1.0 - p_)) : T(0);
    Array<T> mask = Array<T>::from_shape(x.value().shape());
    for (auto& m : mask) m = gen_.uniform() >= p_ ? scale : T(0);
    return mul(x, Tensor<T>(std::move(mask), false));
}

template class Dropout<float>;
template class Dropout<double>;

}  // namespace dg::nn
