// The fuzz entry point of the recurrent spec parser (deltagrad::nn), as entry_cnn.hpp's: dg::Error is the one allowed
// failure; anything else escaping, or a sanitizer report, is a bug.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "autograd/array/errors.hpp"
#include "autograd/array/random.hpp"
#include "autograd/ops.hpp"
#include "autograd/tensor.hpp"
#include "nn/layers/recurrent_net.hpp"

namespace dg::fuzz {

/// Recurrent spec: parse; the canonical text must parse back to itself; a small enough network is built and run
/// forward and backward on a batch of 2 sequences of the spec's length, its output of the expected shape.
inline void run_recurrent_spec(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    nn::RecurrentSpec spec;
    try {
        spec = nn::parse_recurrent_spec(text);
    } catch (const dg::Error&) {
        return;
    }
    const std::string canonical = spec.str();
    if (nn::parse_recurrent_spec(canonical).str() != canonical)
        throw std::logic_error("recurrent spec: canonical text \"" + canonical + "\" does not parse back to itself");
    // Build only what runs in a moment: bounded widths, depth and length.
    if (spec.steps > 16 || spec.hidden.size() > 4 || spec.vocabulary > 1000) return;
    std::size_t params = spec.vocabulary * spec.input, width = spec.input;
    for (std::size_t h : spec.hidden) {
        if (h > 256) return;
        params += 4 * h * (width + h + 2);
        width = h;
    }
    params += spec.outputs * (width + 1);
    if (spec.input > 256 || spec.outputs > 256 || params > 100000) return;
    try {
        Generator gen(1);
        nn::RecurrentNet<float> net(spec, gen);
        const std::size_t T = spec.steps, N = 2;
        Tensor<float> x;
        if (spec.vocabulary) {
            Array<float> tokens = Array<float>::from_shape({T, N});
            for (std::size_t i = 0; i < tokens.size(); ++i) tokens.data()[i] = static_cast<float>(i % spec.vocabulary);
            x = Tensor<float>(std::move(tokens));
        } else {
            x = Tensor<float>::randn({T, N, spec.input}, gen);
        }
        Tensor<float> y = net(x);
        const std::size_t rows = spec.loss_at == nn::LossAt::every_step ? T * N : N;
        if (y.shape() != Shape{rows, spec.outputs}) throw std::logic_error("recurrent net: output shape is wrong");
        sum(y).backward();
    } catch (const dg::Error&) {}
}

}  // namespace dg::fuzz
