// The one check between a file's header and an array: do the dims the file claims fit xtensor's signed index
// type? Every reader that builds a shape from a file (IDX, safetensors, CSV; checkpoints through safetensors)
// asks this before it makes any array.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dg::data {

/// Why a row-major array of `dims`, `element_size` bytes per element, cannot be made, or nothing if it can.
/// xtensor computes the strides as a running product of the dims from the last one in std::ptrdiff_t
/// (signed: an overflow is undefined behaviour), even when a dim of 0 leaves the array empty. Refused, in
/// this order, naming the dimension (counting from 0):
///   - a dim above PTRDIFF_MAX (xtensor casts each dim to std::ptrdiff_t);
///   - a stride (the product of the dims after its dimension) above PTRDIFF_MAX;
///   - an element count (the product of all dims) above PTRDIFF_MAX;
///   - a byte count (elements × element_size) above PTRDIFF_MAX.
/// The text is meant to follow the caller's "<who>: '<file>': dims [...]: " prefix.
std::optional<std::string> shape_overflow(const std::vector<std::size_t>& dims, std::size_t element_size);

}  // namespace dg::data
