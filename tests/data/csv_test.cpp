// CSV reader: headers, delimiters, label columns, and errors that point at the line and column.
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autograd/array/errors.hpp"
#include "nn/data/csv.hpp"
#include "test_util.hpp"

namespace dg::data {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using test::error_of;

CsvTable<double> parse(const std::string& text, const CsvOptions& options = {}) {
    std::istringstream in(text);
    return parse_csv<double>(in, options, "table.csv");
}

TEST(Csv, HeaderAndLabelByName) {
    CsvOptions o;
    o.header = true;
    o.label_name = "y";
    const auto t = parse("a, y ,\"b\"\r\n1,0,2.5\r\n\r\n-3e2, 1 ,4\r\n", o);
    EXPECT_EQ(t.feature_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(t.label_name, "y");
    EXPECT_EQ(t.x, (Array<double>{{1, 2.5}, {-300, 4}}));
    EXPECT_EQ(t.y, (Array<double>{0, 1}));
}

TEST(Csv, NoHeaderDelimiterAndLabelIndex) {
    CsvOptions o;
    o.delimiter = ';';
    o.label_column = 0;
    const auto t = parse("2;0.5;0.25\n7;1;2\n9;3;4", o);  // no final newline
    EXPECT_EQ(t.x, (Array<double>{{0.5, 0.25}, {1, 2}, {3, 4}}));
    EXPECT_EQ(t.y, (Array<double>{2, 7, 9}));
    EXPECT_TRUE(t.feature_names.empty());
}

TEST(Csv, NoLabelColumn) {
    const auto t = parse("1,2\n3,4\n");
    EXPECT_EQ(t.x, (Array<double>{{1, 2}, {3, 4}}));
    EXPECT_EQ(shape_of(t.y), (Shape{0}));
}

TEST(Csv, HeaderWithoutRowsIsAnEmptyTable) {
    // A dim of 0 passes the shape check every reader makes (shape_overflow): x keeps its feature count.
    CsvOptions o;
    o.header = true;
    o.label_name = "y";
    const auto t = parse("a,y,b,c\n\n", o);
    EXPECT_EQ(shape_of(t.x), (Shape{0, 3}));
    EXPECT_EQ(shape_of(t.y), (Shape{0}));
    EXPECT_EQ(t.feature_names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Csv, ReadsFloatFromFile) {
    test::TempDir dir;
    test::write_bytes(dir / "t.csv", "x,label\n0.5,1\n1.5,0\n");
    CsvOptions o;
    o.header = true;
    o.label_column = 1;
    const auto t = read_csv<float>(dir / "t.csv", o);
    EXPECT_EQ(shape_of(t.x), (Shape{2, 1}));
    EXPECT_EQ(t.x(0, 0), 0.5f);
    EXPECT_EQ(t.x(1, 0), 1.5f);
    EXPECT_EQ(t.y, (Array<float>{1, 0}));
}

TEST(Csv, NonNumericCellNamesLineAndColumn) {
    CsvOptions o;
    o.header = true;
    EXPECT_THAT(error_of<IoError>([&] { parse("a,b\n1,2\n3,abc\n", o); }),
                AllOf(HasSubstr("'table.csv' line 3"), HasSubstr("column 2 ('b')"), HasSubstr("'abc' is not a number")));
    EXPECT_THAT(error_of<IoError>([&] { parse("1,2x\n"); }), HasSubstr("line 1: column 2: '2x' is not a number"));
}

TEST(Csv, EmptyCell) {
    EXPECT_THAT(error_of<IoError>([&] { parse("1,2,3\n4,,6\n"); }),
                HasSubstr("line 2: column 2: empty cell, expected a number"));
}

TEST(Csv, RaggedRow) {
    EXPECT_THAT(error_of<IoError>([&] { parse("1,2,3\n\n4,5\n"); }),
                HasSubstr("line 3: ragged row: expected 3 columns (as on line 1), got 2"));
    CsvOptions o;
    o.header = true;
    EXPECT_THAT(error_of<IoError>([&] { parse("a,b\n1,2,3\n", o); }),
                HasSubstr("line 2: ragged row: expected 2 columns (as on line 1), got 3"));
}

TEST(Csv, LabelColumnErrors) {
    CsvOptions o;
    o.label_column = 5;
    EXPECT_THAT(error_of<IoError>([&] { parse("1,2\n", o); }), HasSubstr("label column 5 out of range for 2 columns"));
    CsvOptions named;
    named.header = true;
    named.label_name = "target";
    EXPECT_THAT(error_of<IoError>([&] { parse("a,b\n1,2\n", named); }), HasSubstr("no column named 'target'"));
    named.header = false;
    EXPECT_THAT(error_of<IoError>([&] { parse("1,2\n", named); }), HasSubstr("label_name needs header = true"));
}

TEST(Csv, MissingFile) {
    EXPECT_THAT(error_of<IoError>([&] { read_csv<double>("/nonexistent/dir/t.csv"); }),
                AllOf(HasSubstr("/nonexistent/dir/t.csv"), HasSubstr("cannot open")));
}

}  // namespace
}  // namespace dg::data
