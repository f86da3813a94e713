// Parameter initializers: normal, uniform, Xavier/Glorot, He/Kaiming, zeros/constant. Every random one takes
// the dg::Generator explicitly (same seed, same values), and fills in place under a NoGradGuard.
#pragma once

#include <string>
#include <utility>

#include "autograd/array/random.hpp"
#include "autograd/tensor.hpp"

namespace dg::nn {

/// An initializer as a value, for layer options: Init::normal(0.01), Init::xavier_uniform(), ...
/// fan_in / fan_out of a tensor [out, in, k...] are in·k... and out·k... (PyTorch's rule); the
/// fan-based schemes need at least 2 dimensions.
struct Init {
    /// The scheme, one per factory below.
    enum class Kind { zeros, constant, normal, uniform, fan_in_uniform, xavier_uniform, xavier_normal,
                      kaiming_uniform, kaiming_normal };
    Kind kind = Kind::fan_in_uniform;  ///< which scheme; a and b are its numbers
    double a = 0;  ///< constant: the value; normal: σ; uniform: the half-width; xavier/kaiming: the gain
    double b = 0;  ///< normal: the mean

    static Init zeros() { return {Kind::zeros, 0, 0}; }                                 ///< all 0 (biases)
    static Init constant(double value) { return {Kind::constant, value, 0}; }  ///< every element `value`
    /// N(mean, σ²): the notes' default, e.g. Init::normal(0.01).
    static Init normal(double stddev, double mean = 0) { return {Kind::normal, stddev, mean}; }
    /// U(−a, a): the notes' rand(−0.01, 0.01) is Init::uniform(0.01).
    static Init uniform(double a) { return {Kind::uniform, a, 0}; }
    /// U(−1/√fan_in, 1/√fan_in): what PyTorch's nn.Linear does (kaiming_uniform with a = √5); the default
    /// weight init of Linear and MLP here.
    static Init fan_in_uniform() { return {Kind::fan_in_uniform, 0, 0}; }
    /// U(−g·√(6/(fan_in+fan_out)), +…), for tanh / sigmoid layers.
    static Init xavier_uniform(double gain = 1) { return {Kind::xavier_uniform, gain, 0}; }
    /// N(0, g²·2/(fan_in+fan_out)).
    static Init xavier_normal(double gain = 1) { return {Kind::xavier_normal, gain, 0}; }
    /// U(−g·√(3/fan_in), +…); the default gain √2 suits ReLU.
    static Init kaiming_uniform(double gain = 1.4142135623730951) { return {Kind::kaiming_uniform, gain, 0}; }
    /// N(0, g²/fan_in); the default gain √2 suits ReLU.
    static Init kaiming_normal(double gain = 1.4142135623730951) { return {Kind::kaiming_normal, gain, 0}; }

    /// "normal(σ=0.01)", "xavier_uniform(gain=1)", ... for summaries and messages.
    std::string str() const;
};

/// fan_in and fan_out of a shape [out, in, k...]; ValueError for fewer than 2 dimensions.
std::pair<std::size_t, std::size_t> fans(const Shape& shape, const char* who);

namespace init {

// Each fills `t` in place (t is a handle: the caller's tensor changes) and returns it. Values are drawn in
// double in row-major order and rounded to T, so float and double tensors from one seed agree.
template <class T> Tensor<T> zeros_(Tensor<T> t);
template <class T> Tensor<T> constant_(Tensor<T> t, double value);
template <class T> Tensor<T> normal_(Tensor<T> t, Generator& gen, double mean = 0, double stddev = 1);
template <class T> Tensor<T> uniform_(Tensor<T> t, Generator& gen, double low, double high);
template <class T> Tensor<T> xavier_uniform_(Tensor<T> t, Generator& gen, double gain = 1);
template <class T> Tensor<T> xavier_normal_(Tensor<T> t, Generator& gen, double gain = 1);
template <class T> Tensor<T> kaiming_uniform_(Tensor<T> t, Generator& gen, double gain = 1.4142135623730951);
template <class T> Tensor<T> kaiming_normal_(Tensor<T> t, Generator& gen, double gain = 1.4142135623730951);
/// Applies an Init value.
template <class T> Tensor<T> apply_(Tensor<T> t, const Init& init, Generator& gen);

}  // namespace init
}  // namespace dg::nn
