// CSV parsing: split, trim, strtod with full-cell checks, and line/column error reporting.
#include "nn/data/csv.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <istream>

#include "autograd/array/errors.hpp"
#include "nn/data/shape_check.hpp"

namespace dg::data {
namespace {

std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
    std::string out = s.substr(b, e - b);
    if (out.size() >= 2 && out.front() == '"' && out.back() == '"') out = out.substr(1, out.size() - 2);
    return out;
}

std::vector<std::string> split(const std::string& line, char delim) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    for (;;) {
        const std::size_t pos = line.find(delim, start);
        cells.push_back(trim(line.substr(start, pos == std::string::npos ? std::string::npos : pos - start)));
        if (pos == std::string::npos) break;
        start = pos + 1;
    }
    return cells;
}

bool blank(const std::string& line) {
    return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

template <class T>
CsvTable<T> parse_csv(std::istream& in, const CsvOptions& options, const std::string& source) {
    const auto fail = [&](std::size_t line, const std::string& what) {
        throw IoError("read_csv: '" + source + "'" + (line ? " line " + std::to_string(line) : std::string()) + ": " +
                      what);
    };
    if (!options.label_name.empty() && !options.header) fail(0, "label_name needs header = true");
    CsvTable<T> table;
    std::vector<std::string> names;
    std::size_t columns = 0;
    std::size_t columns_line = 0;  // the line that fixed the column count, for ragged-row messages
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::size_t label = options.label_column.value_or(none);  // a sentinel: std::optional trips -Wmaybe-uninitialized
    std::vector<T> x_values, y_values;
    std::size_t rows = 0;

    std::string line;
    std::size_t line_no = 0;
    bool header_pending = options.header;
    while (std::getline(in, line)) {
        ++line_no;
        if (blank(line)) continue;
        std::vector<std::string> cells = split(line, options.delimiter);
        if (header_pending) {
            header_pending = false;
            names = cells;
            columns = cells.size();
            columns_line = line_no;
            if (!options.label_name.empty()) {
                label = none;
                for (std::size_t c = 0; c < names.size(); ++c)
                    if (names[c] == options.label_name) label = c;
                if (label == none) fail(line_no, "no column named '" + options.label_name + "' in the header");
            }
            continue;
        }
        if (columns == 0) {
            columns = cells.size();
            columns_line = line_no;
        }
        if (cells.size() != columns)
            fail(line_no, "ragged row: expected " + std::to_string(columns) + " columns (as on line " +
                              std::to_string(columns_line) + "), got " + std::to_string(cells.size()));
        if (label != none && label >= columns)
            fail(line_no, "label column " + std::to_string(label) + " out of range for " + std::to_string(columns) +
                              " columns");
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string& cell = cells[c];
            const auto bad = [&](const std::string& why) {
                fail(line_no, "column " + std::to_string(c + 1) +
                                  (c < names.size() && !names[c].empty() ? " ('" + names[c] + "')" : std::string()) +
                                  ": " + why);
            };
            if (cell.empty()) bad("empty cell, expected a number");
            char* end = nullptr;
            errno = 0;
            const double v = std::strtod(cell.c_str(), &end);
            if (end != cell.c_str() + cell.size()) bad("'" + cell + "' is not a number");
            if (errno == ERANGE && std::abs(v) > 1.0) bad("'" + cell + "' is out of range");
            (c == label ? y_values : x_values).push_back(static_cast<T>(v));
        }
        ++rows;
    }
    if (in.bad()) fail(0, "read error");
    if (options.header && header_pending) fail(0, "empty file, expected a header row");

    const std::size_t features = columns == 0 ? 0 : columns - (label != none ? 1 : 0);
    // The rule of every reader: no array from dims the file set without shape_overflow first. Here the
    // rows × features values are already in memory, so it cannot fire today; it stays should the reader ever
    // size its arrays before parsing (a row count from a header line, say).
    const Shape dims{rows, features};
    if (const auto why = shape_overflow(dims, sizeof(T))) fail(0, "dims " + shape_str(dims) + ": " + *why);
    table.x = Array<T>::from_shape(dims);
    std::copy(x_values.begin(), x_values.end(), table.x.data());
    table.y = Array<T>::from_shape({label != none ? rows : 0});
    std::copy(y_values.begin(), y_values.end(), table.y.data());
    for (std::size_t c = 0; c < names.size(); ++c) {
        if (c == label) table.label_name = names[c];
        else table.feature_names.push_back(names[c]);
    }
    return table;
}

template <class T>
CsvTable<T> read_csv(const std::string& path, const CsvOptions& options) {
    std::ifstream in(path);
    if (!in) {
        const int err = errno;
        throw IoError("read_csv: '" + path + "': cannot open: " + std::strerror(err));
    }
    return parse_csv<T>(in, options, path);
}

template CsvTable<float> read_csv<float>(const std::string&, const CsvOptions&);
template CsvTable<double> read_csv<double>(const std::string&, const CsvOptions&);
template CsvTable<float> parse_csv<float>(std::istream&, const CsvOptions&, const std::string&);
template CsvTable<double> parse_csv<double>(std::istream&, const CsvOptions&, const std::string&);

}  // namespace dg::data
