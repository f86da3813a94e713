// CSV reader for numeric tables: optional header row, any one-character delimiter, an optional label column.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "autograd/array/xt.hpp"

namespace dg::data {

/// How read_csv splits a file into a table.
struct CsvOptions {
    char delimiter = ',';  ///< the one character between cells
    /// The first non-blank line holds column names.
    bool header = false;
    /// Column (0-based) moved out of x into y; none: every column goes into x.
    std::optional<std::size_t> label_column;
    /// Alternatively, the label column by its header name (needs header = true; wins over label_column).
    std::string label_name;
};

/// A numeric table: x is [rows, feature columns], y is [rows] (empty {0} when there is no label column).
template <class T>
struct CsvTable {
    std::vector<std::string> feature_names;  ///< header names of x's columns (empty without a header)
    std::string label_name;                  ///< header name of the label column (empty without one)
    Array<T> x;  ///< the feature columns, [rows, columns]
    Array<T> y;  ///< the label column, [rows] ({0} without one)
};

/// Reads a CSV file. Cells are trimmed of spaces and of one pair of surrounding double quotes; quoted
/// delimiters are not supported (numeric tables only). Blank lines are skipped. Throws IoError naming the
/// file, the line and the column for a non-numeric or empty cell, a ragged row, or a missing label column.
template <class T>
CsvTable<T> read_csv(const std::string& path, const CsvOptions& options = {});

/// The same on a stream; `source` names it in error messages.
template <class T>
CsvTable<T> parse_csv(std::istream& in, const CsvOptions& options = {}, const std::string& source = "<stream>");

}  // namespace dg::data
