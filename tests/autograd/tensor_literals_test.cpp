// Tensor literals from nested braces (autograd/tensor.hpp): 1-d, one-row 2-d, 2-d and 3-d, with and without
// requires_grad, in double and float. A one-row matrix such as Tensord W({{0.7, -0.5}}, true) once did not
// compile (ambiguous constructors); each literal here must compile and hold its shape and values.
#include <vector>

#include <gtest/gtest.h>

#include "autograd/ops.hpp"

using namespace dg;

namespace {

template <class T>
std::vector<T> values_of(const Tensor<T>& t) {
    return std::vector<T>(t.value().begin(), t.value().end());
}

// A literal that requires grad is a parameter leaf: the gradient of sum(t) is all ones, in its shape.
template <class T>
void expect_parameter(const Tensor<T>& t) {
    EXPECT_TRUE(t.requires_grad());
    EXPECT_TRUE(t.is_leaf());
    sum(t).backward();
    ASSERT_TRUE(t.has_grad());
    EXPECT_EQ(t.grad().shape(), t.shape());
    EXPECT_EQ(values_of(t.grad()), std::vector<T>(t.value().size(), T(1)));
}

}  // namespace

TEST(TensorLiterals, OneDimensional) {
    const Tensord v({0.7, -0.5, 2.0});
    EXPECT_EQ(v.shape(), (Shape{3}));
    EXPECT_EQ(values_of(v), (std::vector<double>{0.7, -0.5, 2.0}));
    EXPECT_FALSE(v.requires_grad());

    const Tensord w({0.7, -0.5}, true);
    EXPECT_EQ(w.shape(), (Shape{2}));
    EXPECT_EQ(values_of(w), (std::vector<double>{0.7, -0.5}));
    expect_parameter(w);

    const Tensord one({5.0});
    EXPECT_EQ(one.shape(), (Shape{1}));
    EXPECT_EQ(one.at(0), 5.0);
}

TEST(TensorLiterals, OneRowMatrix) {
    const Tensord W({{0.7, -0.5}}, true);  // the literal that once was ambiguous
    EXPECT_EQ(W.shape(), (Shape{1, 2}));
    EXPECT_EQ(values_of(W), (std::vector<double>{0.7, -0.5}));
    expect_parameter(W);

    const Tensord c({{0.7, -0.5}});
    EXPECT_EQ(c.shape(), (Shape{1, 2}));
    EXPECT_FALSE(c.requires_grad());

    const Tensor<float> f({{0.7f, -0.5f, 0.25f}}, true);
    EXPECT_EQ(f.shape(), (Shape{1, 3}));
    EXPECT_EQ(values_of(f), (std::vector<float>{0.7f, -0.5f, 0.25f}));
    expect_parameter(f);
}

TEST(TensorLiterals, Matrix) {
    const Tensord A({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_EQ(A.shape(), (Shape{2, 3}));
    EXPECT_EQ(values_of(A), (std::vector<double>{1, 2, 3, 4, 5, 6}));  // row-major
    EXPECT_EQ(A.value()(1, 0), 4.0);
    EXPECT_FALSE(A.requires_grad());

    const Tensord B({{1, 2}, {3, 4}}, true);  // whole numbers in a double literal
    EXPECT_EQ(B.shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of(B), (std::vector<double>{1, 2, 3, 4}));
    expect_parameter(B);
}

TEST(TensorLiterals, ThreeDimensional) {
    const Tensord T3({{{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, {{7.0, 8.0}, {9.0, 10.0}, {11.0, 12.0}}});
    EXPECT_EQ(T3.shape(), (Shape{2, 3, 2}));
    EXPECT_EQ(values_of(T3), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
    EXPECT_EQ(T3.value()(1, 2, 0), 11.0);
    EXPECT_FALSE(T3.requires_grad());

    const Tensor<float> one_slice({{{0.5f, -0.5f}}}, true);
    EXPECT_EQ(one_slice.shape(), (Shape{1, 1, 2}));
    EXPECT_EQ(values_of(one_slice), (std::vector<float>{0.5f, -0.5f}));
    expect_parameter(one_slice);
}
