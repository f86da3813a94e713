// IDX reading (through zlib, which reads plain and gzip files alike), validation and atomic writing.
#include "nn/data/idx.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include <zlib.h>

#include "autograd/array/errors.hpp"
#include "nn/data/atomic_file.hpp"
#include "nn/data/shape_check.hpp"

namespace dg::data {
namespace {

bool known_type(std::uint8_t code) {
    return code == 0x08 || code == 0x09 || code == 0x0B || code == 0x0C || code == 0x0D || code == 0x0E;
}

std::string hex_byte(unsigned v) {
    static const char* digits = "0123456789ABCDEF";
    return std::string("0x") + digits[(v >> 4) & 15] + digits[v & 15];
}

constexpr const char* expected_magic =
    "expected 2 zero bytes, a type code (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, "
    "0x0E double) and a dimension count";

struct GzCloser {
    void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

/// The undecoded contents of an IDX file.
struct RawIdx {
    IdxType type;
    Shape dims;
    std::vector<unsigned char> payload;  // big-endian values, exactly prod(dims) * size bytes
};

class Reader {
public:
    Reader(const std::string& path, const char* who) : path_(path), who_(who) {
        errno = 0;
        file_.reset(gzopen(path.c_str(), "rb"));
        if (!file_) {
            const int err = errno;
            fail(std::string("cannot open: ") + (err ? std::strerror(err) : "out of memory"));
        }
        gzbuffer(file_.get(), 1 << 17);
    }

    /// Reads up to `size` bytes; returns how many were read (fewer only at end of file).
    std::size_t read(unsigned char* out, std::size_t size) {
        std::size_t total = 0;
        while (total < size) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(size - total, 1u << 24));
            const int n = gzread(file_.get(), out + total, chunk);
            if (n < 0) {
                int code = 0;
                const char* msg = gzerror(file_.get(), &code);
                fail(std::string("read error (corrupt gzip stream?): ") + msg);
            }
            if (n == 0) {
                // zlib reports a gzip stream cut short as an error only after the last read.
                int code = 0;
                const char* msg = gzerror(file_.get(), &code);
                if (code != Z_OK && code != Z_STREAM_END) fail(std::string("read error: ") + msg);
                break;
            }
            total += static_cast<std::size_t>(n);
        }
        return total;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw IoError(std::string(who_) + ": '" + path_ + "': " + what);
    }

private:
    std::string path_;
    const char* who_;
    GzHandle file_;
};

RawIdx read_raw(const std::string& path, const char* who) {
    Reader in(path, who);
    unsigned char magic[4];
    const std::size_t got_magic = in.read(magic, 4);
    if (got_magic < 4)
        in.fail("file is " + std::to_string(got_magic) + " bytes, too short for the 4-byte IDX magic; " +
                expected_magic);
    if (magic[0] != 0 || magic[1] != 0)
        in.fail("bad magic " + hex_byte(magic[0]) + " " + hex_byte(magic[1]) + " " + hex_byte(magic[2]) + " " +
                hex_byte(magic[3]) + ": " + expected_magic);
    if (!known_type(magic[2])) in.fail("unknown type code " + hex_byte(magic[2]) + ": " + expected_magic);
    const unsigned ndim = magic[3];
    if (ndim == 0) in.fail("dimension count is 0: expected at least 1 dimension");

    RawIdx raw;
    raw.type = static_cast<IdxType>(magic[2]);
    std::vector<unsigned char> dim_bytes(4 * ndim);
    const std::size_t got_dims = in.read(dim_bytes.data(), dim_bytes.size());
    if (got_dims < dim_bytes.size())
        in.fail("truncated header: expected " + std::to_string(dim_bytes.size()) + " bytes for " +
                std::to_string(ndim) + " big-endian u32 dims, got " + std::to_string(got_dims));

    for (unsigned d = 0; d < ndim; ++d) {
        const unsigned char* b = &dim_bytes[4 * d];
        raw.dims.push_back((std::size_t(b[0]) << 24) | (std::size_t(b[1]) << 16) | (std::size_t(b[2]) << 8) | b[3]);
    }
    // Before anything is sized from the dims: read_idx makes an xtensor array of them, whose strides, element
    // count and byte count must fit its signed index type, even when a dim of 0 leaves it empty.
    const std::size_t elem = idx_type_size(raw.type);
    if (const auto why = shape_overflow(raw.dims, elem))
        in.fail("dims " + shape_str(raw.dims) + " of " + idx_type_name(raw.type) + ": " + *why);
    std::size_t expected = elem;  // cannot overflow: shape_overflow bounds the byte count
    for (const std::size_t n : raw.dims) expected *= n;

    // Grow the buffer as data arrives rather than trusting the header with one huge allocation.
    raw.payload.resize(std::min<std::size_t>(expected, std::size_t(1) << 20));
    std::size_t got = 0;
    while (got < expected) {
        if (got == raw.payload.size()) raw.payload.resize(std::min(expected, 2 * raw.payload.size()));
        const std::size_t n = in.read(raw.payload.data() + got, raw.payload.size() - got);
        got += n;
        if (n == 0) break;
    }
    if (got < expected)
        in.fail("truncated data: dims " + shape_str(raw.dims) + " of " + idx_type_name(raw.type) + " need " +
                std::to_string(expected) + " bytes, got " + std::to_string(got));

    unsigned char extra[4096];
    std::size_t trailing = 0;
    for (std::size_t n; (n = in.read(extra, sizeof extra)) > 0;) trailing += n;
    if (trailing > 0)
        in.fail(std::to_string(trailing) + " trailing bytes after the " + std::to_string(expected) +
                " data bytes that dims " + shape_str(raw.dims) + " of " + idx_type_name(raw.type) + " need");
    return raw;
}

template <class U>
U load_be(const unsigned char* p) {
    unsigned char b[sizeof(U)];
    for (std::size_t i = 0; i < sizeof(U); ++i) b[i] = p[sizeof(U) - 1 - i];
    U v;
    std::memcpy(&v, b, sizeof(U));
    return v;
}

template <class U>
void store_be(U v, std::string& out) {
    unsigned char b[sizeof(U)];
    std::memcpy(b, &v, sizeof(U));
    for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<char>(b[sizeof(U) - 1 - i]));
}

/// Whether v converts to T exactly: always for a floating-point T; for an integer T (read_idx<uint8_t>), only an
/// integral value within T's range (a float → integer cast out of range is undefined behaviour, and a wrapped
/// integer would be garbage).
template <class T, class U>
bool fits(U v) {
    if constexpr (std::is_floating_point_v<T>) {
        return true;
    } else if constexpr (std::is_floating_point_v<U>) {
        return std::isfinite(v) && v == std::trunc(v) && v >= static_cast<U>(std::numeric_limits<T>::min()) &&
               v <= static_cast<U>(std::numeric_limits<T>::max());
    } else {
        const auto w = static_cast<std::int64_t>(v);
        return w >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
               w <= static_cast<std::int64_t>(std::numeric_limits<T>::max());
    }
}

/// Decodes the big-endian values into out[0..count); returns count, or the index of the first value that does
/// not fit T (see fits), leaving the rest undecoded.
template <class T>
std::size_t decode(const RawIdx& raw, T* out, std::size_t count) {
    const unsigned char* p = raw.payload.data();
    const auto put = [&](auto load, std::size_t size) {
        for (std::size_t i = 0; i < count; ++i) {
            const auto v = load(p + size * i);
            if (!fits<T>(v)) return i;
            out[i] = static_cast<T>(v);
        }
        return count;
    };
    switch (raw.type) {
        case IdxType::UByte: return put([](const unsigned char* q) { return *q; }, 1);
        case IdxType::Byte: return put([](const unsigned char* q) { return static_cast<std::int8_t>(*q); }, 1);
        case IdxType::Short: return put(load_be<std::int16_t>, 2);
        case IdxType::Int: return put(load_be<std::int32_t>, 4);
        case IdxType::Float: return put(load_be<float>, 4);
        case IdxType::Double: return put(load_be<double>, 8);
    }
    return count;
}

std::size_t product(const Shape& s) {
    std::size_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

std::string gzip(const std::string& bytes, const std::string& path) {
    z_stream z{};
    // windowBits 15 + 16: a gzip wrapper rather than a raw zlib stream.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw IoError("write_idx: '" + path + "': cannot initialise zlib");
    std::string out(deflateBound(&z, bytes.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw IoError("write_idx: '" + path + "': gzip compression failed");
    return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const char* idx_type_name(IdxType type) {
    switch (type) {
        case IdxType::UByte: return "ubyte";
        case IdxType::Byte: return "byte";
        case IdxType::Short: return "short";
        case IdxType::Int: return "int";
        case IdxType::Float: return "float";
        case IdxType::Double: return "double";
    }
    return "unknown";
}

std::size_t idx_type_size(IdxType type) {
    switch (type) {
        case IdxType::UByte:
        case IdxType::Byte: return 1;
        case IdxType::Short: return 2;
        case IdxType::Int:
        case IdxType::Float: return 4;
        case IdxType::Double: return 8;
    }
    return 0;
}

template <class T>
Array<T> read_idx(const std::string& path) {
    const RawIdx raw = read_raw(path, "read_idx");
    Array<T> out = Array<T>::from_shape(raw.dims);
    if (const std::size_t bad = decode(raw, out.data(), out.size()); bad != out.size())
        throw IoError("read_idx: '" + path + "': element " + std::to_string(bad) + " of the " +
                      idx_type_name(raw.type) + " data does not fit the requested integer type (0..255 for " +
                      "uint8): expected whole numbers in its range");
    return out;
}

std::vector<std::size_t> read_idx_labels(const std::string& path) {
    const RawIdx raw = read_raw(path, "read_idx_labels");
    const auto fail = [&](const std::string& what) {
        throw IoError("read_idx_labels: '" + path + "': " + what);
    };
    if (raw.dims.size() != 1) fail("labels must be 1-D, got dims " + shape_str(raw.dims));
    if (raw.type == IdxType::Float || raw.type == IdxType::Double)
        fail(std::string("labels must have an integer type (ubyte, byte, short, int), got ") +
             idx_type_name(raw.type));
    std::vector<long long> values(raw.dims[0]);
    decode(raw, values.data(), values.size());
    std::vector<std::size_t> labels(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] < 0) fail("label " + std::to_string(i) + " is negative (" + std::to_string(values[i]) + ")");
        labels[i] = static_cast<std::size_t>(values[i]);
    }
    return labels;
}

template <class T>
void write_idx(const std::string& path, const Array<T>& values, IdxType type) {
    const Shape dims = shape_of(values);
    if (dims.empty() || dims.size() > 255)
        throw ValueError("write_idx: '" + path + "': IDX needs 1 to 255 dims, got " + shape_str(dims));
    for (auto d : dims)
        if (d > 0xFFFFFFFFull) throw ValueError("write_idx: '" + path + "': dim " + std::to_string(d) + " exceeds u32");
    const std::size_t count = product(dims);

    std::string bytes;
    bytes.reserve(4 + 4 * dims.size() + count * idx_type_size(type));
    bytes.push_back(0);
    bytes.push_back(0);
    bytes.push_back(static_cast<char>(type));
    bytes.push_back(static_cast<char>(dims.size()));
    for (auto d : dims) store_be(static_cast<std::uint32_t>(d), bytes);

    const T* v = values.data();
    const auto check_int = [&](std::size_t i, double lo, double hi) {
        const double x = static_cast<double>(v[i]);
        if (!(x >= lo && x <= hi) || std::trunc(x) != x)
            throw ValueError("write_idx: '" + path + "': element " + std::to_string(i) + " = " + std::to_string(x) +
                             " is not a " + idx_type_name(type) + " (an integer in [" + std::to_string((long long)lo) +
                             ", " + std::to_string((long long)hi) + "])");
        return static_cast<long long>(x);
    };
    for (std::size_t i = 0; i < count; ++i) {
        switch (type) {
            case IdxType::UByte: bytes.push_back(static_cast<char>(check_int(i, 0, 255))); break;
            case IdxType::Byte: bytes.push_back(static_cast<char>(static_cast<std::int8_t>(check_int(i, -128, 127)))); break;
            case IdxType::Short: store_be(static_cast<std::int16_t>(check_int(i, -32768, 32767)), bytes); break;
            case IdxType::Int: store_be(static_cast<std::int32_t>(check_int(i, -2147483648.0, 2147483647.0)), bytes); break;
            case IdxType::Float: store_be(static_cast<float>(v[i]), bytes); break;
            case IdxType::Double: store_be(static_cast<double>(v[i]), bytes); break;
        }
    }
    write_file_atomic(path, ends_with(path, ".gz") ? gzip(bytes, path) : bytes, "write_idx");
}

template Array<float> read_idx<float>(const std::string&);
template Array<double> read_idx<double>(const std::string&);
template Array<std::uint8_t> read_idx<std::uint8_t>(const std::string&);
template void write_idx<float>(const std::string&, const Array<float>&, IdxType);
template void write_idx<double>(const std::string&, const Array<double>&, IdxType);
template void write_idx<std::uint8_t>(const std::string&, const Array<std::uint8_t>&, IdxType);

}  // namespace dg::data
