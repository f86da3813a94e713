// Dropout: inverted dropout with its own seeded generator; the identity in eval mode.
#pragma once

#include "autograd/array/random.hpp"
#include "nn/module.hpp"

namespace dg::nn {

/// In training mode each element is zeroed with probability p and the survivors are scaled by 1/(1−p),
/// so the expected output equals the input and eval mode needs no rescaling (inverted dropout).
/// In eval mode, or with p = 0, forward returns its input unchanged. p = 1 zeroes everything. A clone() copies the
/// generator's state: the copy draws the masks the original would draw next.
template <class T>
class Dropout : public Cloneable<Dropout<T>, T> {
public:
    /// The layer's generator is seeded from one draw of `gen`: two Dropout layers built from one generator
    /// get different masks, and the same seed gives the same masks run after run.
    Dropout(double p, Generator& gen);

    Tensor<T> forward(const Tensor<T>& x) override;
    std::string type_name() const override { return "Dropout"; }
    std::string describe() const override;

    /// The probability of zeroing an element.
    double p() const { return p_; }
    /// The layer's own generator (to save or restore its state for resumable training).
    Generator& generator() { return gen_; }

private:
    double p_;
    Generator gen_;
};

extern template class Dropout<float>;
extern template class Dropout<double>;

}  // namespace dg::nn
