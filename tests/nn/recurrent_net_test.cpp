// RecurrentNet and its spec (nn/layers/recurrent_net.*): the grammar, canonical text and errors; the network against
// its layers called by hand; embedding input; the loss at every step or at the last.
#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "nn/layers/recurrent_net.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/random_tensor.hpp"

namespace dg::nn {
namespace {

using test::all_close;

TEST(RecurrentNetSpec, ParsesSizesCellAndOptions) {
    const RecurrentSpec a = parse_recurrent_spec("3-8-6-4:lstm");
    EXPECT_EQ(a.vocabulary, 0u);
    EXPECT_EQ(a.input, 3u);
    EXPECT_EQ(a.hidden, (std::vector<std::size_t>{8, 6}));
    EXPECT_EQ(a.outputs, 4u);
    EXPECT_EQ(a.cell, RecurrentKind::lstm);
    EXPECT_EQ(a.steps, 5u);
    EXPECT_EQ(a.loss_at, LossAt::every_step);
    EXPECT_EQ(a.str(), "3-8-6-4:lstm:T5:every");
    const RecurrentSpec b = parse_recurrent_spec(" emb27x8 - 16 - 27 : rnn_relu : last : T12 ");
    EXPECT_EQ(b.vocabulary, 27u);
    EXPECT_EQ(b.input, 8u);
    EXPECT_EQ(b.cell, RecurrentKind::rnn_relu);
    EXPECT_EQ(b.steps, 12u);
    EXPECT_EQ(b.loss_at, LossAt::last_step);
    EXPECT_EQ(b.str(), "emb27x8-16-27:rnn-relu:T12:last");
    EXPECT_EQ(parse_recurrent_spec(b.str()).str(), b.str());
    EXPECT_EQ(parse_recurrent_spec("2-4-1:rnn").cell, RecurrentKind::rnn_tanh);
    EXPECT_EQ(parse_recurrent_spec("2-4-1:gru").cell, RecurrentKind::gru);
}

TEST(RecurrentNetSpec, TellsRecurrentSpecsFromMlpSpecs) {
    EXPECT_TRUE(is_recurrent_spec("3-8-4:lstm"));
    EXPECT_TRUE(is_recurrent_spec("emb10x4-8-10:rnn-tanh:T3"));
    EXPECT_FALSE(is_recurrent_spec("4-8-3:tanh"));
    EXPECT_FALSE(is_recurrent_spec("784-100-10"));
}

TEST(RecurrentNetSpec, BadSpecsSayWhatWasExpected) {
    EXPECT_THROW_MSG(parse_recurrent_spec("3-8-4"), ValueError, "'3-8-4'", "expected sizes and a cell");
    EXPECT_THROW_MSG(parse_recurrent_spec("3-4:lstm"), ValueError, "at least one recurrent layer");
    EXPECT_THROW_MSG(parse_recurrent_spec("3-8-4:elman"), ValueError, "unknown cell 'elman'", "lstm or gru");
    EXPECT_THROW_MSG(parse_recurrent_spec("3-0-4:gru"), ValueError, "a hidden width '0' is not a positive integer");
    EXPECT_THROW_MSG(parse_recurrent_spec("emb10-8-4:gru"), ValueError, "'emb<V>x<D>'");
    EXPECT_THROW_MSG(parse_recurrent_spec("3-8-4:gru:T0"), ValueError, "the sequence length '0'");
    EXPECT_THROW_MSG(parse_recurrent_spec("3-8-4:gru:T3:T4"), ValueError, "given twice");
    EXPECT_THROW_MSG(parse_recurrent_spec("3-8-4:gru:every:last"), ValueError, "given twice");
    EXPECT_THROW_MSG(parse_recurrent_spec("3-8-4:gru:often"), ValueError, "unknown option 'often'");
}

TEST(RecurrentNet, IsItsLayersAndHeadAtEveryOrTheLastStep) {
    for (const char* text : {"3-5-4-2:gru", "3-5-4-2:gru:last"}) {
        SCOPED_TRACE(text);
        Generator gen(1);
        RecurrentNet<double> net(text, gen);
        ASSERT_EQ(net.layers().size(), 2u);
        std::vector<std::string> names;
        for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
        EXPECT_EQ(names.front(), "rnn1.weight_ih_l0");
        EXPECT_EQ(names.back(), "head.bias");
        const Tensor<double> x = test::randn({6, 3, 3}, 2, false);
        const Tensor<double> h = static_cast<Module<double>&>(*net.layers()[1])(
            static_cast<Module<double>&>(*net.layers()[0])(x));  // [6, 3, 4]
        const Tensor<double> rows = net.spec().loss_at == LossAt::every_step ? reshape(h, {18, 4})
                                                                             : reshape(narrow(h, 0, 5, 1), {3, 4});
        EXPECT_TRUE(all_close(net(x), (*net.head())(rows), 0, 0));
    }
}

TEST(RecurrentNet, NumbersInputMustHaveABatchAxis) {
    // Its layers take [T, C] as one unbatched sequence; the network's head reads [T, N, H], so it refuses [T, C].
    Generator gen(4);
    RecurrentNet<double> net("3-4-2:gru", gen);
    EXPECT_THROW_MSG(net(test::randn({5, 3}, 5, false)), ShapeError, "RecurrentNet 3-4-2:gru",
                     "input has shape [5, 3], expected [T, N, C] with C = 3");
}

TEST(RecurrentNet, EmbeddingInputReadsTokenIndices) {
    Generator gen(3);
    RecurrentNet<double> net("emb7x3-4-7:rnn-relu", gen);
    Tensor<double> tokens = Tensor<double>::zeros({5, 2});
    for (std::size_t i = 0; i < 10; ++i) tokens.mutable_value().data()[i] = static_cast<double>(i % 7);
    const Tensor<double> emb = (*net.embedding())(tokens);
    EXPECT_EQ(emb.shape(), (Shape{5, 2, 3}));
    const Tensor<double> h = static_cast<Module<double>&>(*net.layers()[0])(emb);
    EXPECT_TRUE(all_close(net(tokens), (*net.head())(reshape(h, {10, 4})), 0, 0));
    EXPECT_THROW_MSG(net(test::randn({5, 2, 3}, 4, false)), ShapeError, "token indices [T, N]");
    auto copy = net.clone();
    EXPECT_TRUE(all_close((*copy)(tokens), net(tokens), 0, 0));
}

}  // namespace
}  // namespace dg::nn
