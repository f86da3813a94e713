// Truncated backpropagation through time with the recurrent modules: a sequence run in two chunks, the state carried
// across with detach(). The second chunk's gradients stop at its first step (nothing reaches the first chunk's input
// or initial state) and equal the BPTT reference run on the second chunk alone from the carried state.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/layers/linear.hpp"
#include "nn/layers/recurrent.hpp"
#include "nn/loss.hpp"
#include "nn/reference/bptt_lstm.hpp"
#include "nn/reference/bptt_rnn.hpp"
#include "reference/bptt_test_util.hpp"
#include "support/allclose.hpp"

namespace dg::nn {
namespace {

using dg::test::all_close;
using reference::test::random_array;
using Td = Tensor<double>;

constexpr std::size_t chunk = 3, N = 2, C = 2, H = 3, K = 3, layers = 2;

/// Class targets for one chunk: indices for autograd, one-hot rows [chunk·N, K] for the reference.
struct Targets {
    std::vector<std::size_t> index;
    Array<double> onehot;
};
Targets classes(std::mt19937_64& rng) {
    Targets y{{}, xt::zeros<double>({chunk * N, K})};
    for (std::size_t i = 0; i < chunk * N; ++i) {
        y.index.push_back(rng() % K);
        y.onehot(i, y.index.back()) = 1.0;
    }
    return y;
}

/// The head and cross-entropy at every step of a chunk's output [chunk, N, H].
Td chunk_loss(Linear<double>& head, const Td& out, const Targets& y) {
    return cross_entropy(head(reshape(out, {chunk * N, H})), y.index);
}

/// Layer k's state [N, H] of states [L, N, H], as an array.
Array<double> layer_of(const Td& states, std::size_t k) { return Array<double>(xt::view(states.value(), k)); }

/// The module's parameter gradients against a reference layer's (and the head's).
template <class Layer, class Head>
void expect_gradients(const RecurrentBase<double>& rnn, const Linear<double>& head, const std::vector<Layer>& ref,
                      const Head& ref_head) {
    for (std::size_t k = 0; k < layers; ++k) {
        const std::string l = "layer " + std::to_string(k);
        EXPECT_TRUE(all_close(rnn.weight_ih(k).grad().value(), ref[k].dW_ih, 1e-13, 1e-10)) << l << " W_ih";
        EXPECT_TRUE(all_close(rnn.weight_hh(k).grad().value(), ref[k].dW_hh, 1e-13, 1e-10)) << l << " W_hh";
        EXPECT_TRUE(all_close(rnn.bias_ih(k).grad().value(), ref[k].db_ih, 1e-13, 1e-10)) << l << " b_ih";
        EXPECT_TRUE(all_close(rnn.bias_hh(k).grad().value(), ref[k].db_hh, 1e-13, 1e-10)) << l << " b_hh";
    }
    EXPECT_TRUE(all_close(head.weight().grad().value(), ref_head.dW, 1e-13, 1e-10)) << "head W";
}

TEST(BpttTruncated, ElmanChunkGradientStopsAtTheCarriedStateAndEqualsTheReferenceOnTheChunk) {
    std::mt19937_64 rng(71);
    Generator gen(71);
    RNN<double> rnn(C, H, gen, RecurrentOptions{layers});
    Linear<double> head(H, K, gen);
    Td x1(random_array(rng, {chunk, N, C}, 1.0), true), x2(random_array(rng, {chunk, N, C}, 1.0), true);
    Td h0(random_array(rng, {layers, N, H}, 0.5), true);
    const Targets y1 = classes(rng), y2 = classes(rng);

    // Chunk 1: forward, backward, and its final state carried on without its history.
    auto [out1, h1] = rnn(x1, h0);
    chunk_loss(head, out1, y1).backward();
    rnn.zero_grad();
    head.zero_grad();
    x1.zero_grad();
    h0.zero_grad();
    const Td carried = h1.detach();
    EXPECT_FALSE(carried.requires_grad());

    // Chunk 2 from the carried state: its backward reaches neither chunk 1's input nor its initial state.
    auto [out2, h2] = rnn(x2, carried);
    chunk_loss(head, out2, y2).backward();
    EXPECT_FALSE(x1.has_grad());
    EXPECT_FALSE(h0.has_grad());
    EXPECT_TRUE(x2.has_grad());

    // The BPTT reference on chunk 2 alone, from the carried state: the same gradients.
    reference::RnnParams<double> net;
    for (std::size_t k = 0; k < layers; ++k)
        net.layers.push_back({rnn.weight_ih(k).value(), rnn.weight_hh(k).value(), rnn.bias_ih(k).value(),
                              rnn.bias_hh(k).value(), ActivationKind::tanh});
    net.head = {head.weight().value(), head.bias().value(), ActivationKind::identity, {}};
    const auto ref = reference::bptt_rnn(net, x2.value(), {layer_of(carried, 0), layer_of(carried, 1)}, y2.onehot,
                                         reference::Loss::softmax_ce, reference::LossAt::every_step);
    expect_gradients(rnn, head, ref.layers, ref.head);
    for (std::size_t t = 0; t < chunk; ++t)
        EXPECT_TRUE(all_close(Array<double>(xt::view(x2.grad().value(), t)), ref.dx[t], 1e-13, 1e-10)) << "dx " << t;

    // Without detach() the gradient flows back into chunk 1 and no longer equals the chunk's own: the test can fail.
    rnn.zero_grad();
    head.zero_grad();
    auto [o1, s1] = rnn(x1, h0);
    auto [o2, s2] = rnn(x2, s1);
    chunk_loss(head, o2, y2).backward();
    EXPECT_TRUE(h0.has_grad());
    EXPECT_FALSE(all_close(rnn.weight_hh(0).grad().value(), ref.layers[0].dW_hh, 1e-13, 1e-10));
}

TEST(BpttTruncated, LstmCarriesBothStatesDetachedAndEqualsTheReferenceOnTheChunk) {
    std::mt19937_64 rng(72);
    Generator gen(72);
    LSTM<double> lstm(C, H, gen, RecurrentOptions{layers});
    Linear<double> head(H, K, gen);
    const Td x1(random_array(rng, {chunk, N, C}, 1.0), true), x2(random_array(rng, {chunk, N, C}, 1.0), true);
    const Targets y2 = classes(rng);

    auto [out1, s1] = lstm(x1);
    const LstmState<double> carried{s1.h.detach(), s1.c.detach()};
    auto [out2, s2] = lstm(x2, carried);
    chunk_loss(head, out2, y2).backward();
    EXPECT_FALSE(x1.has_grad());

    reference::LstmParams<double> net;
    for (std::size_t k = 0; k < layers; ++k)
        net.layers.push_back(
            {lstm.weight_ih(k).value(), lstm.weight_hh(k).value(), lstm.bias_ih(k).value(), lstm.bias_hh(k).value()});
    net.head = {head.weight().value(), head.bias().value(), ActivationKind::identity, {}};
    const auto ref = reference::bptt_lstm(net, x2.value(), {layer_of(carried.h, 0), layer_of(carried.h, 1)},
                                          {layer_of(carried.c, 0), layer_of(carried.c, 1)}, y2.onehot,
                                          reference::Loss::softmax_ce, reference::LossAt::every_step);
    expect_gradients(lstm, head, ref.layers, ref.head);
}

}  // namespace
}  // namespace dg::nn
