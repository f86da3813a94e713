// The exception types deltagrad throws. Each message names the operation and what it expected.
#pragma once

#include <stdexcept>
#include <string>

namespace dg {

/// Base of every deltagrad error.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Shapes that do not fit an operation (broadcast, matmul, concat, reshape, a module's input).
struct ShapeError : Error {
    using Error::Error;
};

/// A misuse of the graph: backward of a non-scalar without a gradient, through a freed graph, the grad of a
/// tensor that does not require grad, a value changed in place while a pending backward still needs it.
struct GraphError : Error {
    using Error::Error;
};

/// An argument outside what the operation accepts (negative size, bad axis, index out of range, NaN rate).
struct ValueError : Error {
    using Error::Error;
};

/// A file that cannot be read or written, or whose contents are malformed.
struct IoError : Error {
    using Error::Error;
};

/// A NaN or Inf caught by anomaly mode.
struct AnomalyError : Error {
    using Error::Error;
};

}  // namespace dg
