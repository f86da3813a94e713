// gradcheck itself: it must fail on a wrong backward (else every gradcheck test could not fail),
// gradgradcheck must fail on a backward that is right but not differentiable, and the report names the
// worst element. Also: the caller's tensors are never touched.
#include <cmath>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

using namespace dg;

namespace {

/// y = x², with a backward that forgets the factor 2 on element `bad` only.
Tensord square_with_bug(const Tensord& x, std::size_t bad) {
    return record<double>(Array<double>(x.value() * x.value()), {x}, {"buggy_square", "grad_in = grad_out * 3x  (deliberately wrong)"},
                          [bad](const std::vector<Tensord>& in, const Tensord&, const Tensord& g) {
                              Array<double> f = xt::ones<double>(in[0].value().shape()) * 2.0;
                              f.data()[bad] = 1.0;
                              return std::vector<Tensord>{mul(mul(g, in[0]), Tensord(std::move(f)))};
                          });
}

/// y = x³ with the correct first derivative 3x²·g, but x² taken as a constant: second derivatives are wrong.
Tensord cube_not_twice_differentiable(const Tensord& x) {
    return record<double>(Array<double>(x.value() * x.value() * x.value()), {x}, {"cube", "grad_in = grad_out * 3x^2"},
                          [](const std::vector<Tensord>& in, const Tensord&, const Tensord& g) {
                              const Tensord sq(Array<double>(3.0 * in[0].value() * in[0].value()));
                              return std::vector<Tensord>{mul(g, sq)};
                          });
}

}  // namespace

TEST(Gradcheck, DetectsAWrongBackwardAndNamesTheElement) {
    const Tensord x = dg::test::away_from_zero({2, 3}, 1, 0.5);
    const auto report = gradcheck([](const std::vector<Tensord>& v) { return square_with_bug(v[0], 4); }, {x});
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.input, 0u);
    EXPECT_EQ(report.index, 4u);
    EXPECT_EQ(report.checked, 6u);
    EXPECT_GT(report.abs_error, 0.1);
    EXPECT_NE(report.str().find("FAILED"), std::string::npos);
    // The same op without the bug passes.
    const auto good = gradcheck([](const std::vector<Tensord>& v) { return v[0] * v[0]; }, {x});
    EXPECT_TRUE(good.ok) << good.str();
    EXPECT_LT(good.abs_error, 1e-7);
}

TEST(Gradcheck, GradgradcheckDetectsANonDifferentiableBackward) {
    const Tensord x = dg::test::away_from_zero({4}, 2, 0.5);
    const auto first = gradcheck([](const std::vector<Tensord>& v) { return cube_not_twice_differentiable(v[0]); }, {x});
    EXPECT_TRUE(first.ok) << first.str();
    const auto second =
        gradgradcheck([](const std::vector<Tensord>& v) { return cube_not_twice_differentiable(v[0]); }, {x});
    EXPECT_FALSE(second.ok);
    EXPECT_GRADGRADCHECK([](const std::vector<Tensord>& v) { return pow(v[0], 3.0); }, x);
}

TEST(Gradcheck, ChecksOnlyInputsThatRequireGradAndLeavesCallerTensorsAlone) {
    Tensord a = dg::test::randn({3}, 3), b = dg::test::randn({3}, 4, false);
    const Array<double> a_before = a.value();
    const auto r = gradcheck([](const std::vector<Tensord>& v) { return v[0] * v[1]; }, {a, b});
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(r.checked, 3u);
    EXPECT_FALSE(a.has_grad());
    EXPECT_EQ(a.version(), 0u);
    EXPECT_TRUE(a.value() == a_before);
    EXPECT_THROW(gradcheck([](const std::vector<Tensord>& v) { return v[0] * 2.0; }, {b}), ValueError);
}

TEST(Gradcheck, ReportNamesTheWorstElementEvenForLargeGradients) {
    // exp near 10 has gradients ~2e4: every element passes by a wide margin, and the report still
    // describes a real element (not the zero-initialised default).
    const Tensord x({9.0, 10.0, 8.0});
    Tensord xr = x.detach().set_requires_grad();
    const auto r = gradcheck([](const std::vector<Tensord>& v) { return exp(v[0]); }, {xr});
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(r.checked, 3u);
    EXPECT_GT(std::abs(r.analytic), 1e3);
    EXPECT_NEAR(r.analytic, r.numeric, 1e-3 * std::abs(r.numeric));
}
