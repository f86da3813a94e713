// The fuzz entry point of the CNN spec parser (deltagrad::nn), as entry_mlp.hpp's: dg::Error is the one allowed
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
#include "nn/layers/cnn.hpp"

namespace dg::fuzz {

/// CNN spec: parse; the canonical text must parse back to the same canonical text with the same layer shapes; a
/// small enough network is built and run forward and backward on a 2-image batch, its output of the parsed width.
inline void run_cnn_spec(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    nn::CnnSpec spec;
    try {
        spec = nn::parse_cnn_spec(text);
    } catch (const dg::Error&) {
        return;
    }
    const std::string canonical = spec.str();
    const nn::CnnSpec again = nn::parse_cnn_spec(canonical);
    bool same = again.str() == canonical && again.layers.size() == spec.layers.size();
    for (std::size_t l = 0; same && l < spec.layers.size(); ++l) same = again.layers[l].output == spec.layers[l].output;
    if (!same) throw std::logic_error("cnn spec: canonical text \"" + canonical + "\" does not parse back to the same spec");
    // Build only what runs in a moment: bounded inputs, activations and parameters.
    if (spec.input_features() > 4096 || spec.layers.size() > 12) return;
    Shape prev = spec.input_shape();
    std::size_t work = 0, params = 0;
    for (const nn::CnnLayerSpec& l : spec.layers) {
        std::size_t n = 1;
        for (std::size_t d : l.output) n = d > 65536 ? 65537 : n * d;
        if (n > 65536) return;
        work += n;
        if (l.kind == nn::CnnLayerKind::conv) params += l.size * (prev[0] / l.groups) * l.kernel * l.kernel;
        if (l.kind == nn::CnnLayerKind::dense) params += l.size * prev[0];
        if (params > 50000 || work > 200000) return;
        prev = l.output;
    }
    try {
        Generator gen(1);
        nn::Cnn<float> cnn(spec, gen);
        const auto x = Tensor<float>::randn({2, spec.channels, spec.height, spec.width}, gen);
        Tensor<float> y = cnn(x);
        if (y.shape() != Shape{2, spec.output_features()}) throw std::logic_error("cnn: output shape is wrong");
        sum(y).backward();
    } catch (const dg::Error&) {}
}

}  // namespace dg::fuzz
