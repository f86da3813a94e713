// IDX files (the MNIST format), plain or gzip-compressed: a validating reader and an atomic writer.
// Layout: 2 zero bytes, a type code, a dimension count, big-endian u32 dims, then big-endian values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/array/xt.hpp"

namespace dg::data {

/// The element type codes of the IDX format.
enum class IdxType : std::uint8_t {
    UByte = 0x08,   ///< unsigned 8-bit
    Byte = 0x09,    ///< signed 8-bit
    Short = 0x0B,   ///< signed 16-bit, big-endian
    Int = 0x0C,     ///< signed 32-bit, big-endian
    Float = 0x0D,   ///< IEEE 754 32-bit, big-endian
    Double = 0x0E,  ///< IEEE 754 64-bit, big-endian
};

/// "ubyte", "int", ... for messages.
const char* idx_type_name(IdxType type);
/// Size of one element in bytes.
std::size_t idx_type_size(IdxType type);

/// Reads an IDX file (.gz or plain: zlib detects the compression from the contents) into an array of T with
/// the file's dims as its shape. Validates the magic, type code, dimension count, that the dims fit
/// xtensor's index type before any array is made (shape_overflow: every stride, the element and byte counts,
/// also when a dim is 0) and that the payload has exactly prod(dims) elements (truncation and trailing bytes
/// are both errors). Every failure throws IoError naming the file and what was expected.
template <class T>
Array<T> read_idx(const std::string& path);

/// Reads a 1-D IDX file of integer class labels (ubyte/byte/short/int) as indices; negative labels are refused.
std::vector<std::size_t> read_idx_labels(const std::string& path);

/// Writes `values` as an IDX file of element type `type`, gzip-compressed when `path` ends in ".gz".
/// The write is atomic (AtomicFile). Throws ValueError if a value does not fit `type` (out of range, or not
/// an integer for the integer types) or the array has no dims or more than 255, IoError on a failed write.
template <class T>
void write_idx(const std::string& path, const Array<T>& values, IdxType type);

}  // namespace dg::data
