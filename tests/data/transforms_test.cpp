// one_hot, scaling, standardisation and the seeded train/validation split, checked on hand-computed numbers.
#include <cmath>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autograd/array/errors.hpp"
#include "nn/data/dataset.hpp"
#include "nn/data/transforms.hpp"
#include "test_util.hpp"

namespace dg::data {
namespace {

using ::testing::HasSubstr;
using test::error_of;

TEST(OneHot, Values) {
    EXPECT_EQ(one_hot<float>(std::vector<std::size_t>{2, 0, 1}, 3),
              (Array<float>{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}));
    EXPECT_EQ(one_hot(Array<double>{1, 1}, 2), (Array<double>{{0, 1}, {0, 1}}));
}

TEST(OneHot, Errors) {
    EXPECT_THAT(error_of<ValueError>([] { one_hot<float>(std::vector<std::size_t>{0, 3}, 3); }),
                HasSubstr("label 1 is 3, expected < num_classes = 3"));
    EXPECT_THAT(error_of<ValueError>([] { one_hot(Array<float>{0.5f}, 3); }),
                HasSubstr("expected a non-negative integer"));
    EXPECT_THAT(error_of<ValueError>([] { one_hot(Array<float>{-1.0f}, 3); }), HasSubstr("label 0 is -1"));
    EXPECT_THAT(error_of<ValueError>([] { one_hot(Array<double>{0, 7}, 5); }),
                HasSubstr("label 1 is 7.000000, expected < num_classes = 5"));
    EXPECT_THROW(one_hot(Array<float>(xt::zeros<float>({1, 1})), 3), ShapeError);
    EXPECT_THROW(one_hot<float>(std::vector<std::size_t>{}, 0), ValueError);
}

TEST(Scale, GivenRange) {
    Array<float> x = {0, 51, 255};
    scale_to_unit(x, 0.0f, 255.0f);
    EXPECT_EQ(x(0), 0.0f);
    EXPECT_FLOAT_EQ(x(1), 0.2f);
    EXPECT_EQ(x(2), 1.0f);
    EXPECT_THROW(scale_to_unit(x, 1.0f, 1.0f), ValueError);
}

TEST(Scale, ComputedRange) {
    Array<double> x = {{-2, 0}, {2, 6}};
    scale_to_unit(x);
    EXPECT_EQ(x, (Array<double>{{0, 0.25}, {0.5, 1}}));
    Array<double> c = {4, 4};
    scale_to_unit(c);
    EXPECT_EQ(c, (Array<double>{0, 0}));
}

TEST(Standardize, ComputedPerFeature) {
    // Column 0: 1, 2, 3 → mean 2, population std sqrt(2/3). Column 1 is constant → std replaced by 1.
    Array<double> x = {{1, 5}, {2, 5}, {3, 5}};
    const auto s = compute_standardization(x);
    EXPECT_EQ(s.mean, (Array<double>{2, 5}));
    EXPECT_DOUBLE_EQ(s.stddev(0), std::sqrt(2.0 / 3.0));
    EXPECT_EQ(s.stddev(1), 1.0);
    standardize(x, s);
    EXPECT_DOUBLE_EQ(x(0, 0), -1.0 / std::sqrt(2.0 / 3.0));
    EXPECT_DOUBLE_EQ(x(1, 0), 0.0);
    EXPECT_DOUBLE_EQ(x(2, 0), 1.0 / std::sqrt(2.0 / 3.0));
    EXPECT_EQ(x(2, 1), 0.0);
}

TEST(Standardize, GivenScalarStatistics) {
    // The usual MNIST constants, applied to every feature.
    Array<float> x = {{0.1307f, 0.4388f}};
    standardize(x, Standardization<float>{Array<float>(0.1307f), Array<float>(0.3081f)});
    EXPECT_FLOAT_EQ(x(0, 0), 0.0f);
    EXPECT_FLOAT_EQ(x(0, 1), 1.0f);
}

TEST(Standardize, Errors) {
    Array<float> x = {{1, 2, 3}};
    EXPECT_THAT(error_of<ShapeError>([&] {
                    standardize(x, Standardization<float>{Array<float>{0, 0}, Array<float>{1, 1}});
                }),
                HasSubstr("one sample's shape [3]"));
    EXPECT_THAT(error_of<ValueError>([&] {
                    standardize(x, Standardization<float>{Array<float>(0.0f), Array<float>{1, 0, 1}});
                }),
                HasSubstr("stddev of feature 1 is 0"));
}

Dataset<double> numbered_features(std::size_t n) {
    Dataset<double> d;
    d.x = Array<double>::from_shape({n, std::size_t(2)});
    d.y = Array<double>::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        d.x(i, 0) = static_cast<double>(i);
        d.x(i, 1) = 100.0 + static_cast<double>(i);
        d.y(i) = static_cast<double>(i % 3);
    }
    d.num_classes = 3;
    return d;
}

std::vector<std::size_t> ids(const Dataset<double>& d) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < d.size(); ++i) {
        out.push_back(static_cast<std::size_t>(d.x(i, 0)));
        EXPECT_EQ(d.x(i, 1), 100.0 + d.x(i, 0));  // rows stay whole
        EXPECT_EQ(d.y(i), static_cast<double>(out.back() % 3));
    }
    return out;
}

TEST(Split, PartitionsTheSamplesReproducibly) {
    const auto data = numbered_features(10);
    Generator g1(42), g2(42), g3(7);
    const auto a = train_validation_split(data, 0.3, g1);
    const auto b = train_validation_split(data, 0.3, g2);
    const auto c = train_validation_split(data, 0.3, g3);
    ASSERT_EQ(a.train.size(), 7u);
    ASSERT_EQ(a.validation.size(), 3u);
    const auto train = ids(a.train), val = ids(a.validation);
    std::set<std::size_t> all(train.begin(), train.end());
    all.insert(val.begin(), val.end());
    EXPECT_EQ(all.size(), 10u);  // disjoint and complete
    EXPECT_EQ(a.validation.num_classes, 3u);
    EXPECT_EQ(ids(b.train), train);
    EXPECT_EQ(ids(b.validation), val);
    EXPECT_NE(ids(c.train), train);  // another seed, another split (deterministic for seeds 42 and 7)
    EXPECT_THROW(train_validation_split(data, 1.5, g1), ValueError);
}

TEST(DatasetTest, ValidateAndSubset) {
    auto d = numbered_features(4);
    EXPECT_NO_THROW(d.validate());
    const auto s = subset(d, {3, 1});
    EXPECT_EQ(s.x, (Array<double>{{3, 103}, {1, 101}}));
    EXPECT_EQ(s.y, (Array<double>{0, 1}));
    EXPECT_THROW(subset(d, {4}), ValueError);
    d.y(2) = 3.0;
    EXPECT_THAT(error_of<ValueError>([&] { d.validate(); }), HasSubstr("label 2 = 3.000000 is not a class index in [0, 3)"));
    d.y = Array<double>{0, 1};
    EXPECT_THROW(d.validate(), ShapeError);
}

}  // namespace
}  // namespace dg::data
