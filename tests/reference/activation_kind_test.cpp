// The activation vocabulary: every name parses back to its kind, the accepted spellings, default α and the kinds'
// properties, the canonical text round-trips α exactly, and the parser's errors list every valid name.
#include <gtest/gtest.h>

#include <iterator>
#include <string>

#include "autograd/array/errors.hpp"
#include "nn/reference/activation_kind.hpp"
#include "support/expect_throw.hpp"

namespace dg {
namespace {

TEST(ActivationKind, EveryNameParsesBackToItsKindWithItsDefaultAlpha) {
    ASSERT_EQ(std::size(builtin_activations), 10u);
    for (ActivationKind kind : builtin_activations) {
        const ActivationSpec spec = parse_activation(activation_name(kind));
        EXPECT_EQ(spec.kind, kind) << activation_name(kind);
        EXPECT_EQ(spec.alpha, default_alpha(kind)) << activation_name(kind);
        EXPECT_EQ(spec.name(), activation_name(kind));
        EXPECT_EQ(builtin_activation(activation_name(kind)), kind);
    }
    EXPECT_STREQ(activation_name(ActivationKind::leaky_relu), "leaky_relu");
    EXPECT_STREQ(activation_name(ActivationKind::custom), "custom");
}

TEST(ActivationKind, AcceptedSpellings) {
    EXPECT_EQ(parse_activation("leaky-relu").kind, ActivationKind::leaky_relu);
    EXPECT_EQ(parse_activation("log-softmax").kind, ActivationKind::log_softmax);
    EXPECT_EQ(parse_activation("linear").kind, ActivationKind::identity);
    const ActivationSpec elu = parse_activation("  elu ( 0.5 ) ");
    EXPECT_EQ(elu.kind, ActivationKind::elu);
    EXPECT_EQ(elu.alpha, 0.5);
    EXPECT_EQ(builtin_activation("swish"), std::nullopt);
    EXPECT_EQ(builtin_activation("custom"), std::nullopt);  // the kind's name, not an activation
}

TEST(ActivationKind, DefaultsAndProperties) {
    EXPECT_EQ(default_alpha(ActivationKind::leaky_relu), 0.01);
    EXPECT_EQ(default_alpha(ActivationKind::elu), 1.0);
    EXPECT_EQ(default_alpha(ActivationKind::relu), 0.0);
    std::string alpha, not_elementwise, kinks;
    for (ActivationKind kind : builtin_activations) {
        if (takes_alpha(kind)) alpha += std::string(activation_name(kind)) + " ";
        if (!elementwise(kind)) not_elementwise += std::string(activation_name(kind)) + " ";
        if (kinked(kind)) kinks += std::string(activation_name(kind)) + " ";
    }
    EXPECT_EQ(alpha, "leaky_relu elu ");
    EXPECT_EQ(not_elementwise, "softmax log_softmax ");
    EXPECT_EQ(kinks, "relu leaky_relu elu abs ");
    EXPECT_TRUE(elementwise(ActivationKind::custom));
    EXPECT_FALSE(takes_alpha(ActivationKind::custom));
}

TEST(ActivationSpec, CanonicalTextRoundTripsAlphaExactly) {
    EXPECT_EQ((ActivationSpec{ActivationKind::elu, 0.5}.str()), "elu(0.5)");
    EXPECT_EQ((ActivationSpec{ActivationKind::relu, 0}.str()), "relu");
    const ActivationSpec leaky{ActivationKind::leaky_relu, 0.1234567};
    EXPECT_EQ(leaky.str(), "leaky_relu(0.1234567)");
    EXPECT_EQ(parse_activation(leaky.str()).alpha, 0.1234567);
    const ActivationSpec third{ActivationKind::elu, 1.0 / 3};
    EXPECT_EQ(parse_activation(third.str()).alpha, 1.0 / 3);
}

TEST(ActivationSpec, CustomNamesParseToTheCustomKind) {
    const ActivationSpec swish = parse_activation("swish", {"mish", "swish"});
    EXPECT_EQ(swish.kind, ActivationKind::custom);
    EXPECT_EQ(swish.custom, "swish");
    EXPECT_EQ(swish.alpha, 0.0);
    EXPECT_EQ(swish.str(), "swish");
    EXPECT_EQ(parse_activation("my-act", {"my_act"}).custom, "my_act");  // '-' for '_' there too
    EXPECT_EQ(parse_activation("relu", {"swish"}).kind, ActivationKind::relu);
}

TEST(ActivationSpec, ParseErrorsSayWhatIsWrong) {
    EXPECT_THROW_MSG(parse_activation("swish"), ValueError, "unknown activation \"swish\"",
                     "identity, linear, sigmoid, tanh, relu, leaky_relu, elu, softplus, abs, softmax, log_softmax",
                     "no custom activation is registered");
    EXPECT_THROW_MSG(parse_activation("swsh", {"mish", "swish"}), ValueError, "unknown activation \"swsh\"",
                     "log_softmax; registered: mish, swish");
    EXPECT_THROW_MSG(parse_activation("sigmoid(0.5)"), ValueError, "sigmoid takes no parameter");
    EXPECT_THROW_MSG(parse_activation("swish(1)", {"swish"}), ValueError, "swish takes no parameter");
    EXPECT_THROW_MSG(parse_activation("elu(0.5"), ValueError, "\"elu(0.5\" lacks its closing ')'");
    EXPECT_THROW_MSG(parse_activation("elu(x)"), ValueError, "the parameter of \"elu(x)\" is not a number");
    EXPECT_THROW_MSG(parse_activation("leaky_relu(inf)"), ValueError, "is not a number");
    EXPECT_THROW_MSG(parse_activation("(0.5)"), ValueError, "\"(0.5)\" names no activation");
    EXPECT_THROW_MSG(parse_activation(" "), ValueError, "names no activation");
}

}  // namespace
}  // namespace dg
