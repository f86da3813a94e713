// The optimizer base through its concrete optimizers: parameter groups with their own options, skipping
// parameters without a gradient, zero_grad, parameter checks, and the state export/import for checkpoints.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "autograd/engine.hpp"
#include "tests/optim/optim_test_util.hpp"
#include "tests/support/expect_throw.hpp"

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {

template <class T>
class OptimizerTest : public ::testing::Test {};
TYPED_TEST_SUITE(OptimizerTest, FloatTypes);

/// Builds an optimizer with group 0 = a (default options) and group 1 = b (other options).
template <class T>
using Factory = std::function<std::unique_ptr<Optimizer<T>>(std::vector<Tensor<T>> a, std::vector<Tensor<T>> b)>;

template <class T>
std::vector<std::pair<std::string, Factory<T>>> factories() {
    return {
        {"SGD nesterov",
         [](auto a, auto b) {
             auto o = std::make_unique<SGD<T>>(a, SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01));
             o->add_param_group(b, SGDOptions(0.05).momentum(0.5).dampening(0.1));
             return std::unique_ptr<Optimizer<T>>(std::move(o));
         }},
        {"Adam amsgrad",
         [](auto a, auto b) {
             auto o = std::make_unique<Adam<T>>(a, AdamOptions(0.01).amsgrad(true));
             o->add_param_group(b, AdamOptions(0.02).weight_decay(0.1));
             return std::unique_ptr<Optimizer<T>>(std::move(o));
         }},
        {"AdamW",
         [](auto a, auto b) {
             auto o = std::make_unique<AdamW<T>>(a, AdamWOptions(0.01));
             o->add_param_group(b, AdamWOptions(0.03).betas(0.8, 0.99).amsgrad(true));
             return std::unique_ptr<Optimizer<T>>(std::move(o));
         }},
        {"RMSProp centered momentum",
         [](auto a, auto b) {
             auto o = std::make_unique<RMSProp<T>>(a, RMSPropOptions(0.01).centered(true).momentum(0.9));
             o->add_param_group(b, RMSPropOptions(0.02).weight_decay(0.1));
             return std::unique_ptr<Optimizer<T>>(std::move(o));
         }},
        {"Adagrad",
         [](auto a, auto b) {
             auto o = std::make_unique<Adagrad<T>>(a, AdagradOptions(0.1).lr_decay(0.01));
             o->add_param_group(b, AdagradOptions(0.05).initial_accumulator_value(0.1));
             return std::unique_ptr<Optimizer<T>>(std::move(o));
         }},
    };
}

/// Two parameters: [4] and [2, 3].
template <class T>
std::vector<Tensor<T>> make_params() {
    Array<T> b = {{0.4, -0.2, 0.9}, {1.5, -1.1, 0.05}};
    return {param<T>({0.3, -0.7, 1.1, 0.2}), Tensor<T>(b, true)};
}

/// Independent copies (new leaves that require grad) of the parameters' current values.
template <class T>
std::vector<Tensor<T>> copies(const std::vector<Tensor<T>>& ps) {
    std::vector<Tensor<T>> out;
    for (const auto& p : ps) out.push_back(Tensor<T>(Array<T>(p.value()), true));
    return out;
}

/// A deterministic gradient for parameter j at step s; parameter 1 gets none on step 0.
template <class T>
void set_grads(std::vector<Tensor<T>>& ps, int s) {
    for (std::size_t j = 0; j < ps.size(); ++j) {
        if (j == 1 && s == 0) {
            ps[j].zero_grad();
            continue;
        }
        std::vector<double> g;
        for (std::size_t k = 0; k < ps[j].numel(); ++k) g.push_back(std::sin(1.3 * s + 0.7 * double(k) + double(j)) * (1.0 + double(k)));
        ps[j].zero_grad();
        Array<T> c = Array<T>::from_shape(ps[j].shape());
        for (std::size_t k = 0; k < g.size(); ++k) c.data()[k] = T(g[k]);
        sum(mul(ps[j], Tensor<T>(c))).backward();
    }
}

template <class T>
bool bit_equal(const Array<T>& a, const Array<T>& b) {
    if (shape_of(a) != shape_of(b)) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a.data()[i] != b.data()[i]) return false;
    return true;
}

}  // namespace

TYPED_TEST(OptimizerTest, GroupsUseTheirOwnLearningRates) {
    using T = TypeParam;
    Tensor<T> a = param<T>({1.0, 2.0}), b = param<T>({1.0, 2.0}), c = param<T>({1.0});
    SGD<T> opt({a}, SGDOptions(0.1));
    opt.add_param_group({b}, SGDOptions(0.01));
    opt.add_param_group({c});  // the defaults: lr 0.1
    ASSERT_EQ(opt.group_count(), 3u);
    EXPECT_EQ(opt.lr(1), 0.01);
    EXPECT_EQ(opt.options(2).lr(), 0.1);
    set_grad(a, {1.0, -1.0});
    set_grad(b, {1.0, -1.0});
    set_grad(c, {2.0});
    opt.step();
    EXPECT_TRUE(near(a, {0.9, 2.1}));
    EXPECT_TRUE(near(b, {0.99, 2.01}));
    EXPECT_TRUE(near(c, {0.8}));
    opt.set_lr(1, 0.5);
    EXPECT_EQ(opt.lr(1), 0.5);
    EXPECT_EQ(opt.lr(0), 0.1);
    opt.step();  // the same grads again
    EXPECT_TRUE(near(b, {0.49, 2.51}));
    EXPECT_TRUE(near(a, {0.8, 2.2}));
    EXPECT_EQ(opt.parameters().size(), 3u);
    EXPECT_TRUE(opt.params(1)[0].same(b));
}

TYPED_TEST(OptimizerTest, ParametersWithoutGradAreSkipped) {
    using T = TypeParam;
    for (auto& [name, make] : factories<T>()) {
        SCOPED_TRACE(name);
        Tensor<T> a = param<T>({1.0, -2.0}), b = param<T>({3.0, 4.0});
        auto opt = make({a}, {b});
        set_grad(a, {0.5, 0.5});
        opt->step();
        EXPECT_NE(a.at(0), T(1.0));
        EXPECT_EQ(b.at(0), T(3.0));
        EXPECT_EQ(b.at(1), T(4.0));
        EXPECT_EQ(opt->step_count(0, 0), 1);
        EXPECT_EQ(opt->step_count(1, 0), 0);
        // No state is exported for b: only a's entries ("state.0.*") and the two lrs.
        for (const auto& [key, value] : opt->state().arrays) EXPECT_EQ(key.rfind("state.0.", 0), 0u) << key;
        EXPECT_TRUE(grad_enabled());  // step() restored grad mode
    }
}

TYPED_TEST(OptimizerTest, ZeroGradSetsGradsToNoneAndThenStepChangesNothing) {
    using T = TypeParam;
    Tensor<T> a = param<T>({1.0, -2.0}), b = param<T>({3.0});
    Adam<T> opt({a, b});
    set_grad(a, {1.0, 1.0});
    set_grad(b, {1.0});
    opt.zero_grad();
    EXPECT_FALSE(a.has_grad());
    EXPECT_FALSE(b.has_grad());
    opt.step();
    EXPECT_EQ(a.at(0), T(1.0));
    EXPECT_EQ(b.at(0), T(3.0));
    EXPECT_EQ(opt.step_count(0, 0), 0);
}

TYPED_TEST(OptimizerTest, StepOutsideNoGradStillWorksAndBumpsTheVersion) {
    using T = TypeParam;
    Tensor<T> a = param<T>({1.0});
    SGD<T> opt({a}, SGDOptions(1.0));
    set_grad(a, {0.25});
    const auto before = a.version();
    opt.step();  // grad mode is on here; step() must use NoGradGuard itself
    EXPECT_TRUE(near(a, {0.75}));
    EXPECT_GT(a.version(), before);
}

TYPED_TEST(OptimizerTest, RejectsBadParameters) {
    using T = TypeParam;
    Tensor<T> ok = param<T>({1.0});
    Tensor<T> frozen(Array<T>({1.0, 2.0}), false);
    Tensor<T> x = param<T>({1.0});
    Tensor<T> made = mul(x, T(2));
    EXPECT_THROW_MSG(SGD<T>({frozen}, SGDOptions(0.1)), ValueError, "SGD", "parameter 0 of group 0", "[2]",
                     "does not require grad");
    EXPECT_THROW_MSG(Adam<T>({ok, made}), ValueError, "Adam", "parameter 1 of group 0", "not a leaf");
    EXPECT_THROW_MSG(RMSProp<T>({}), ValueError, "RMSProp", "group 0 is empty");
    EXPECT_THROW_MSG(Adagrad<T>({Tensor<T>()}), ValueError, "Adagrad", "undefined");
    EXPECT_THROW_MSG(AdamW<T>({ok, ok}), ValueError, "AdamW", "parameter 1 of group 0", "more than once");
    SGD<T> opt({ok}, SGDOptions(0.1));
    EXPECT_THROW_MSG(opt.add_param_group({}), ValueError, "SGD", "group 1 is empty");
    EXPECT_THROW_MSG(opt.add_param_group({x, ok}), ValueError, "SGD", "parameter 1 of group 1", "more than once");
    EXPECT_THROW_MSG(opt.add_param_group({x}, SGDOptions(-1.0)), ValueError, "SGD", "lr");
    EXPECT_EQ(opt.group_count(), 1u);  // the refused groups were not added
    EXPECT_THROW_MSG(opt.set_lr(0, -0.5), ValueError, "SGD", "invalid lr -0.5");
    EXPECT_THROW_MSG(opt.set_lr(0, NAN), ValueError, "SGD", "invalid lr nan");
    EXPECT_EQ(opt.lr(0), 0.1);
    EXPECT_THROW_MSG(opt.params(3), ValueError, "SGD", "group 3 out of range");
}

TYPED_TEST(OptimizerTest, StateExportImportContinuesBitIdentically) {
    using T = TypeParam;
    for (auto& [name, make] : factories<T>()) {
        SCOPED_TRACE(name);
        auto pa = make_params<T>();
        auto oa = make({pa[0]}, {pa[1]});
        for (int s = 0; s < 3; ++s) {
            set_grads(pa, s);
            oa->step();
        }
        EXPECT_EQ(oa->step_count(0, 0), 3);
        EXPECT_EQ(oa->step_count(1, 0), 2);  // no grad on step 0
        const OptimizerState<T> saved = oa->state();

        // A fresh optimizer over copies of the parameters, resumed from the saved state.
        auto pb = copies(pa);
        auto ob = make({pb[0]}, {pb[1]});
        ob->set_lr(1, 123.0);  // overwritten by the state's lr
        ob->load_state(saved);
        EXPECT_EQ(ob->lr(1), oa->lr(1));
        const OptimizerState<T> reloaded = ob->state();
        ASSERT_EQ(reloaded.arrays.size(), saved.arrays.size());
        for (std::size_t i = 0; i < saved.arrays.size(); ++i) {
            EXPECT_EQ(reloaded.arrays[i].first, saved.arrays[i].first);
            EXPECT_TRUE(bit_equal(reloaded.arrays[i].second, saved.arrays[i].second));
        }
        EXPECT_EQ(reloaded.scalars, saved.scalars);

        // The same optimizer without the state: the control that shows the state matters.
        auto pc = copies(pa);
        auto oc = make({pc[0]}, {pc[1]});
        for (int s = 3; s < 5; ++s) {
            set_grads(pa, s);
            set_grads(pb, s);
            set_grads(pc, s);
            oa->step();
            ob->step();
            oc->step();
        }
        double control_diff = 0;
        for (std::size_t j = 0; j < pa.size(); ++j) {
            EXPECT_TRUE(bit_equal(pa[j].value(), pb[j].value())) << "parameter " << j;
            for (std::size_t k = 0; k < pa[j].numel(); ++k)
                control_diff = std::max(control_diff, std::abs(double(pa[j].at(k)) - double(pc[j].at(k))));
        }
        EXPECT_GT(control_diff, 1e-5);
        EXPECT_EQ(ob->step_count(0, 0), 5);
    }
}

TYPED_TEST(OptimizerTest, StateNamesFollowPyTorch) {
    using T = TypeParam;
    auto ps = make_params<T>();
    Adam<T> opt({ps[0]}, AdamOptions(0.01).amsgrad(true));
    opt.add_param_group({ps[1]}, AdamOptions(0.02));
    set_grads(ps, 1);
    opt.step();
    const auto st = opt.state();
    std::vector<std::string> arrays, scalars;
    for (const auto& e : st.arrays) arrays.push_back(e.first);
    for (const auto& e : st.scalars) scalars.push_back(e.first);
    EXPECT_EQ(arrays, (std::vector<std::string>{"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                                                "state.1.exp_avg", "state.1.exp_avg_sq"}));
    EXPECT_EQ(scalars, (std::vector<std::string>{"param_groups.0.lr", "param_groups.1.lr", "state.0.step", "state.1.step"}));
    EXPECT_EQ(st.scalars[1].second, 0.02);
    EXPECT_EQ(st.scalars[3].second, 1.0);
    EXPECT_EQ(shape_of(st.arrays[3].second), (Shape{2, 3}));
}

TYPED_TEST(OptimizerTest, LoadStateRejectsMismatchesAndChangesNothing) {
    using T = TypeParam;
    auto ps = make_params<T>();
    Adam<T> opt({ps[0]}, AdamOptions(0.01));
    opt.add_param_group({ps[1]});
    set_grads(ps, 1);
    opt.step();
    const OptimizerState<T> good = opt.state();

    auto edit = [&](const std::function<void(OptimizerState<T>&)>& f) {
        OptimizerState<T> s = good;
        f(s);
        return s;
    };
    auto drop = [](auto& list, const std::string& key) {
        list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& e) { return e.first == key; }), list.end());
    };
    auto set_scalar = [](OptimizerState<T>& s, const std::string& key, double v) {
        for (auto& e : s.scalars)
            if (e.first == key) e.second = v;
    };

    EXPECT_THROW_MSG(opt.load_state(edit([](auto& s) { s.arrays.emplace_back("state.0.bogus", Array<T>({1, 2, 3, 4})); })),
                     ValueError, "Adam: load_state", "unknown entry 'state.0.bogus'");
    EXPECT_THROW_MSG(opt.load_state(edit([&](auto& s) { drop(s.arrays, "state.1.exp_avg_sq"); })), ValueError,
                     "Adam: load_state", "missing 'state.1.exp_avg_sq'");
    EXPECT_THROW_MSG(opt.load_state(edit([](auto& s) { s.arrays[0].second = Array<T>({1, 2, 3}); })), ValueError,
                     "'state.0.exp_avg' has shape [3], parameter 0 has shape [4]");
    EXPECT_THROW_MSG(opt.load_state(edit([&](auto& s) { drop(s.scalars, "param_groups.1.lr"); })), ValueError,
                     "missing 'param_groups.1.lr'");
    EXPECT_THROW_MSG(opt.load_state(edit([&](auto& s) { set_scalar(s, "param_groups.0.lr", -1.0); })), ValueError,
                     "invalid param_groups.0.lr -1");
    EXPECT_THROW_MSG(opt.load_state(edit([&](auto& s) { set_scalar(s, "state.0.step", 1.5); })), ValueError,
                     "'state.0.step' is 1.5", "whole number");
    EXPECT_THROW_MSG(opt.load_state(edit([&](auto& s) { drop(s.scalars, "state.0.step"); })), ValueError,
                     "'state.0.exp_avg' given without 'state.0.step'");
    EXPECT_THROW_MSG(opt.load_state(edit([](auto& s) { s.scalars.push_back(s.scalars[0]); })), ValueError,
                     "duplicate entry 'param_groups.0.lr'");
    // An Adam state does not fit an SGD with momentum (different buffer names).
    SGD<T> sgd({copies(ps)[0]}, SGDOptions(0.1).momentum(0.9));
    sgd.add_param_group({copies(ps)[1]});
    EXPECT_THROW_MSG(sgd.load_state(good), ValueError, "SGD: load_state", "missing 'state.0.momentum_buffer'");

    // Nothing changed by the refused loads.
    const OptimizerState<T> now = opt.state();
    ASSERT_EQ(now.arrays.size(), good.arrays.size());
    for (std::size_t i = 0; i < now.arrays.size(); ++i) EXPECT_TRUE(bit_equal(now.arrays[i].second, good.arrays[i].second));
    EXPECT_EQ(now.scalars, good.scalars);
}

TYPED_TEST(OptimizerTest, EmptyStateResetsAFreshStart) {
    using T = TypeParam;
    Tensor<T> a = param<T>({1.0});
    SGD<T> opt({a}, SGDOptions(0.1).momentum(0.5));
    set_grad(a, {1.0});
    opt.step();
    OptimizerState<T> empty;
    empty.scalars.emplace_back("param_groups.0.lr", 0.2);
    opt.load_state(empty);
    EXPECT_EQ(opt.step_count(0, 0), 0);
    EXPECT_EQ(opt.lr(0), 0.2);
    opt.step();  // first step again: the buffer restarts as the gradient
    EXPECT_TRUE(near(a, {0.9 - 0.2}));
}
