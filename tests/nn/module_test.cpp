// Module: registration and dotted names, paths in errors, train/eval propagation, zero_grad, the summary's
// parameter counts and shapes; modules whose forward takes and returns several tensors (Cloneable), buffers, and
// clone() of every built-in layer and of user modules.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <typeinfo>

#include "autograd/ops.hpp"
#include "nn/nn.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

using test::same_bits;

// A hand-written composite: a Sequential encoder, a head and a frozen scale, like a user model.
struct Net : Module<double> {
    explicit Net(Generator& gen) {
        encoder = register_module("encoder", std::make_shared<Sequential<double>>(std::initializer_list<Ptr>{
                                                 std::make_shared<Linear<double>>(3, 4, gen),
                                                 std::make_shared<Tanh<double>>(),
                                                 std::make_shared<Dropout<double>>(0.5, gen)}));
        head = register_module("head", std::make_shared<Linear<double>>(4, 2, gen));
        scale = register_parameter("scale", Tensor<double>::full({2}, 2.0), /*requires_grad=*/false);
    }
    Tensor<double> forward(const Tensor<double>& x) override { return (*head)((*encoder)(x)) * scale; }
    std::string type_name() const override { return "Net"; }

    std::shared_ptr<Sequential<double>> encoder;
    std::shared_ptr<Linear<double>> head;
    Tensor<double> scale;
};

TEST(Module, NamedParametersUseDottedPathsInRegistrationOrder) {
    Generator gen(1);
    Net net(gen);
    std::vector<std::string> names;
    for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
    // Own parameters come first, then children depth first.
    EXPECT_EQ(names, (std::vector<std::string>{"scale", "encoder.0.weight", "encoder.0.bias", "head.weight",
                                               "head.bias"}));
    EXPECT_EQ(net.named_parameters(/*recurse=*/false).size(), 1u);
    EXPECT_EQ(net.parameters().size(), 5u);
    EXPECT_TRUE(net.parameter("head.weight").same(net.head->weight()));
    EXPECT_THROW_MSG(net.parameter("head.wieght"), ValueError, "no parameter \"head.wieght\"", "head.weight",
                     "encoder.0.bias");
}

TEST(Module, PathsAndLabelsFollowTheTree) {
    Generator gen(1);
    Net net(gen);
    EXPECT_EQ(net.path(), "");
    EXPECT_EQ(net.encoder->path(), "encoder");
    EXPECT_EQ((*net.encoder)[0]->path(), "encoder.0");
    EXPECT_EQ(net.parameter("encoder.0.weight").label(), "encoder.0.weight");
    // Registering a subtree under a new parent renames everything below it.
    Sequential<double> outer;
    outer.push_back("net", std::shared_ptr<Module<double>>(&net, [](Module<double>*) {}));
    EXPECT_EQ((*net.encoder)[0]->path(), "net.encoder.0");
    EXPECT_EQ(net.head->weight().label(), "net.head.weight");
    EXPECT_EQ(net.head->where(), "net.head (Linear 4→2)");

    std::vector<std::string> modules;
    for (const auto& [name, m] : net.named_modules()) modules.push_back(name);
    EXPECT_EQ(modules, (std::vector<std::string>{"encoder", "encoder.0", "encoder.1", "encoder.2", "head"}));
}

TEST(Module, RegistrationRejectsBadAndDuplicateNames) {
    Generator gen(1);
    Net net(gen);
    EXPECT_THROW_MSG(net.register_parameter("scale", Tensor<double>::zeros({1})), ValueError, "Net",
                     "\"scale\" is already registered");
    EXPECT_THROW_MSG(net.register_module("head", std::make_shared<ReLU<double>>()), ValueError,
                     "\"head\" is already registered");
    EXPECT_THROW_MSG(net.register_parameter("a.b", Tensor<double>::zeros({1})), ValueError, "contain no '.'");
    EXPECT_THROW_MSG(net.register_parameter("", Tensor<double>::zeros({1})), ValueError, "non-empty");
    EXPECT_THROW_MSG(net.register_module("x", std::shared_ptr<Module<double>>()), ValueError, "null");
}

TEST(Module, RegisteredParametersAreLeavesThatRequireGrad) {
    const auto owner = std::make_shared<Sequential<double>>();  // kept alive: m must not outlive it
    Module<double>& m = *owner;
    Tensor<double> a({1.0, 2.0});
    Tensor<double> p = m.register_parameter("p", a);
    EXPECT_TRUE(p.requires_grad());
    EXPECT_TRUE(p.same(a));  // aliases the caller's handle
    // A non-leaf becomes a detached leaf: a parameter is never a node of someone else's graph.
    Tensor<double> w({1.0, 2.0}, true);
    Tensor<double> q = m.register_parameter("q", w * 3.0);
    EXPECT_TRUE(q.is_leaf());
    EXPECT_DOUBLE_EQ(q.at(1), 6.0);
}

TEST(Module, TrainAndEvalPropagateToEveryDescendant) {
    Generator gen(1);
    Net net(gen);
    EXPECT_TRUE(net.is_training());
    net.eval();
    EXPECT_FALSE(net.is_training());
    for (const auto& [name, m] : net.named_modules()) EXPECT_FALSE(m->is_training()) << name;
    net.train();
    for (const auto& [name, m] : net.named_modules()) EXPECT_TRUE(m->is_training()) << name;
}

TEST(Module, ZeroGradForgetsEveryGradient) {
    Generator gen(2);
    Net net(gen);
    net.eval();
    sum(net(Tensor<double>::ones({5, 3}))).backward();
    EXPECT_TRUE(net.head->weight().has_grad());
    EXPECT_TRUE(net.parameter("encoder.0.weight").has_grad());
    EXPECT_FALSE(net.scale.has_grad());  // frozen
    net.zero_grad();
    for (const auto& [name, p] : net.named_parameters()) EXPECT_FALSE(p.has_grad()) << name;
}

TEST(Module, CountsTotalAndTrainableParameters) {
    Generator gen(3);
    Net net(gen);
    // encoder.0: 3·4 + 4 = 16; head: 4·2 + 2 = 10; scale: 2 (frozen)
    EXPECT_EQ(net.num_parameters(), 28u);
    EXPECT_EQ(net.num_parameters(/*trainable_only=*/true), 26u);
    Mlp<float> mlp("784-100-10:sigmoid", gen);
    EXPECT_EQ(mlp.num_parameters(), 784u * 100 + 100 + 100 * 10 + 10);  // 79510
}

TEST(Module, SummaryListsModulesShapesAndCounts) {
    Generator gen(3);
    Net net(gen);
    const std::string before = net.to_string();
    EXPECT_NE(before.find("parameters: 28 total, 26 trainable, 2 frozen"), std::string::npos) << before;
    EXPECT_NE(before.find("Linear 3→4"), std::string::npos) << before;
    EXPECT_NE(before.find("Dropout(p=0.5)"), std::string::npos) << before;
    EXPECT_NE(before.find("[*, 2]"), std::string::npos) << before;  // head's shape is known before any forward
    // Rows: header, root, encoder, its 3 children, head; then the totals line.
    EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), 8);

    net(Tensor<double>::ones({7, 3}));
    std::ostringstream out;
    out << net;
    const std::string after = out.str();
    EXPECT_NE(after.find("[7, 4]"), std::string::npos) << after;  // encoder output after a forward
    EXPECT_NE(after.find("[7, 2]"), std::string::npos) << after;
    // The head row: its name, description, shape and 10 parameters on one line.
    const auto head = after.find("  head");
    ASSERT_NE(head, std::string::npos) << after;
    const std::string line = after.substr(head, after.find('\n', head) - head);
    EXPECT_NE(line.find("Linear 4→2"), std::string::npos) << line;
    EXPECT_EQ(line.substr(line.size() - 2), "10") << line;
}

TEST(Module, PlainModuleHasNoForward) {
    struct Container : Module<float> {};
    Container c;
    EXPECT_THROW_MSG(c.forward(Tensor<float>::zeros({1})), ValueError, "has no forward");
}

// ---- forward with any signature ----------------------------------------------------------------------------

// The example of nn/module.hpp, word for word: an Elman RNN taking (x, h0) and returning (outputs, h_n).
template <class T>
class Elman : public nn::Cloneable<Elman<T>, T> {  // h_t = tanh(x_t·W_xhᵀ + h_{t−1}·W_hhᵀ + b)
public:
    Elman(std::size_t in, std::size_t hidden, Generator& gen)
        : xh_(this->register_module("xh", std::make_shared<nn::Linear<T>>(in, hidden, gen))),
          hh_(this->register_module("hh", std::make_shared<nn::Linear<T>>(hidden, hidden, gen))) {}
    // clone() copies the registry; members that point into it are taken from the copy's own
    Elman(const Elman& other)
        : nn::Cloneable<Elman<T>, T>(other), xh_(this->template child<nn::Linear<T>>("xh")),
          hh_(this->template child<nn::Linear<T>>("hh")) {}
    /// x [batch, time, in], h0 [batch, hidden] → (outputs [batch, time, hidden], h_n [batch, hidden])
    std::pair<Tensor<T>, Tensor<T>> forward(const Tensor<T>& x, Tensor<T> h) {
        std::vector<Tensor<T>> outputs;
        for (const Tensor<T>& x_t : chunk(x, x.shape()[1], 1))  // one [batch, 1, in] slice per step
            outputs.push_back(h = tanh((*xh_)(squeeze(x_t, 1)) + (*hh_)(h)));
        return {stack(outputs, 1), h};
    }
    std::string type_name() const override { return "Elman"; }

private:
    std::shared_ptr<nn::Linear<T>> xh_, hh_;
};

// A model holding the RNN as a child, a head, and a struct result of its own.
struct Tagger : Cloneable<Tagger, double> {
    struct Output {
        Tensor<double> logits, h_n;
    };
    explicit Tagger(Generator& gen)
        : rnn(register_module("rnn", std::make_shared<Elman<double>>(3, 4, gen))),
          head(register_module("head", std::make_shared<Linear<double>>(4, 2, gen))) {}
    Tagger(const Tagger& other)
        : Cloneable<Tagger, double>(other), rnn(child<Elman<double>>("rnn")), head(child<Linear<double>>("head")) {}
    Output forward(const Tensor<double>& x, const Tensor<double>& h0) {
        auto [out, h_n] = (*rnn)(x, h0);
        return {(*head)(out), h_n};
    }
    std::string type_name() const override { return "Tagger"; }

    std::shared_ptr<Elman<double>> rnn;
    std::shared_ptr<Linear<double>> head;
};

// The recurrence by hand, from the layers' parameters: what the module must compute.
std::pair<Array<double>, Array<double>> elman_by_hand(const Module<double>& rnn, const Array<double>& x,
                                                      Array<double> h) {
    const Array<double> wx = rnn.parameter("xh.weight").value(), bx = rnn.parameter("xh.bias").value();
    const Array<double> wh = rnn.parameter("hh.weight").value(), bh = rnn.parameter("hh.bias").value();
    const std::size_t batch = x.shape()[0], steps = x.shape()[1], in = x.shape()[2], hidden = wh.shape()[0];
    Array<double> out = Array<double>::from_shape({batch, steps, hidden});
    for (std::size_t t = 0; t < steps; ++t) {
        Array<double> next = Array<double>::from_shape({batch, hidden});
        for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t j = 0; j < hidden; ++j) {
                double z = bx(j) + bh(j);
                for (std::size_t i = 0; i < in; ++i) z += x(b, t, i) * wx(j, i);
                for (std::size_t i = 0; i < hidden; ++i) z += h(b, i) * wh(j, i);
                next(b, j) = out(b, t, j) = std::tanh(z);
            }
        h = next;
    }
    return {out, h};
}

TEST(MultiInputModule, ReturnsOutputsAndLastStateAsTheRecurrence) {
    Generator gen(4);
    auto rnn = std::make_shared<Elman<double>>(3, 4, gen);
    const Tensor<double> x = Tensor<double>::randn({2, 5, 3}, gen), h0 = Tensor<double>::randn({2, 4}, gen);
    auto [out, h_n] = (*rnn)(x, h0);
    const auto [want_out, want_h] = elman_by_hand(*rnn, x.value(), h0.value());
    EXPECT_TRUE(test::all_close(out.value(), want_out));
    EXPECT_TRUE(test::all_close(h_n.value(), want_h));
    ASSERT_TRUE(rnn->last_output_shape());  // a pair: the summary shows its first tensor's shape
    EXPECT_EQ(*rnn->last_output_shape(), (Shape{2, 5, 4}));
    EXPECT_NE(rnn->to_string().find("[2, 5, 4]"), std::string::npos) << rnn->to_string();
}

TEST(MultiInputModule, IsAChildLikeAnyOtherWithItsNameScope) {
    Generator gen(5);
    Tagger model(gen);
    const Tensor<double> x = Tensor<double>::randn({2, 3, 3}, gen), h0 = Tensor<double>::zeros({2, 4});
    auto [logits, h_n] = model(x, h0);  // a struct result, unpacked
    EXPECT_EQ(logits.shape(), (Shape{2, 3, 2}));
    // Ops made inside are labelled with the path: the RNN's own ops, and those of its children.
    EXPECT_EQ(h_n.label(), "rnn");
    EXPECT_EQ(logits.label(), "head");
    std::vector<std::string> names;
    for (const auto& [name, p] : model.named_parameters()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"rnn.xh.weight", "rnn.xh.bias", "rnn.hh.weight", "rnn.hh.bias",
                                               "head.weight", "head.bias"}));
    model.eval();
    EXPECT_FALSE(model.rnn->is_training());
    // Its gradients reach every parameter under the RNN.
    sum(logits).backward();
    for (const auto& [name, p] : model.named_parameters()) EXPECT_TRUE(p.has_grad()) << name;
    // A bad input inside says where: the child's path and class.
    EXPECT_THROW_MSG(model(Tensor<double>::zeros({2, 3, 5}), h0), ShapeError, "rnn.xh (Linear 3→4)",
                     "expected [*, 3]");
}

TEST(MultiInputModule, ItsSingleTensorForwardIsAnErrorNamingIt) {
    Generator gen(6);
    Sequential<double> seq;
    seq.push_back("rnn", std::make_shared<Elman<double>>(3, 4, gen));
    EXPECT_THROW_MSG(seq(Tensor<double>::zeros({1, 2, 3})), ValueError, "rnn (Elman)", "has no forward(x) of one tensor");
}

// ---- buffers -----------------------------------------------------------------------------------------------

// A layer with running statistics, as BatchNorm keeps them: a parameter, two persistent buffers and a scratch one.
struct Norm : Cloneable<Norm, double> {
    Norm() {
        gamma = register_parameter("weight", Tensor<double>::ones({3}));
        running_mean = register_buffer("running_mean", Tensor<double>::zeros({3}));
        count = register_buffer("num_batches_tracked", Tensor<double>::scalar(0.0));
        scratch = register_buffer("scratch", Tensor<double>::zeros({2}), /*persistent=*/false);
    }
    Norm(const Norm& other)
        : Cloneable<Norm, double>(other),
          gamma(parameter("weight")),
          running_mean(buffer("running_mean")),
          count(buffer("num_batches_tracked")),
          scratch(buffer("scratch")) {}
    Tensor<double> forward(const Tensor<double>& x) {
        if (is_training()) {  // running_mean ← 0.9·running_mean + 0.1·mean(x), in place
            NoGradGuard no_grad;
            running_mean.mutable_value() = 0.9 * running_mean.value() + 0.1 * mean(x, 0).value();
            count.mutable_value() += 1.0;
        }
        return (x - running_mean) * gamma;
    }
    std::string type_name() const override { return "Norm"; }

    Tensor<double> gamma, running_mean, count, scratch;
};

TEST(Buffers, AreListedByNameButAreNotParameters) {
    Sequential<double> model;
    auto norm = std::make_shared<Norm>();
    model.push_back("bn", norm);
    EXPECT_EQ(model.parameters().size(), 1u);
    std::vector<std::string> names;
    for (const auto& [name, b] : model.named_buffers()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"bn.running_mean", "bn.num_batches_tracked", "bn.scratch"}));
    EXPECT_TRUE(model.buffer("bn.running_mean").same(norm->running_mean));
    EXPECT_EQ(norm->running_mean.label(), "bn.running_mean");
    for (const auto& [name, b] : model.named_buffers()) EXPECT_FALSE(b.requires_grad()) << name;
    EXPECT_THROW_MSG(model.buffer("bn.running_var"), ValueError, "no buffer \"bn.running_var\"", "bn.running_mean");
    // The state of a checkpoint: per module its parameters, then its persistent buffers (PyTorch's state_dict).
    names.clear();
    for (const auto& [name, t] : model.state_dict()) names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"bn.weight", "bn.running_mean", "bn.num_batches_tracked"}));
    EXPECT_EQ(model.num_parameters(), 3u);  // buffers are not counted
}

TEST(Buffers, NeverRequireGradAndNeverJoinAGraph) {
    const auto owner = std::make_shared<Sequential<double>>();
    Tensor<double> w({1.0, 2.0}, /*requires_grad=*/true);
    const Tensor<double> b = owner->register_buffer("b", w);
    EXPECT_FALSE(b.requires_grad());
    EXPECT_FALSE(b.same(w));         // a copy: the caller's tensor keeps requiring grad
    EXPECT_TRUE(w.requires_grad());
    const Tensor<double> c = owner->register_buffer("c", w * 3.0);  // a graph's node: a detached copy
    EXPECT_TRUE(c.is_leaf());
    EXPECT_FALSE(c.requires_grad());
    EXPECT_DOUBLE_EQ(c.at(1), 6.0);
    Tensor<double> plain({5.0});
    EXPECT_TRUE(owner->register_buffer("plain", plain).same(plain));  // a plain leaf is registered as it is
    EXPECT_THROW_MSG(owner->register_buffer("b", Tensor<double>({0.0})), ValueError, "\"b\" is already registered");
    EXPECT_THROW_MSG(owner->register_parameter("c", Tensor<double>({0.0})), ValueError, "\"c\" is already registered");
    EXPECT_THROW_MSG(owner->register_buffer("x.y", Tensor<double>({0.0})), ValueError, "buffer name", "no '.'");
    EXPECT_THROW_MSG(owner->register_buffer("u", Tensor<double>()), ValueError, "buffer \"u\" is an undefined tensor");
}

TEST(Buffers, AreUpdatedInPlaceByTheirLayer) {
    Norm norm;
    const Tensor<double> x({{1.0, 2.0, 3.0}, {3.0, 4.0, 5.0}});
    norm(x);
    EXPECT_TRUE(test::all_close(norm.buffer("running_mean").value(), Array<double>{0.2, 0.3, 0.4}));
    EXPECT_EQ(norm.buffer("num_batches_tracked").item(), 1.0);
    norm.eval();
    norm(x);
    EXPECT_EQ(norm.buffer("num_batches_tracked").item(), 1.0);
}

// ---- clone -------------------------------------------------------------------------------------------------

// The clone has the original's class, names, values and flags, and shares no tensor or module with it.
template <class T>
::testing::AssertionResult is_deep_copy(const Module<T>& original, const Module<T>& copy) {
    if (typeid(original) != typeid(copy)) return ::testing::AssertionFailure() << "another class";
    const auto check = [&](const auto& a, const auto& b, const char* what) -> ::testing::AssertionResult {
        if (a.size() != b.size()) return ::testing::AssertionFailure() << what << ": counts differ";
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a[i].first != b[i].first) return ::testing::AssertionFailure() << what << " names differ at " << i;
            if (a[i].second.same(b[i].second)) return ::testing::AssertionFailure() << a[i].first << " is shared";
            if (!same_bits(a[i].second.value(), b[i].second.value()))
                return ::testing::AssertionFailure() << a[i].first << " differs";
            if (a[i].second.requires_grad() != b[i].second.requires_grad())
                return ::testing::AssertionFailure() << a[i].first << ": requires_grad differs";
        }
        return ::testing::AssertionSuccess();
    };
    if (auto r = check(original.named_parameters(), copy.named_parameters(), "parameters"); !r) return r;
    if (auto r = check(original.named_buffers(), copy.named_buffers(), "buffers"); !r) return r;
    const auto ma = original.named_modules(), mb = copy.named_modules();
    if (ma.size() != mb.size()) return ::testing::AssertionFailure() << "module counts differ";
    for (std::size_t i = 0; i < ma.size(); ++i) {
        if (ma[i].first != mb[i].first || ma[i].second == mb[i].second || typeid(*ma[i].second) != typeid(*mb[i].second))
            return ::testing::AssertionFailure() << "module " << ma[i].first << " is shared or differs";
        if (ma[i].second->is_training() != mb[i].second->is_training())
            return ::testing::AssertionFailure() << "module " << ma[i].first << ": training mode differs";
    }
    if (original.describe() != copy.describe()) return ::testing::AssertionFailure() << "descriptions differ";
    return ::testing::AssertionSuccess();
}

// Adds 1 to every element of every parameter and buffer of `m`, in place.
template <class T>
void bump(Module<T>& m) {
    NoGradGuard no_grad;
    for (auto entries : {m.named_parameters(), m.named_buffers()})
        for (auto& [name, t] : entries) t.mutable_value() += T(1);
}

TEST(Clone, EveryBuiltInLayerIsCopiedDeeplyAndKeepsItsClass) {
    Generator gen(7);
    const std::vector<std::shared_ptr<Module<float>>> layers = {
        std::make_shared<Linear<float>>(3, 4, gen),
        std::make_shared<Linear<float>>(3, 4, gen, LinearOptions{false}),
        std::make_shared<Identity<float>>(), std::make_shared<Sigmoid<float>>(), std::make_shared<Tanh<float>>(),
        std::make_shared<ReLU<float>>(), std::make_shared<LeakyReLU<float>>(0.2), std::make_shared<ELU<float>>(0.5),
        std::make_shared<Softplus<float>>(), std::make_shared<Abs<float>>(), std::make_shared<Softmax<float>>(),
        std::make_shared<LogSoftmax<float>>(), std::make_shared<Activation<float>>("leaky_relu(0.3)"),
        std::make_shared<Dropout<float>>(0.25, gen), std::make_shared<Embedding<float>>(10, 3, gen),
        std::make_shared<Sequential<float>>(std::make_shared<Linear<float>>(3, 3, gen), std::make_shared<Tanh<float>>()),
        std::make_shared<Mlp<float>>("3-5-4:relu:softmax-out", gen)};
    for (const auto& layer : layers) {
        SCOPED_TRACE(layer->describe());
        layer->eval();
        const auto copy = layer->clone();
        EXPECT_TRUE(is_deep_copy(*layer, *copy));
        EXPECT_FALSE(copy->is_training());
        // The same function: equal outputs on the same input (indices for the embedding).
        const Tensor<float> x = layer->type_name() == "Embedding" ? Tensor<float>({{1.0f, 9.0f, 0.0f}})
                                                                   : Tensor<float>::randn({2, 3}, gen);
        EXPECT_TRUE(same_bits((*layer)(x).value(), (*copy)(x).value()));
    }
}

TEST(Clone, ChangingOneSideNeverChangesTheOther) {
    Generator gen(8);
    Mlp<double> original("3-4-2:tanh", gen);
    const auto copy = original.clone();  // typed: std::shared_ptr<Mlp<double>>
    static_assert(std::is_same_v<decltype(copy), const std::shared_ptr<Mlp<double>>>);
    // layers() point at the copy's own children, not the original's.
    EXPECT_TRUE(copy->layers()[0].weight().same(copy->parameter("fc1.weight")));
    EXPECT_FALSE(copy->layers()[0].weight().same(original.parameter("fc1.weight")));
    const Array<double> before = original.parameter("fc1.weight").value();

    bump(*copy);
    EXPECT_TRUE(same_bits(original.parameter("fc1.weight").value(), before));
    EXPECT_TRUE(test::all_close(copy->parameter("fc1.weight").value(), Array<double>(before + 1.0)));
    bump(original);
    EXPECT_TRUE(test::all_close(copy->parameter("fc1.weight").value(), Array<double>(before + 1.0)));

    // Gradients flow to the side that ran, only: the copy's parameters have none after the original's backward.
    const Tensor<double> x = Tensor<double>::randn({5, 3}, gen);
    sum(original(x)).backward();
    for (const auto& [name, p] : copy->named_parameters()) EXPECT_FALSE(p.has_grad()) << name;
    for (const auto& [name, p] : original.named_parameters()) EXPECT_TRUE(p.has_grad()) << name;
    // The copy is a root: its paths and labels start at its own children.
    EXPECT_EQ(copy->path(), "");
    EXPECT_EQ(copy->parameter("fc2.bias").label(), "fc2.bias");
}

TEST(Clone, UserModulesWithBuffersFrozenParametersAndSubtrees) {
    Generator gen(9);
    Tagger tagger(gen);
    tagger.rnn->register_buffer("steps", Tensor<double>::scalar(3.0));
    tagger.head->register_parameter("scale", Tensor<double>::full({2}, 2.0), /*requires_grad=*/false);
    const auto copy = tagger.clone();
    EXPECT_TRUE(is_deep_copy<double>(tagger, *copy));
    EXPECT_FALSE(copy->parameter("head.scale").requires_grad());
    EXPECT_TRUE(copy->rnn.get() == copy->child("rnn").get());  // re-pointed by the copy constructor
    const Tensor<double> x = Tensor<double>::randn({2, 3, 3}, gen), h0 = Tensor<double>::randn({2, 4}, gen);
    EXPECT_TRUE(same_bits(tagger(x, h0).logits.value(), (*copy)(x, h0).logits.value()));

    Norm norm;
    norm(Tensor<double>({{1.0, 2.0, 3.0}}));
    const auto norm_copy = norm.clone();
    EXPECT_TRUE(is_deep_copy<double>(norm, *norm_copy));
    EXPECT_FALSE(norm_copy->running_mean.same(norm.running_mean));
    norm_copy->forward(Tensor<double>({{9.0, 9.0, 9.0}}));  // the copy's statistics move, the original's stay
    EXPECT_EQ(norm.count.item(), 1.0);
    EXPECT_EQ(norm_copy->count.item(), 2.0);
    // Non-persistent buffers are copied too (they are state of the module, only not saved).
    EXPECT_EQ(norm_copy->named_buffers().size(), 3u);
}

TEST(Clone, DropoutCopiesContinueTheSameMasks) {
    Generator gen(10);
    Dropout<double> drop(0.5, gen);
    const auto copy = drop.clone();
    const Tensor<double> x = Tensor<double>::ones({4, 8});
    EXPECT_TRUE(same_bits(drop(x).value(), (*copy)(x).value()));
}

// A module that keeps a handle to its parameter in a member but writes no copy constructor.
struct ForgetsToRepoint : Cloneable<ForgetsToRepoint, float> {
    ForgetsToRepoint() { w = register_parameter("w", Tensor<float>::zeros({2})); }
    Tensor<float> forward(const Tensor<float>& x) { return x * w; }
    Tensor<float> w;
};

// A subclass of a module class that does not name itself in Cloneable.
struct SlicedLinear : Linear<float> {
    explicit SlicedLinear(Generator& gen) : Linear<float>(2, 2, gen) {}
    std::string type_name() const override { return "SlicedLinear"; }
};

TEST(Clone, MistakesAreCaughtNotCopiedSilently) {
    Generator gen(11);
    EXPECT_THROW_MSG(ForgetsToRepoint().clone(), ValueError, "still refers to the original's parameter 'w'",
                     "copy constructor");
    // The same mistake below the root fails the whole clone.
    Sequential<float> seq;
    seq.push_back("inner", std::make_shared<ForgetsToRepoint>());
    EXPECT_THROW_MSG(seq.clone(), ValueError, "parameter 'w'");
    EXPECT_THROW_MSG(SlicedLinear(gen).clone(), ValueError, "SlicedLinear", "another class");
    Net net(gen);  // derives from Module<double> directly
    EXPECT_THROW_MSG(net.clone(), ValueError, "clone() is not implemented by Net", "nn::Cloneable");
    EXPECT_THROW_MSG(Sequential<double>().child("x"), ValueError, "no child module \"x\"");
    Mlp<float> mlp("2-3-1", gen);
    EXPECT_THROW_MSG(mlp.child<Linear<float>>("act1"), ValueError, "child module \"act1\" (Sigmoid)",
                     "not of the class asked for");
}

}  // namespace
}  // namespace dg::nn
