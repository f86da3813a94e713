// Module: registration and dotted names, paths in errors, train/eval propagation, zero_grad, the summary's
// parameter counts and shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "autograd/ops.hpp"
#include "nn/nn.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

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

}  // namespace
}  // namespace dg::nn
