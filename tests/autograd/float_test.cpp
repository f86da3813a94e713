// float against double: the same composite graph (every op family) gives the same value and gradients
// in float to float precision — gradcheck runs in double only, so this guards the float instantiations.
#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;

namespace {

template <class T>
Tensor<T> cast(const Tensord& x) {
    return Tensor<T>(Array<T>(xt::cast<T>(x.value())), true);
}

/// A loss touching elementwise, scalar, reduction, linalg, shape and softmax ops.
template <class T>
Tensor<T> composite(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& b) {
    const Tensor<T> h = tanh(linear(x, w, b));                                        // [4,3]
    const Tensor<T> s = sigmoid(h) * T(2) - T(0.5) / (exp(h) + T(1));                 // scalars both sides
    const Tensor<T> c = concat<T>({s, softplus(narrow(h, 1, 0, 2))}, 1);              // [4,5]
    const Tensor<T> r = softmax(c, 0) + log_softmax(c, -1) * T(0.1);
    const Tensor<T> m = matmul(transpose(r), index_select(r, {0, 2, 2, 3}));          // [5,5]
    return sum(m * m) + mean(max(c, 1)) + softmax_cross_entropy(c, {0, 4, 2, 1}) +
           sum(pow(abs(gather_rows(c, {1, 1, 3, 0})) + T(0.5), T(1.5)));
}

}  // namespace

TEST(Float, CompositeMatchesDoubleInValueAndGradients) {
    const Tensord xd = dg::test::randn({4, 6}, 1), wd = dg::test::randn({3, 6}, 2), bd = dg::test::randn({3}, 3);
    const Tensord ld = composite(xd, wd, bd);
    ld.backward();
    Tensorf xf = cast<float>(xd), wf = cast<float>(wd), bf = cast<float>(bd);
    const Tensorf lf = composite(xf, wf, bf);
    lf.backward();
    EXPECT_NEAR(lf.item(), ld.item(), 1e-4 * std::abs(ld.item()));
    for (const auto& [f, d] : {std::pair{xf, xd}, std::pair{wf, wd}, std::pair{bf, bd}}) {
        const Array<double> fg = xt::cast<double>(f.grad().value());
        EXPECT_TRUE(all_close(fg, d.grad().value(), 1e-4, 1e-3));
    }
}
