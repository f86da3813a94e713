// Indexing: index_select / index_add along every axis (repeated indices accumulate), gather / scatter_add as torch,
// gather_rows / scatter_rows, and where with broadcasting — values by hand, gradcheck and gradgradcheck, errors.
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"
#include "support/allclose.hpp"
#include "support/expect_throw.hpp"
#include "support/gradcheck_assert.hpp"
#include "support/make_tensor.hpp"
#include "support/random_tensor.hpp"

using namespace dg;
using dg::test::all_close;
using Fn = std::function<Tensord(const std::vector<Tensord>&)>;

TEST(Index, IndexSelectWithRepeatedIndices) {
    Tensord x({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, true);
    const std::vector<std::size_t> idx = {2, 0, 2, 2};
    const Tensord y = index_select(x, idx);
    EXPECT_TRUE(all_close(y, {4, 2}, {5, 6, 1, 2, 5, 6, 5, 6}));
    y.backward(Tensord({{1.0, 10.0}, {2.0, 20.0}, {3.0, 30.0}, {4.0, 40.0}}));
    EXPECT_TRUE(all_close(x.grad(), {3, 2}, {2, 20, 0, 0, 8, 80}));  // row 2 picked three times
    const Fn f = [idx](const std::vector<Tensord>& v) { return index_select(v[0], idx); };
    EXPECT_GRADCHECK(f, dg::test::randn({3, 2}, 16));
    EXPECT_GRADGRADCHECK([idx](const std::vector<Tensord>& v) { return index_select(v[0] * v[0], idx); },
                         dg::test::randn({3, 2}, 17));
    const std::vector<std::size_t> idx1 = {1, 1, 0};
    EXPECT_GRADCHECK([idx1](const std::vector<Tensord>& v) { return index_select(v[0], idx1); },
                     dg::test::randn({4}, 18));
    EXPECT_GRADCHECK([idx1](const std::vector<Tensord>& v) { return index_select(v[0], idx1); },
                     dg::test::randn({2, 3, 2}, 19));
}

TEST(Index, IndexAddAccumulatesRepeatedRows) {
    Tensord src({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, true);
    const std::vector<std::size_t> idx = {1, 3, 1};
    const Tensord y = index_add<double>({4, 2}, idx, src);
    EXPECT_TRUE(all_close(y, {4, 2}, {0, 0, 6, 8, 0, 0, 3, 4}));
    const Fn f = [idx](const std::vector<Tensord>& v) { return index_add<double>({4, 2}, idx, v[0]); };
    EXPECT_GRADCHECK(f, src);
    EXPECT_GRADGRADCHECK([idx](const std::vector<Tensord>& v) { return index_add<double>({4, 2}, idx, v[0] * v[0]); },
                         src);
}

TEST(Index, GatherRowsAndScatterRows) {
    Tensord x({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, true);
    const std::vector<std::size_t> idx = {2, 0};
    const Tensord y = gather_rows(x, idx);
    EXPECT_TRUE(all_close(y, {2}, {3, 4}));
    y.backward(Tensord({7.0, 9.0}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {0, 0, 7, 9, 0, 0}));
    const Tensord s = scatter_rows<double>({2, 3}, idx, Tensord({7.0, 9.0}));
    EXPECT_TRUE(all_close(s, {2, 3}, {0, 0, 7, 9, 0, 0}));
    const std::vector<std::size_t> idx4 = {1, 1, 0, 2};
    EXPECT_GRADCHECK([idx4](const std::vector<Tensord>& v) { return gather_rows(v[0], idx4); },
                     dg::test::randn({4, 3}, 20));
    EXPECT_GRADGRADCHECK([idx4](const std::vector<Tensord>& v) { return gather_rows(v[0] * v[0], idx4); },
                         dg::test::randn({4, 3}, 21));
    EXPECT_GRADCHECK([idx4](const std::vector<Tensord>& v) { return scatter_rows<double>({4, 3}, idx4, v[0]); },
                     dg::test::randn({4}, 22));
    EXPECT_GRADGRADCHECK(
        [idx4](const std::vector<Tensord>& v) { return scatter_rows<double>({4, 3}, idx4, v[0] * v[0]); },
        dg::test::randn({4}, 23));
}

TEST(Index, IndexSelectAlongAnyAxis) {
    const Tensord a({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_TRUE(all_close(index_select(a, 1, {2, 0, 2}), {2, 3}, {3, 1, 3, 6, 4, 6}));
    EXPECT_TRUE(all_close(index_select(a, -1, {1}), {2, 1}, {2, 5}));
    EXPECT_TRUE(all_close(index_select(a, 0, {1, 1}), {2, 3}, {4, 5, 6, 4, 5, 6}));
    EXPECT_TRUE(all_close(index_select(a, 1, {}), {2, 0}, {}));
    Tensord x = dg::test::make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}, true);
    index_select(x, 1, {2, 0, 2}).backward(dg::test::make_tensor({2, 3}, {1, 10, 100, 2, 20, 200}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {10, 0, 101, 20, 0, 202}));  // column 2 picked twice
    const Tensord t = dg::test::randn({3, 4, 2}, 60);
    for (int axis = -3; axis < 3; ++axis) {
        SCOPED_TRACE("axis " + std::to_string(axis));
        const std::vector<std::size_t> idx = {1, 0, 1, 1};
        const Fn f = [axis, idx](const std::vector<Tensord>& v) { return index_select(v[0], axis, idx); };
        EXPECT_GRADCHECK(f, t);
        const Fn g = [axis, idx](const std::vector<Tensord>& v) { return index_select(v[0] * v[0], axis, idx); };
        EXPECT_GRADGRADCHECK(g, t);
    }
}

TEST(Index, IndexAddAlongAnyAxis) {
    Tensord src = dg::test::make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}, true);
    const std::vector<std::size_t> idx = {3, 0, 3};
    EXPECT_TRUE(all_close(index_add<double>({2, 4}, 1, idx, src), {2, 4}, {2, 0, 0, 4, 5, 0, 0, 10}));
    EXPECT_TRUE(all_close(index_add<double>({2, 4}, -1, idx, src), {2, 4}, {2, 0, 0, 4, 5, 0, 0, 10}));
    const Fn f = [idx](const std::vector<Tensord>& v) { return index_add<double>({2, 4}, 1, idx, v[0]); };
    EXPECT_GRADCHECK(f, src);
    const Fn g = [idx](const std::vector<Tensord>& v) { return index_add<double>({2, 4}, 1, idx, v[0] * v[0]); };
    EXPECT_GRADGRADCHECK(g, src);
    const Fn h = [](const std::vector<Tensord>& v) { return index_add<double>({3, 2, 2}, 2, {1, 1, 0}, v[0] * v[0]); };
    EXPECT_GRADGRADCHECK(h, dg::test::randn({3, 2, 3}, 61));
}

TEST(Index, GatherAsTorch) {
    // torch.gather(x, 1, [[2, 0], [1, 1]]) on x = [[1, 2, 3], [4, 5, 6]]: y[i][j] = x[i][index[i][j]].
    const Tensord x({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_TRUE(all_close(gather(x, 1, Indices{{2, 0}, {1, 1}}), {2, 2}, {3, 1, 5, 5}));
    // Along axis 0: y[i][j] = x[index[i][j]][j]; an index smaller than x off the axis (one row, two columns).
    EXPECT_TRUE(all_close(gather(x, 0, Indices{{1, 0, 1}, {0, 0, 1}}), {2, 3}, {4, 2, 6, 1, 2, 6}));
    EXPECT_TRUE(all_close(gather(x, -2, Indices{{1, 0}}), {1, 2}, {4, 2}));
    EXPECT_TRUE(all_close(gather(Tensord({5.0, 6.0, 7.0}), 0, Indices{2, 2, 0}), {3}, {7, 7, 5}));
    // One entry per row, the index a column made from values and a shape (as ops.hpp shows).
    const std::vector<std::size_t> targets = {2, 0};
    EXPECT_TRUE(all_close(gather(x, 1, Indices(xt::adapt(targets, Shape{2, 1}))), {2, 1}, {3, 4}));
    // 3-d, along the middle axis: y[i][j][k] = x[i][index[i][j][k]][k].
    const Tensord t = dg::test::randn({2, 3, 2}, 62);
    const Indices idx3{{{2, 0}, {1, 1}, {0, 2}, {2, 2}}, {{0, 0}, {1, 2}, {2, 1}, {0, 1}}};
    const Tensord y = gather(t, 1, idx3);
    ASSERT_EQ(y.shape(), (Shape{2, 4, 2}));
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            for (std::size_t k = 0; k < 2; ++k) EXPECT_EQ(y.value()(i, j, k), t.value()(i, idx3(i, j, k), k));
}

TEST(Index, GatherSendsItsGradientToThePickedElements) {
    Tensord x = dg::test::make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}, true);
    gather(x, 1, Indices{{2, 2}, {0, 1}}).backward(Tensord({{1.0, 10.0}, {100.0, 1000.0}}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {0, 0, 11, 100, 1000, 0}));  // x[0][2] picked twice
    const Indices idx3{{{2, 0}, {1, 1}, {0, 2}, {2, 2}}, {{0, 0}, {1, 2}, {2, 1}, {0, 1}}};
    for (int axis : {1, -2}) {
        const Fn f = [axis, idx3](const std::vector<Tensord>& v) { return gather(v[0], axis, idx3); };
        EXPECT_GRADCHECK(f, dg::test::randn({2, 3, 2}, 63));
        const Fn g = [axis, idx3](const std::vector<Tensord>& v) { return gather(v[0] * v[0], axis, idx3); };
        EXPECT_GRADGRADCHECK(g, dg::test::randn({2, 3, 2}, 64));
    }
    const Indices idx0{{2, 0, 1}, {1, 1, 0}};
    EXPECT_GRADGRADCHECK([idx0](const std::vector<Tensord>& v) { return tanh(gather(v[0], 0, idx0)); },
                         dg::test::randn({3, 4}, 65));
}

TEST(Index, ScatterAddIsGathersAdjoint) {
    Tensord src({{1.0, 2.0}, {3.0, 4.0}}, true);
    const Indices idx{{2, 2}, {0, 1}};
    EXPECT_TRUE(all_close(scatter_add<double>({2, 3}, 1, idx, src), {2, 3}, {0, 0, 3, 3, 4, 0}));
    EXPECT_TRUE(all_close(scatter_add<double>({3, 2}, 0, idx, src), {3, 2}, {3, 0, 0, 4, 1, 2}));
    // <gather(x), s> = <x, scatter_add(s)> for random x and s.
    const Tensord x = dg::test::randn({3, 4}, 66), s = dg::test::randn({2, 4}, 67);
    const Indices i4{{2, 0, 1, 2}, {2, 2, 0, 1}};
    EXPECT_NEAR(sum(gather(x, 0, i4) * s).item(), sum(x * scatter_add<double>({3, 4}, 0, i4, s)).item(), 1e-13);
    const Fn f = [idx](const std::vector<Tensord>& v) { return scatter_add<double>({2, 3}, 1, idx, v[0]); };
    EXPECT_GRADCHECK(f, src);
    const Fn g = [idx](const std::vector<Tensord>& v) { return scatter_add<double>({2, 3}, -1, idx, v[0] * v[0]); };
    EXPECT_GRADGRADCHECK(g, src);
}

TEST(Index, WhereWithBroadcasting) {
    const Tensord cond({1.0, 0.0, -2.0});
    const Tensord a({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_TRUE(all_close(where(cond, a, Tensord::scalar(0.0)), {2, 3}, {1, 0, 3, 4, 0, 6}));
    const Tensord col = dg::test::make_tensor({2, 1}, {1, 0});
    EXPECT_TRUE(all_close(where(col, Tensord({7.0, 8.0, 9.0}), a), {2, 3}, {7, 8, 9, 4, 5, 6}));
    // Gradients: a gets grad_out where cond holds, b elsewhere, summed to their shapes; cond gets none.
    Tensord x = dg::test::make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}, true);
    Tensord y({10.0, 20.0, 30.0}, true);
    Tensord c({1.0, 0.0, 1.0}, true);
    where(c, x, y).backward(dg::test::make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(all_close(x.grad(), {2, 3}, {1, 0, 3, 4, 0, 6}));
    EXPECT_TRUE(all_close(y.grad(), {3}, {0, 7, 0}));
    EXPECT_FALSE(c.has_grad());
    const Tensord mask = dg::test::make_tensor({3, 1}, {1, 0, 1}, false);
    const Fn f = [mask](const std::vector<Tensord>& v) { return where(mask, v[0], v[1]); };
    EXPECT_GRADCHECK(f, dg::test::randn({3, 4}, 68), dg::test::randn({4}, 69));
    const Fn g = [mask](const std::vector<Tensord>& v) { return where(mask, v[0] * v[0], tanh(v[1])); };
    EXPECT_GRADGRADCHECK(g, dg::test::randn({3, 4}, 70), dg::test::randn({4}, 71));
}

TEST(Index, IndexingErrorsNameTheOpTheIndexAndTheExtent) {
    const Tensord x = dg::test::randn({2, 3}, 72);
    EXPECT_THROW_MSG(index_select(x, 1, {0, 3}), ValueError, "index_select", "index 3", "position 1", "axis 1",
                     "extent 3");
    EXPECT_THROW_MSG(index_select(x, 2, {0}), ValueError, "index_select", "axis 2");
    EXPECT_THROW_MSG(index_add<double>({2, 3}, 1, {5}, dg::test::randn({2, 1}, 73)), ValueError, "index_add",
                     "index 5", "extent 3");
    EXPECT_THROW_MSG(index_add<double>({2, 3}, 1, {0, 1}, dg::test::randn({2, 1}, 73)), ShapeError, "index_add",
                     "[2, 1]", "[2, 2]");
    EXPECT_THROW_MSG(gather(x, 1, Indices{{0, 4}, {1, 1}}), ValueError, "gather", "index 4", "position 1", "extent 3");
    EXPECT_THROW_MSG(gather(x, 0, Indices{0, 1}), ShapeError, "gather", "[2]", "[2, 3]", "same rank");
    EXPECT_THROW_MSG(gather(x, 1, Indices{{0, 1}, {1, 1}, {0, 1}}), ShapeError, "gather", "[3, 2]", "[2, 3]",
                     "off axis 1");
    EXPECT_THROW_MSG(gather(x, 3, Indices{{0, 0}}), ValueError, "gather", "axis 3");
    EXPECT_THROW_MSG(scatter_add<double>({2, 3}, 0, Indices{{2, 0}}, dg::test::randn({1, 2}, 74)), ValueError,
                     "scatter_add", "index 2", "extent 2");
    EXPECT_THROW_MSG(scatter_add<double>({2, 3}, 0, Indices{{1, 0}}, dg::test::randn({2, 1}, 74)), ShapeError,
                     "scatter_add", "[2, 1]", "[1, 2]");
    EXPECT_THROW_MSG(where(Tensord::ones({2}), x, x), ShapeError, "where", "[2]", "[2, 3]", "do not broadcast");
    EXPECT_THROW_MSG(where(Tensord::ones({3}), x, Tensord::ones({4})), ShapeError, "where", "[4]");
}
