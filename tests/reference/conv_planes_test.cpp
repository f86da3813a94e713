// The textbook's plane operations, on small planes whose results are written out by hand.
#include <gtest/gtest.h>

#include "nn/reference/conv_planes.hpp"
#include "reference/reference_test_util.hpp"

namespace dg::reference {
namespace {

using test::mat;

TEST(ConvPlanes, PadDilateRotate) {
    const Array<double> a = mat({{1, 2}, {3, 4}});
    EXPECT_EQ(pad_plane(a, 1, 0, 0, 2), mat({{0, 0, 0, 0}, {1, 2, 0, 0}, {3, 4, 0, 0}}));
    EXPECT_EQ(dilate_plane(a, 2, 3), mat({{1, 0, 0, 2}, {0, 0, 0, 0}, {3, 0, 0, 4}}));
    EXPECT_EQ(dilate_plane(a, 1, 1), a);
    EXPECT_EQ(rotate180(mat({{1, 2, 3}, {4, 5, 6}})), mat({{6, 5, 4}, {3, 2, 1}}));
}

TEST(ConvPlanes, CorrelateValidWithStride) {
    const Array<double> a = mat({{1, 0, 2}, {3, 1, 0}, {0, 2, 1}});
    const Array<double> k = mat({{1, 2}, {0, -1}});
    // C[i, j] = A[i, j] + 2 A[i, j+1] − A[i+1, j+1].
    EXPECT_EQ(correlate(a, k), mat({{0, 4}, {3, 0}}));
    // Stride 2 on the zero-padded plane: the corners' windows.
    EXPECT_EQ(correlate(pad_plane(a, 1, 1, 1, 1), k, 2, 2), mat({{-1, -2}, {6, 0}}));
    EXPECT_THROW(correlate(k, a), ShapeError);
}

TEST(ConvPlanes, PlaneCopiesAndAdds) {
    Array<double> x = xt::arange<double>(0, 24).reshape({2, 3, 2, 2});
    EXPECT_EQ(plane(x, 1, 2), mat({{20, 21}, {22, 23}}));
    add_to_plane(x, 0, 1, mat({{1, 1}, {1, 1}}));
    EXPECT_EQ(plane(x, 0, 1), mat({{5, 6}, {7, 8}}));
    EXPECT_EQ(plane(x, 0, 2), mat({{8, 9}, {10, 11}}));  // its neighbour untouched
}

}  // namespace
}  // namespace dg::reference
