// The offers of a leaf's gradient before it is computed (autograd/observer.hpp): the linear op offers its weight's
// gradient as a product and its bias's as the rows it sums, only where that one contribution is all of it (one
// consumer, no hook, a pass that stores gradients) and no installed observer must see every gradient. An observer
// here records each offer and declines it, so the engine then computes the gradient as usual.
#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/random_tensor.hpp"

namespace dg {
namespace {

using test::all_close;
using test::randn;

struct OfferRecorder : Observer<double> {
    int products = 0, row_sums = 0;
    Node<double>* product_leaf = nullptr;
    Node<double>* row_sum_leaf = nullptr;
    Array<double> rows;  // the last rows offered
    bool take_leaf_grad_product(Node<double>& leaf, const Array<double>&, bool, const Array<double>&, bool) override {
        ++products;
        product_leaf = &leaf;
        return false;
    }
    bool take_leaf_grad_row_sum(Node<double>& leaf, const Array<double>& r) override {
        ++row_sums;
        row_sum_leaf = &leaf;
        rows = r;
        return false;
    }
};

/// Sees every gradient, as a trace does: no offer may be made while it is installed.
struct Watcher : Observer<double> {
    bool sees_every_gradient() const override { return true; }
};

TEST(Observer, LinearOffersItsWeightAsAProductAndItsBiasAsTheRowsItSums) {
    for (const std::size_t batch : {1, 5}) {
        const Tensor<double> x = randn({batch, 4}, 1, false), w = randn({3, 4}, 2), b = randn({3}, 3);
        OfferRecorder recorder;
        {
            ObserverGuard<double> guard(recorder);
            sum(mul(linear(x, w, b), linear(x, w, b).detach())).backward();
        }
        EXPECT_EQ(recorder.products, 1) << "batch " << batch;
        EXPECT_EQ(recorder.product_leaf, w.node());
        ASSERT_EQ(recorder.row_sums, 1) << "batch " << batch;
        EXPECT_EQ(recorder.row_sum_leaf, b.node());
        EXPECT_EQ(shape_of(recorder.rows), (Shape{batch, 3}));
        // Declined, so the engine stored the gradient: the sum of the rows offered.
        EXPECT_TRUE(all_close(b.grad().value(), Array<double>(xt::sum(recorder.rows, {0})), 1e-15, 1e-14));
    }
}

TEST(Observer, NoOfferWhereOneContributionIsNotAll) {
    const Tensor<double> x = randn({2, 4}, 4, false), w = randn({3, 4}, 5);
    OfferRecorder recorder;
    ObserverGuard<double> guard(recorder);
    {
        const Tensor<double> b = randn({3}, 6);  // used twice: two contributions
        sum(add(linear(x, w, b), b)).backward();
        EXPECT_EQ(recorder.row_sums, 0);
        EXPECT_EQ(recorder.products, 1);  // w: used once
    }
    {
        Tensor<double> b = randn({3}, 7);  // a hook must see the whole gradient
        b.register_hook([](const Tensor<double>&) { return Tensor<double>(); });
        sum(linear(x, w, b)).backward();
        EXPECT_EQ(recorder.row_sums, 0);
    }
    {
        const Tensor<double> b = randn({3}, 8);  // grad() and create_graph store no .grad: nothing to offer
        const int products = recorder.products;
        grad<double>({sum(linear(x, w, b))}, {b});
        sum(linear(x, w, b)).backward(false, true);
        EXPECT_EQ(recorder.row_sums, 0);
        EXPECT_EQ(recorder.products, products);
    }
}

TEST(Observer, NoOfferWhileAnObserverSeesEveryGradient) {
    const Tensor<double> x = randn({2, 4}, 9, false), w = randn({3, 4}, 10), b = randn({3}, 11);
    OfferRecorder recorder;
    Watcher watcher;
    ObserverGuard<double> g1(recorder), g2(watcher);
    sum(linear(x, w, b)).backward();
    EXPECT_EQ(recorder.products, 0);
    EXPECT_EQ(recorder.row_sums, 0);
    EXPECT_TRUE(b.has_grad());
}

}  // namespace
}  // namespace dg
