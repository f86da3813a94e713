// safetensors files (the Hugging Face format PyTorch reads): save and load named arrays plus string metadata,
// with atomic writes and a loader that validates every header field before touching the data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "autograd/array/xt.hpp"

namespace dg {

/// The element types deltagrad reads and writes, named as in the safetensors header.
enum class DType { F32, F64, I64, U8 };

/// "F32", "F64", "I64", "U8".
const char* dtype_name(DType dtype);
/// Bytes per element.
std::size_t dtype_size(DType dtype);

/// An array of any supported element type.
using AnyArray = std::variant<Array<float>, Array<double>, Array<std::int64_t>, Array<std::uint8_t>>;

DType dtype_of(const AnyArray& array);
Shape array_shape(const AnyArray& array);

/// One named tensor of a file.
struct NamedArray {
    std::string name;  ///< the tensor's name in the file ("fc1.weight")
    AnyArray value;    ///< its values, of any supported dtype
};

/// Free-form string pairs stored under the header's "__metadata__" key.
using Metadata = std::map<std::string, std::string>;

/// A loaded safetensors file.
struct SafetensorsFile {
    std::string path;                 ///< where it was read from (error messages name it)
    std::vector<NamedArray> tensors;  ///< in the order of the header
    Metadata metadata;                ///< the header's __metadata__, without the checksums

    /// The tensor called `name`, or nullptr.
    const AnyArray* find(const std::string& name) const;
    /// The tensor called `name` as Array<T>; throws IoError if it is missing or has another dtype.
    template <class T>
    const Array<T>& get(const std::string& name) const;
};

/// The metadata key of a tensor's checksum: "crc32:<tensor name>", whose value is the zlib crc32 of the tensor's
/// bytes as 8 lowercase hex digits. Keys with this prefix are reserved.
inline constexpr const char* checksum_prefix = "crc32:";

/// Writes `tensors` (in this order) and `metadata` to `path`: an 8-byte little-endian header length, the
/// JSON header padded with spaces to a multiple of 8, then the raw little-endian data. With `checksums` (the
/// default) the metadata also holds a crc32 per tensor ("crc32:<name>"), which load_safetensors verifies; readers
/// that do not know it (PyTorch's) see string metadata and ignore it. Atomic: a temporary file in the same folder is
/// fsynced and renamed over `path`, so a failure leaves an existing file intact. Throws ValueError for an empty,
/// duplicate or reserved ("__metadata__") name or a reserved metadata key, IoError if writing fails.
void save_safetensors(const std::string& path, const std::vector<NamedArray>& tensors, const Metadata& metadata = {},
                      bool checksums = true);

/// Reads and validates a safetensors file: header length against the file size, JSON syntax, known dtypes,
/// shapes that fit xtensor's index type (shape_overflow: every stride, the element and byte counts, also when
/// a dim is 0), shape × dtype size equal to the offset range, offsets in bounds, contiguous and non-overlapping,
/// no duplicate names, string metadata, and each tensor's bytes against its crc32 when the file has one (files
/// deltagrad writes; files of other writers, without, load unchecked). Every failure is an IoError naming the
/// file and the tensor. The checksums are not returned in `metadata`.
SafetensorsFile load_safetensors(const std::string& path);

/// What a file is expected to hold.
struct TensorSpec {
    std::string name;  ///< the tensor's name
    DType dtype;       ///< its element type
    Shape shape;       ///< its extents
};

/// Compares a loaded file with `expected` and throws one IoError listing every mismatch: missing tensors,
/// unexpected tensors, wrong shapes and wrong dtypes. Returns normally when they match exactly.
void check_tensors(const SafetensorsFile& file, const std::vector<TensorSpec>& expected);

}  // namespace dg
