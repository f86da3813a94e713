// The real Fashion-MNIST files from Debian's dataset-fashion-mnist: sizes, label range and known values.
#include <algorithm>
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autograd/array/errors.hpp"
#include "nn/data/fashion_mnist.hpp"
#include "nn/data/idx.hpp"
#include "test_util.hpp"

namespace dg::data {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Reference values computed independently with python3's gzip module:
//   d = gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz").read(); list(d[8:28])
//   im = gzip.open(".../train-images-idx3-ubyte.gz").read(); sum(im[16:16+784]); list(im[16+14*28:16+15*28])
const std::vector<std::size_t> train_first_labels = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5, 0, 9, 5, 5, 7, 9, 1, 0, 6, 4};
const std::vector<std::size_t> test_first_labels = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5, 7, 3, 4, 1, 2, 4, 8, 0};
constexpr double train_image0_byte_sum = 76247;
constexpr double test_image0_byte_sum = 33456;
const std::vector<int> train_image0_row14 = {0,   0,   1,   4,   6,   7,   2,   0,   0,   0,   0,   0,   237, 226,
                                             217, 223, 222, 219, 222, 221, 216, 223, 229, 215, 218, 255, 77,  0};

#define REQUIRE_FASHION_MNIST(split)                                                                      \
    if (!fashion_mnist_available(split))                                                                  \
    GTEST_SKIP() << "dataset-fashion-mnist is not installed in " << fashion_mnist_default_dir

void check_split(const Dataset<float>& d, std::size_t n, const std::vector<std::size_t>& first, double byte_sum) {
    ASSERT_EQ(d.size(), n);
    EXPECT_EQ(shape_of(d.x), (Shape{n, 784}));
    EXPECT_EQ(shape_of(d.y), (Shape{n}));
    EXPECT_EQ(d.num_classes, 10u);
    const auto [lo, hi] = std::minmax_element(d.x.data(), d.x.data() + d.x.size());
    EXPECT_EQ(*lo, 0.0f);
    EXPECT_EQ(*hi, 1.0f);
    std::vector<std::size_t> counts(10, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const float y = d.y(i);
        ASSERT_TRUE(y >= 0 && y <= 9 && std::trunc(y) == y) << "label " << i << " = " << y;
        ++counts[static_cast<std::size_t>(y)];
    }
    EXPECT_EQ(counts, std::vector<std::size_t>(10, n / 10));  // both splits are balanced
    for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(d.y(i), static_cast<float>(first[i])) << "label " << i;
    double sum = 0;
    for (std::size_t j = 0; j < 784; ++j) sum += d.x(0, j);
    EXPECT_NEAR(sum * 255.0, byte_sum, 1e-2);
}

TEST(FashionMnist, TrainSplit) {
    REQUIRE_FASHION_MNIST(FashionMnistSplit::Train);
    const auto d = load_fashion_mnist<float>(FashionMnistSplit::Train);
    check_split(d, 60000, train_first_labels, train_image0_byte_sum);
    for (std::size_t j = 0; j < 28; ++j) EXPECT_EQ(d.x(0, 14 * 28 + j), static_cast<float>(train_image0_row14[j]) / 255.0f);
}

TEST(FashionMnist, TestSplit) {
    REQUIRE_FASHION_MNIST(FashionMnistSplit::Test);
    check_split(load_fashion_mnist<float>(FashionMnistSplit::Test), 10000, test_first_labels, test_image0_byte_sum);
}

TEST(FashionMnist, LimitAndDouble) {
    REQUIRE_FASHION_MNIST(FashionMnistSplit::Test);
    const auto d = load_fashion_mnist<double>(FashionMnistSplit::Test, 20);
    ASSERT_EQ(d.size(), 20u);
    EXPECT_EQ(shape_of(d.x), (Shape{20, 784}));
    for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(d.y(i), static_cast<double>(test_first_labels[i]));
}

TEST(FashionMnist, LabelsReaderAgrees) {
    REQUIRE_FASHION_MNIST(FashionMnistSplit::Test);
    const auto labels = read_idx_labels(std::string(fashion_mnist_default_dir) + "/t10k-labels-idx1-ubyte.gz");
    ASSERT_EQ(labels.size(), 10000u);
    EXPECT_EQ(std::vector<std::size_t>(labels.begin(), labels.begin() + 20), test_first_labels);
}

TEST(FashionMnist, MissingFilesNameThePackage) {
    test::TempDir dir;
    EXPECT_FALSE(fashion_mnist_available(FashionMnistSplit::Train, dir.path().string()));
    const std::string msg = test::error_of<IoError>(
        [&] { load_fashion_mnist<float>(FashionMnistSplit::Train, 0, dir.path().string()); });
    EXPECT_THAT(msg, AllOf(HasSubstr("train-images-idx3-ubyte.gz"), HasSubstr("not found"),
                           HasSubstr("dataset-fashion-mnist")));
}

TEST(FashionMnist, MismatchedCounts) {
    // A fake folder written with our own IDX writer: 3 images but 2 labels.
    test::TempDir dir;
    write_idx(dir / "t10k-images-idx3-ubyte.gz", Array<float>(xt::zeros<float>({3, 28, 28})), IdxType::UByte);
    write_idx(dir / "t10k-labels-idx1-ubyte.gz", Array<float>{1, 2}, IdxType::UByte);
    EXPECT_THAT(test::error_of<IoError>(
                    [&] { load_fashion_mnist<float>(FashionMnistSplit::Test, 0, dir.path().string()); }),
                HasSubstr("has 3 images but"));
}

}  // namespace
}  // namespace dg::data
