// shape_overflow, the check every reader makes before it builds an array from a file's dims: each of its four
// limits exactly at PTRDIFF_MAX (accepted) and one past it (refused, naming the dimension).
#include <cstdint>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nn/data/shape_check.hpp"

namespace dg::data {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Dims = std::vector<std::size_t>;
constexpr std::size_t ptrdiff_max = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
constexpr std::size_t two62 = std::size_t(1) << 62;

/// The refusal text, or "(fits)".
std::string why(const Dims& dims, std::size_t element_size = 1) {
    return shape_overflow(dims, element_size).value_or("(fits)");
}

TEST(ShapeOverflow, ShapesThatFit) {
    EXPECT_EQ(why({}), "(fits)");  // a scalar
    EXPECT_EQ(why({0}), "(fits)");
    EXPECT_EQ(why({3, 4, 5}, 8), "(fits)");
    EXPECT_EQ(why({ptrdiff_max}), "(fits)");
    EXPECT_EQ(why({1, ptrdiff_max}), "(fits)");  // stride of dimension 0 and element count both exactly PTRDIFF_MAX
    EXPECT_EQ(why({2, two62 - 1}), "(fits)");
    EXPECT_EQ(why({ptrdiff_max / 8}, 8), "(fits)");  // the largest double array
    EXPECT_EQ(why({7, 0, ptrdiff_max}), "(fits)");  // the strides in front of the 0 are 0
}

TEST(ShapeOverflow, DimAbovePtrdiffMax) {
    EXPECT_EQ(why({0, ptrdiff_max + 1}),
              "dimension 1 (9223372036854775808) overflows xtensor's index type std::ptrdiff_t (max "
              "9223372036854775807)");
    EXPECT_THAT(why({std::numeric_limits<std::size_t>::max()}), HasSubstr("dimension 0 (18446744073709551615)"));
}

TEST(ShapeOverflow, Stride) {
    EXPECT_EQ(why({1, two62, 2}),
              "the stride of dimension 0 (the product of dimensions 1 to 2) overflows xtensor's index type "
              "std::ptrdiff_t (max 9223372036854775807)");
    // The dimension named is the last one whose stride overflows, counting from 0.
    EXPECT_THAT(why({5, 6, two62, 2, 1}), HasSubstr("the stride of dimension 1 (the product of dimensions 2 to 4)"));
    // A 0 in front does not help, and is named.
    EXPECT_EQ(why({3, 0, 1, two62, 2}),
              "the stride of dimension 2 (the product of dimensions 3 to 4) overflows xtensor's index type "
              "std::ptrdiff_t (max 9223372036854775807); dimension 1 is 0, so the array would hold no elements, "
              "but its strides are computed all the same");
    EXPECT_THAT(why({1, two62, 2}), Not(HasSubstr("is 0")));
}

TEST(ShapeOverflow, ElementCount) {
    EXPECT_EQ(why({2, two62}),
              "the element count (the product of all 2 dims) overflows xtensor's index type std::ptrdiff_t (max "
              "9223372036854775807)");
    EXPECT_THAT(why({two62, 2}), HasSubstr("the element count (the product of all 2 dims)"));
}

TEST(ShapeOverflow, ByteCount) {
    EXPECT_EQ(why({ptrdiff_max / 8 + 1}, 8),
              "the 1152921504606846976 elements of 8 bytes each overflow xtensor's index type std::ptrdiff_t (max "
              "9223372036854775807) as a byte count");
    EXPECT_EQ(why({ptrdiff_max / 8 + 1}, 1), "(fits)");
    EXPECT_EQ(why({0, ptrdiff_max}, 8), "(fits)");  // no elements, no bytes
}

}  // namespace
}  // namespace dg::data
