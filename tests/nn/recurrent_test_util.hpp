// Shared by the recurrent layer tests (recurrent_test.cpp, recurrent_options_test.cpp): calling RNN / LSTM / GRU
// alike, a batch with lengths against each sequence run alone, and the gradcheck of a whole module in double.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <vector>

#include "autograd/inspect/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "nn/layers/recurrent.hpp"
#include "support/allclose.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn::recurrent_test {

/// A parent, so that errors carry the module's path.
struct Holder : Module<double> {};

/// The names of m's state_dict, in order.
inline std::vector<std::string> names_of(const Module<double>& m) {
    std::vector<std::string> names;
    for (const auto& [name, t] : m.state_dict()) names.push_back(name);
    return names;
}

/// Everything a recurrent module's forward returns: output, h_n and (the LSTM's) c_n.
struct Outs {
    Tensor<double> out, h_n, c_n;
};

/// m(x, h0 (and c0 for the LSTM), lengths) as Outs.
template <class M>
Outs run(M& m, const Tensor<double>& x, const Tensor<double>& h0, const Tensor<double>& c0,
         const std::vector<std::size_t>& lengths = {}) {
    if constexpr (std::is_same_v<M, LSTM<double>>) {
        auto [out, s] = m(x, LstmState<double>{h0, c0}, lengths);
        return {out, s.h, s.c};
    } else {
        auto [out, h_n] = m(x, h0, lengths);
        return {out, h_n, {}};
    }
}

/// Σ out⊙R + Σ h_n⊙Rh (+ Σ c_n⊙Rc): a scalar that reads every output with its own weight.
inline Tensor<double> weighted(const Outs& o, const Outs& r) {
    Tensor<double> l = add(sum(mul(o.out, r.out)), sum(mul(o.h_n, r.h_n)));
    return o.c_n.defined() ? add(l, sum(mul(o.c_n, r.c_n))) : l;
}

/// A batch of sequences of lengths {3, 5, 1, 3} (unsorted, with a tie) run at once must give, sequence by sequence,
/// what the sequence gives run alone: its outputs up to its length, zeros after, its final states, and, for a loss
/// reading all of them, the same gradients for every parameter, the input and the initial states (summed over the
/// sequences; 0 for the padding of the input). Bidirectional modules too: run alone, a sequence's reverse direction
/// starts at its own last step.
template <class M>
void expect_lengths_as_each_alone(M& m) {
    constexpr bool lstm = std::is_same_v<M, LSTM<double>>;
    const std::vector<std::size_t> lengths = {3, 5, 1, 3};
    const std::size_t steps = 5, batch = lengths.size(), Ls = m.num_directions() * m.num_layers(),
                      Hs = m.hidden_size(), Ho = m.num_directions() * Hs;
    const bool bf = m.batch_first();
    const int b_axis = bf ? 0 : 1, t_axis = bf ? 1 : 0;
    const Shape xs = bf ? Shape{batch, steps, m.input_size()} : Shape{steps, batch, m.input_size()};
    const Tensor<double> x = test::randn(xs, 11), h0 = test::randn({Ls, batch, Hs}, 12);
    const Tensor<double> c0 = lstm ? test::randn({Ls, batch, Hs}, 13) : Tensor<double>();
    const Shape os = bf ? Shape{batch, steps, Ho} : Shape{steps, batch, Ho};
    const Outs r{test::randn(os, 14, false), test::randn({Ls, batch, Hs}, 15, false),
                 lstm ? test::randn({Ls, batch, Hs}, 16, false) : Tensor<double>()};

    const Outs all = run(m, x, h0, c0, lengths);
    weighted(all, r).backward();
    std::vector<Tensor<double>> leaves = m.parameters();
    leaves.push_back(x);
    leaves.push_back(h0);
    if (lstm) leaves.push_back(c0);
    std::vector<Array<double>> batched;
    for (Tensor<double>& t : leaves) {
        batched.push_back(t.grad().value());
        t.zero_grad();
    }

    const auto seq = [&](const Tensor<double>& t, std::size_t i, std::size_t len) {  // sequence i, steps [0, len)
        return narrow(narrow(t, b_axis, i, 1), t_axis, 0, len);
    };
    for (std::size_t i = 0; i < batch; ++i) {
        SCOPED_TRACE("sequence " + std::to_string(i) + " of length " + std::to_string(lengths[i]));
        const std::size_t len = lengths[i];
        const auto state = [&](const Tensor<double>& t) { return t.defined() ? narrow(t, 1, i, 1) : t; };
        const Outs alone = run(m, seq(x, i, len), state(h0), state(c0));
        EXPECT_TRUE(test::all_close(seq(all.out, i, len), alone.out, 1e-14, 1e-12));
        if (len < steps)
            EXPECT_TRUE(test::all_close(narrow(narrow(all.out, b_axis, i, 1), t_axis, len, steps - len),
                                        Tensor<double>::zeros(bf ? Shape{1, steps - len, Ho}
                                                                 : Shape{steps - len, 1, Ho}),
                                        0, 0));
        EXPECT_TRUE(test::all_close(state(all.h_n), alone.h_n, 1e-14, 1e-12));
        if (lstm) EXPECT_TRUE(test::all_close(state(all.c_n), alone.c_n, 1e-14, 1e-12));
        weighted(alone, Outs{seq(r.out, i, len), state(r.h_n), state(r.c_n)}).backward();  // accumulates
    }
    const auto names = m.named_parameters();
    for (std::size_t k = 0; k < leaves.size(); ++k)
        EXPECT_TRUE(test::all_close(leaves[k].grad().value(), batched[k], 1e-13, 1e-11))
            << (k < names.size() ? names[k].first : k == names.size() ? "x" : k == names.size() + 1 ? "h0" : "c0");
}

/// Every parameter, the input and the initial states, gradchecked in double through the whole forward (lengths
/// unsorted, so the sorting, the stretches and the padding are inside the check).
template <class M>
void expect_module_gradcheck(M& m, const std::vector<std::size_t>& lengths, bool second_order = false) {
    constexpr bool lstm = std::is_same_v<M, LSTM<double>>;
    const std::size_t steps = 3, batch = 3, Ls = m.num_directions() * m.num_layers(), Hs = m.hidden_size();
    const Shape xs = m.batch_first() ? Shape{batch, steps, m.input_size()} : Shape{steps, batch, m.input_size()};
    NamedTensors inputs = m.named_parameters();
    inputs.emplace_back("x", test::randn(xs, 31));
    inputs.emplace_back("h0", test::uniform({Ls, batch, Hs}, 32, -0.5, 0.5));
    if (lstm) inputs.emplace_back("c0", test::uniform({Ls, batch, Hs}, 33, -0.5, 0.5));
    const std::size_t n = m.named_parameters().size();
    const auto f = [&](const std::vector<Tensor<double>>& in) {
        const Outs o = run(m, in[n], in[n + 1], lstm ? in[n + 2] : Tensor<double>(), lengths);
        std::vector<Tensor<double>> parts{flatten(o.out, 0), flatten(o.h_n, 0)};
        if (lstm) parts.push_back(flatten(o.c_n, 0));
        return concat(parts, 0);
    };
    const GradcheckReport report = second_order ? gradgradcheck(f, inputs) : gradcheck(f, inputs);
    EXPECT_TRUE(report.ok) << report.str();
    EXPECT_EQ(report.inputs.size(), inputs.size() + (second_order ? 1 : 0));  // gradgradcheck adds R
}

}  // namespace dg::nn::recurrent_test
