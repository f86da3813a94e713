// Seeded random tensors for tests, including inputs kept away from kinks (|x| >= margin) and positive
// inputs for log/sqrt/pow, so finite differences never straddle a non-differentiable point.
#pragma once

#include "autograd/array/random.hpp"
#include "autograd/tensor.hpp"

namespace dg::test {

/// Normal(0, 1) entries, fixed by `seed`.
inline Tensor<double> randn(const Shape& shape, std::uint64_t seed, bool requires_grad = true) {
    Generator gen(seed);
    return Tensor<double>::randn(shape, gen, 0.0, 1.0, requires_grad);
}

/// Uniform in [low, high), fixed by `seed`.
inline Tensor<double> uniform(const Shape& shape, std::uint64_t seed, double low, double high,
                              bool requires_grad = true) {
    Generator gen(seed);
    return Tensor<double>::rand(shape, gen, low, high, requires_grad);
}

/// Uniform magnitudes in [margin, 2] with random signs: no entry within `margin` of 0.
inline Tensor<double> away_from_zero(const Shape& shape, std::uint64_t seed, double margin = 0.1,
                                     bool requires_grad = true) {
    Generator gen(seed);
    Array<double> a = Array<double>::from_shape(shape);
    for (auto& v : a) {
        const double m = gen.uniform(margin, 2.0);
        v = gen.uniform() < 0.5 ? -m : m;
    }
    return Tensor<double>(std::move(a), requires_grad);
}

/// Distinct values (a shuffled grid with spacing `step`, shifted by `offset`): max/min never tie, and two
/// such tensors with offsets differing by step/2 never come closer than step/2.
inline Tensor<double> distinct(const Shape& shape, std::uint64_t seed, double offset = 0.013, double step = 0.1,
                               bool requires_grad = true) {
    Generator gen(seed);
    Array<double> a = Array<double>::from_shape(shape);
    const std::size_t n = a.size();
    // Integer multiples of step (n / 2 in integers), so the grids of two tensors differ exactly by their offsets.
    for (std::size_t i = 0; i < n; ++i)
        a.data()[i] = (static_cast<double>(i) - static_cast<double>(n / 2)) * step + offset;
    for (std::size_t i = n; i > 1; --i) std::swap(a.data()[i - 1], a.data()[gen.below(i)]);
    return Tensor<double>(std::move(a), requires_grad);
}

}  // namespace dg::test
