// The fuzz entry point of the MLP spec parser (deltagrad::nn), shared like entry_data.hpp's: dg::Error is the
// one allowed failure; anything else escaping, or a sanitizer report, is a bug.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"
#include "autograd/array/random.hpp"
#include "autograd/tensor.hpp"
#include "nn/layers/mlp.hpp"

namespace dg::fuzz {

/// MLP spec: parse; the canonical text must parse back to exactly the same spec (sizes, kinds, α bit for bit);
/// a small enough network is built and run forward and backward on a 2-row batch.
inline void run_mlp_spec(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    nn::MlpSpec spec;
    try {
        spec = nn::parse_mlp_spec(text);
    } catch (const dg::Error&) {
        return;
    }
    const std::string canonical = spec.str();
    const nn::MlpSpec again = nn::parse_mlp_spec(canonical);
    bool same = again.sizes == spec.sizes && again.activations.size() == spec.activations.size();
    for (std::size_t l = 0; same && l < spec.activations.size(); ++l)
        same = again.activations[l].kind == spec.activations[l].kind &&
               again.activations[l].alpha == spec.activations[l].alpha;
    if (!same || again.str() != canonical)
        throw std::logic_error("mlp spec: canonical text \"" + canonical + "\" does not parse back to the same spec");
    std::size_t params = 0;
    for (std::size_t l = 1; l < spec.sizes.size(); ++l) {
        if (spec.sizes[l] > 4096 || spec.sizes[l - 1] > 4096) return;
        params += spec.sizes[l] * (spec.sizes[l - 1] + 1);
    }
    if (params > 20000 || spec.sizes.size() > 16) return;
    try {
        Generator gen(1);
        nn::Mlp<float> mlp(spec, gen);
        const auto x = Tensor<float>::randn({2, spec.sizes[0]}, gen);
        Tensor<float> y = mlp(x);
        if (y.shape() != Shape{2, spec.sizes.back()}) throw std::logic_error("mlp: output shape is wrong");
        sum(y).backward();
    } catch (const dg::Error&) {}
}

}  // namespace dg::fuzz
