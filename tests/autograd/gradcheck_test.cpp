// gradcheck itself: it must fail on a wrong backward (else every gradcheck test could not fail), fail on the
// vacuous cases it once accepted (a function of copies, an output independent of the inputs, an analytic gradient
// that is all zero), pass correct functions with legitimately zero entries, perturb the given tensors in place
// and restore them bit for bit, and name each input's worst element.
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "autograd/engine.hpp"
#include "autograd/ops.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/random_tensor.hpp"

using namespace dg;

namespace {

using Inputs = std::vector<Tensord>;

/// y = x², with a backward that forgets the factor 2 on element `bad` only.
Tensord square_with_bug(const Tensord& x, std::size_t bad) {
    return record<double>(Array<double>(x.value() * x.value()), {x}, {"buggy_square", "grad_in = grad_out * 3x  (deliberately wrong)"},
                          [bad](const std::vector<Tensord>& in, const Tensord&, const Tensord& g) {
                              Array<double> f = xt::ones<double>(in[0].value().shape()) * 2.0;
                              f.data()[bad] = 1.0;
                              return std::vector<Tensord>{mul(mul(g, in[0]), Tensord(std::move(f)))};
                          });
}

/// y = x² with a backward that returns zeros: the analytic gradient is wrongly 0 everywhere.
Tensord square_with_zero_backward(const Tensord& x) {
    return record<double>(Array<double>(x.value() * x.value()), {x}, {"zero_square", "grad_in = 0  (deliberately wrong)"},
                          [](const std::vector<Tensord>& in, const Tensord&, const Tensord&) {
                              return std::vector<Tensord>{Tensord::zeros(in[0].shape())};
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

bool has(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

}  // namespace

TEST(Gradcheck, DetectsAWrongBackwardAndNamesTheElement) {
    const Tensord x = dg::test::away_from_zero({2, 3}, 1, 0.5);
    const auto report = gradcheck([](const Inputs& v) { return square_with_bug(v[0], 4); }, {x});
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.checked, 6u);
    ASSERT_EQ(report.inputs.size(), 1u);
    const GradcheckInput& in = report.inputs[0];
    EXPECT_EQ(report.worst(), &in);
    EXPECT_EQ(in.failed, 1u);
    EXPECT_EQ(in.index, 4u);
    // Element 4 gets g·x instead of 2·g·x: the error is half the numeric value, rel = 1/2.
    EXPECT_NEAR(in.analytic, in.numeric / 2, 1e-8 * std::abs(in.numeric));
    EXPECT_NEAR(in.rel_error, 0.5, 1e-8);
    EXPECT_GT(in.abs_error, 0.1);
    EXPECT_EQ(report.problem, "input 0: 1 of 6 elements outside tolerance");
    EXPECT_TRUE(has(report.str(), "gradcheck FAILED: input 0: 1 of 6 elements outside tolerance")) << report.str();
    EXPECT_TRUE(has(report.str(), "input 0 [2, 3], worst at [1, 1]: analytic ")) << report.str();
    // The same op without the bug passes.
    const auto good = gradcheck([](const Inputs& v) { return v[0] * v[0]; }, {x});
    EXPECT_TRUE(good.ok) << good.str();
    EXPECT_EQ(good.problem, "");
    EXPECT_LT(good.inputs[0].abs_error, 1e-7);
}

TEST(Gradcheck, PerturbsTheGivenTensorsSoAFunctionMayReadThemThroughAnAlias) {
    // The user's case: f reads the tensors it closes over (a module's parameters), not its argument. The old
    // gradcheck perturbed copies, saw 0 both ways and said ok; now the aliases see every perturbation.
    Tensord w = dg::test::away_from_zero({3, 2}, 2, 0.5);
    Tensord b = dg::test::away_from_zero({2}, 3, 0.5);
    const Tensord x = dg::test::randn({4, 3}, 4, false);
    const auto f = [&](const Inputs&) { return sum(tanh(add(matmul(x, w), b))); };
    const auto r = gradcheck(f, NamedTensors{{"fc.weight", w}, {"fc.bias", b}});
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(r.checked, 8u);
    // The reported values are the real gradient: compare with autograd's, element by element.
    const auto g = grad<double>({f({})}, {w, b});
    for (const GradcheckInput& in : r.inputs) {
        EXPECT_FALSE(in.all_zero());
        EXPECT_EQ(in.failed, 0u);
        EXPECT_DOUBLE_EQ(in.analytic, g[in.position].value().data()[in.index]);
        EXPECT_NEAR(in.numeric, in.analytic, 1e-8);
        EXPECT_GT(std::abs(in.analytic), 1e-3);
    }
    EXPECT_TRUE(has(r.str(), "input 0 \"fc.weight\" [3, 2], worst at [")) << r.str();
    EXPECT_TRUE(has(r.str(), "input 1 \"fc.bias\" [2], worst at [")) << r.str();
}

TEST(Gradcheck, FailsWhenTheOutputDoesNotDependOnTheInputs) {
    const Tensord w = dg::test::randn({3}, 5);
    // What the old gradcheck did to a module's parameters: f computes from a copy of w.
    const Tensord copy = w.detach();
    const auto of_copy = gradcheck([&](const Inputs&) { return sum(mul(copy, copy)); }, {w});
    EXPECT_FALSE(of_copy.ok);
    EXPECT_EQ(of_copy.checked, 3u);
    EXPECT_TRUE(of_copy.inputs[0].all_zero());
    EXPECT_EQ(of_copy.worst(), nullptr);
    EXPECT_TRUE(has(of_copy.problem, "does not depend on the given tensors")) << of_copy.problem;
    EXPECT_TRUE(has(of_copy.str(), "input 0 [3]: analytic and numeric gradients exactly 0 at every element"))
        << of_copy.str();
    // An output that is a constant.
    const auto constant = gradcheck([](const Inputs&) { return Tensord::ones({2, 2}); }, {w});
    EXPECT_FALSE(constant.ok);
    EXPECT_TRUE(has(constant.problem, "does not depend on the given tensors")) << constant.problem;
    // gradgradcheck of a constant: no first derivative, in x or in R.
    const auto second = gradgradcheck([](const Inputs&) { return Tensord::ones({2, 2}); }, {w});
    EXPECT_FALSE(second.ok);
    EXPECT_TRUE(has(second.problem, "does not depend on the given tensors")) << second.problem;
}

TEST(Gradcheck, FailsWhenAnInputsAnalyticGradientIsZeroButItsNumericIsNot) {
    const Tensord a = dg::test::away_from_zero({3}, 6, 0.5), b = dg::test::away_from_zero({2, 2}, 7, 0.5);
    // b's backward returns zeros. Scaled by 1e-7 its true gradient (2e-7·b) is far below atol = 1e-5, so the
    // element-wise tolerance alone would accept the zeros; the all-zero rule does not.
    const auto f = [](const Inputs& v) { return add(sum(v[0] * v[0]), sum(square_with_zero_backward(v[1])) * 1e-7); };
    const auto r = gradcheck(f, NamedTensors{{"a", a}, {"b", b}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.inputs[0].failed, 0u);
    EXPECT_EQ(r.inputs[1].failed, 0u);  // within tolerance element by element...
    EXPECT_TRUE(r.inputs[1].analytic_zero);
    EXPECT_FALSE(r.inputs[1].numeric_zero);
    EXPECT_EQ(r.inputs[1].analytic, 0.0);
    // Within the roundoff of central differences of an O(1) sum: ~1e-16 / eps.
    EXPECT_NEAR(r.inputs[1].numeric, 2e-7 * b.value().data()[r.inputs[1].index], 1e-9);
    EXPECT_TRUE(has(r.problem, "input 1 \"b\": the analytic gradient is 0 at every element but the numeric one is not"))
        << r.problem;  // ...and still named, alone
    EXPECT_FALSE(has(r.problem, "input 0")) << r.problem;
    // The same without the scale fails on values too, with the same diagnosis.
    const auto unscaled = gradcheck([](const Inputs& v) { return square_with_zero_backward(v[0]); }, {b});
    EXPECT_FALSE(unscaled.ok);
    EXPECT_EQ(unscaled.inputs[0].failed, 4u);
    EXPECT_TRUE(has(unscaled.problem, "input 0: the analytic gradient is 0 at every element")) << unscaled.problem;
    // An output computed outside the graph (detached) has no analytic gradient at all.
    const auto detached = gradcheck([](const Inputs& v) { return v[0].detach() * v[0].detach(); }, {a});
    EXPECT_FALSE(detached.ok);
    EXPECT_TRUE(has(detached.problem, "input 0: the analytic gradient is 0 at every element")) << detached.problem;
}

TEST(Gradcheck, PassesLegitimatelyZeroEntriesWithoutNamingThemWorst) {
    // relu of mixed signs: the negative entries have gradient 0 both ways, the others 1·R.
    const Tensord x = dg::test::away_from_zero({3, 4}, 8, 0.1);
    const auto r = gradcheck([](const Inputs& v) { return relu(v[0]); }, {x});
    EXPECT_TRUE(r.ok) << r.str();
    const GradcheckInput& in = r.inputs[0];
    EXPECT_FALSE(in.analytic_zero);
    EXPECT_GT(x.value().data()[in.index], 0.0);  // the worst element is one that was really compared
    EXPECT_NE(in.analytic, 0.0);
    // An input whose gradient is legitimately 0 everywhere passes beside one that is checked.
    const Tensord negative = Tensord::full({2}, -1.0, true);
    const auto mixed = gradcheck([](const Inputs& v) { return add(sum(relu(v[0])), sum(v[1] * v[1])); }, {negative, x});
    EXPECT_TRUE(mixed.ok) << mixed.str();
    EXPECT_TRUE(mixed.inputs[0].all_zero());
    EXPECT_EQ(mixed.worst(), &mixed.inputs[1]);
}

TEST(Gradcheck, GradgradcheckDetectsANonDifferentiableBackward) {
    const Tensord x = dg::test::away_from_zero({4}, 2, 0.5);
    const auto first = gradcheck([](const Inputs& v) { return cube_not_twice_differentiable(v[0]); }, {x});
    EXPECT_TRUE(first.ok) << first.str();
    // Its backward treats 3x² as a constant: the second derivative autograd sees is 0, the numeric one 6x·R·V.
    const auto second = gradgradcheck([](const Inputs& v) { return cube_not_twice_differentiable(v[0]); }, {x});
    EXPECT_FALSE(second.ok);
    ASSERT_EQ(second.inputs.size(), 2u);  // x, then R
    EXPECT_EQ(second.problem, "input 0: the analytic gradient is 0 at every element but the numeric one is not: f "
                              "reads this tensor outside the recorded graph (a copy, a detach) or a backward drops "
                              "its gradient");
    EXPECT_EQ(second.inputs[1].failed, 0u);  // the backward is linear in its incoming gradient, and right there
    EXPECT_TRUE(has(second.str(), "compared: the gradient of sum_i <d[sum(f(x) * R)]/dx_i, V_i> in x and R")) << second.str();
    EXPECT_GRADGRADCHECK([](const Inputs& v) { return pow(v[0], 3.0); }, x);
}

TEST(Gradcheck, GradgradcheckChecksTheBackwardOfALinearOpThroughR) {
    const Tensord x = dg::test::randn({2, 3}, 9);
    // 2x: 0 second derivative in x both ways (not a failure: R is checked), d/dR <2R, V> = 2V.
    const auto linear = gradgradcheck([](const Inputs& v) { return v[0] * 2.0; }, {x});
    EXPECT_TRUE(linear.ok) << linear.str();
    ASSERT_EQ(linear.inputs.size(), 2u);
    EXPECT_TRUE(linear.inputs[0].all_zero());
    const GradcheckInput& r = linear.inputs[1];
    EXPECT_EQ(r.name, "R");
    EXPECT_EQ(r.shape, (Shape{2, 3}));
    EXPECT_EQ(linear.worst(), &r);
    EXPECT_NEAR(r.analytic, r.numeric, 1e-8);
    EXPECT_GT(std::abs(r.analytic), 1e-3);
    // The same op with a backward that computes 2g outside the graph: right values, but not differentiable in g.
    const auto cut = [](const Inputs& v) {
        return record<double>(Array<double>(2.0 * v[0].value()), {v[0]}, {"double_cut", "grad_in = 2 grad_out  (off the graph)"},
                              [](const std::vector<Tensord>&, const Tensord&, const Tensord& g) {
                                  return std::vector<Tensord>{Tensord(Array<double>(2.0 * g.value()))};
                              });
    };
    EXPECT_TRUE(gradcheck(cut, {x}).ok);
    const auto second = gradgradcheck(cut, {x});
    EXPECT_FALSE(second.ok);
    EXPECT_TRUE(has(second.problem, "input 1 \"R\": the analytic gradient is 0 at every element")) << second.problem;
}

TEST(Gradcheck, RestoresValuesBitForBitAndLeavesGradAlone) {
    // Values far below eps, for which x + eps - eps != x: a restore by subtraction would change them.
    Tensord a({1e-7, -3e-9, 2.5e-8, 0.1}, true);
    const double eps = GradcheckOptions{}.eps;
    bool round_trip_differs = false;
    for (double v : a.value()) round_trip_differs = round_trip_differs || (v + eps) - eps != v;
    ASSERT_TRUE(round_trip_differs);
    const Array<double> before = a.value();
    (a * a * 3.0).backward(Tensord::ones({4}));  // a .grad of 6a that gradcheck must not change
    const Array<double> grad_before = a.grad().value();

    const auto r = gradcheck([](const Inputs& v) { return tanh(v[0]); }, {a});
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(std::memcmp(a.value().data(), before.data(), 4 * sizeof(double)), 0);
    EXPECT_TRUE(a.grad().value() == grad_before);
    // Two in-place writes (perturb, restore) per evaluation, two evaluations per element.
    EXPECT_EQ(a.version(), 16u);

    // f throws during the numeric pass (its 5th call: after the shape probe, the analytic pass and two
    // evaluations): the element being perturbed is restored all the same.
    int calls = 0;
    const auto throws = [&calls](const Inputs& v) {
        if (++calls == 5) throw std::runtime_error("f failed");
        return tanh(v[0]);
    };
    EXPECT_THROW(gradcheck(throws, {a}), std::runtime_error);
    EXPECT_EQ(calls, 5);
    EXPECT_EQ(std::memcmp(a.value().data(), before.data(), 4 * sizeof(double)), 0);
    EXPECT_TRUE(a.grad().value() == grad_before);
}

TEST(Gradcheck, RejectsInputsItCannotPerturbNamingThem) {
    const Tensord a = dg::test::randn({3}, 3), constant = dg::test::randn({3}, 4, false);
    const auto f = [](const Inputs& v) { return v[0] * v[1]; };
    EXPECT_THROW_MSG(gradcheck(f, {a, constant}), ValueError, "gradcheck: input 1 (shape [3]) does not require grad",
                     "capture constants in f");
    EXPECT_THROW_MSG(gradcheck(f, NamedTensors{{"w", a}, {"x", constant}}), ValueError,
                     "gradcheck: input 1 \"x\" (shape [3]) does not require grad");
    EXPECT_THROW_MSG(gradcheck(f, {a * 2.0, a}), ValueError, "gradcheck: input 0 (shape [3]) is not a leaf (made by mul_scalar)");
    EXPECT_THROW_MSG(gradgradcheck(f, {a, Tensord()}), ValueError, "gradcheck: input 1 is an undefined tensor");
    EXPECT_THROW_MSG(gradcheck(f, Inputs{}), ValueError, "gradcheck: no inputs");
}

TEST(Gradcheck, ReportNamesTheWorstElementEvenForLargeGradients) {
    // exp near 10 has gradients ~2e4: every element passes by a wide margin, and the report still
    // describes a real element (not the zero-initialised default).
    const Tensord x({9.0, 10.0, 8.0}, true);
    const auto r = gradcheck([](const Inputs& v) { return exp(v[0]); }, {x});
    EXPECT_TRUE(r.ok) << r.str();
    EXPECT_EQ(r.checked, 3u);
    const GradcheckInput& in = r.inputs[0];
    EXPECT_GT(std::abs(in.analytic), 1e3);
    EXPECT_NEAR(in.analytic, in.numeric, 1e-3 * std::abs(in.numeric));
    EXPECT_LT(in.tolerance_used, 1.0);
    EXPECT_TRUE(has(r.str(), "gradcheck ok: 3 elements of 1 input(s)")) << r.str();
}
