// IDX reader/writer: round trips of every type code, plain and gzip, and one clear IoError per malformation.
#include <cmath>
#include <cstdint>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "autograd/array/errors.hpp"
#include "nn/data/idx.hpp"
#include "test_util.hpp"

namespace dg::data {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using test::error_of;
using test::read_bytes;
using test::TempDir;
using test::write_bytes;

/// IDX header bytes: magic 0 0 type ndim, then big-endian u32 dims.
std::string header(unsigned type, std::initializer_list<std::uint32_t> dims) {
    std::string h{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
    for (auto d : dims)
        for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<char>((d >> s) & 0xFF));
    return h;
}

void write_gz(const std::string& path, const std::string& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(f);
}

TEST(Idx, RoundTripPlainUbyteAndExactBytes) {
    TempDir dir;
    Array<float> a = Array<float>::from_shape({3, 4, 5});
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<float>((i * 37) % 256);
    write_idx(dir / "a.idx", a, IdxType::UByte);

    const std::string bytes = read_bytes(dir / "a.idx");
    ASSERT_EQ(bytes.size(), 4u + 3 * 4 + 60);
    EXPECT_EQ(bytes.substr(0, 16), header(0x08, {3, 4, 5}));
    EXPECT_EQ(static_cast<unsigned char>(bytes[16 + 7]), (7 * 37) % 256);

    const Array<float> b = read_idx<float>(dir / "a.idx");
    EXPECT_EQ(shape_of(b), (Shape{3, 4, 5}));
    EXPECT_EQ(a, b);
}

TEST(Idx, RoundTripGzipEveryType) {
    TempDir dir;
    struct Case {
        IdxType type;
        Array<double> values;
    };
    const Case cases[] = {
        {IdxType::UByte, {0, 1, 128, 255}},
        {IdxType::Byte, {-128, -1, 0, 1, 127}},
        {IdxType::Short, {-32768, -2, 0, 300, 32767}},
        {IdxType::Int, {-2147483648.0, -70000, 0, 70000, 2147483647.0}},
        {IdxType::Float, {-1.5, 0.0, 3.25, 1099511627776.0}},  // values exact in float
        {IdxType::Double, {-1.0 / 3.0, 0.0, M_PI, 1e-300}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(idx_type_name(c.type));
        const std::string path = dir / (std::string(idx_type_name(c.type)) + ".idx.gz");
        write_idx(path, c.values, c.type);
        const std::string bytes = read_bytes(path);
        ASSERT_GE(bytes.size(), 2u);
        EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1F);  // gzip magic: the file really is compressed
        EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8B);
        EXPECT_EQ(read_idx<double>(path), c.values);
    }
}

TEST(Idx, ShortIsBigEndian) {
    TempDir dir;
    write_idx(dir / "s.idx", Array<double>{258.0}, IdxType::Short);
    const std::string bytes = read_bytes(dir / "s.idx");
    ASSERT_EQ(bytes.size(), 10u);
    EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 0x01);
    EXPECT_EQ(static_cast<unsigned char>(bytes[9]), 0x02);
}

TEST(Idx, LabelsAsIndices) {
    TempDir dir;
    write_idx(dir / "l.idx.gz", Array<float>{3, 0, 9, 255}, IdxType::UByte);
    EXPECT_EQ(read_idx_labels(dir / "l.idx.gz"), (std::vector<std::size_t>{3, 0, 9, 255}));
}

TEST(Idx, LabelsMustBeOneDimensionalNonNegativeIntegers) {
    TempDir dir;
    write_idx(dir / "2d.idx", Array<float>{{1, 2}, {3, 4}}, IdxType::UByte);
    EXPECT_THAT(error_of<IoError>([&] { read_idx_labels(dir / "2d.idx"); }),
                AllOf(HasSubstr("2d.idx"), HasSubstr("labels must be 1-D, got dims [2, 2]")));
    write_idx(dir / "neg.idx", Array<float>{1, -3}, IdxType::Byte);
    EXPECT_THAT(error_of<IoError>([&] { read_idx_labels(dir / "neg.idx"); }),
                HasSubstr("label 1 is negative (-3)"));
    write_idx(dir / "f.idx", Array<float>{1.5f}, IdxType::Float);
    EXPECT_THAT(error_of<IoError>([&] { read_idx_labels(dir / "f.idx"); }), HasSubstr("got float"));
}

TEST(Idx, TruncatedPlainFile) {
    TempDir dir;
    write_bytes(dir / "t.idx", header(0x08, {3, 4, 5}) + std::string(55, '\x07'));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "t.idx"); }),
                AllOf(HasSubstr("read_idx"), HasSubstr("t.idx"), HasSubstr("truncated data"),
                      HasSubstr("dims [3, 4, 5] of ubyte need 60 bytes, got 55")));
}

TEST(Idx, TruncatedGzipPayload) {
    TempDir dir;
    write_gz(dir / "t.idx.gz", header(0x0C, {2, 3}) + std::string(20, '\0'));  // 6 ints need 24 bytes
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "t.idx.gz"); }),
                HasSubstr("dims [2, 3] of int need 24 bytes, got 20"));
}

TEST(Idx, TruncatedGzipStream) {
    TempDir dir;
    write_idx(dir / "ok.idx.gz", Array<float>(xt::arange<float>(0, 200)), IdxType::UByte);
    const std::string gz = read_bytes(dir / "ok.idx.gz");
    write_bytes(dir / "cut.idx.gz", gz.substr(0, gz.size() / 2));  // cut inside the deflate stream
    const std::string msg = error_of<IoError>([&] { read_idx<float>(dir / "cut.idx.gz"); });
    EXPECT_THAT(msg, HasSubstr("cut.idx.gz"));
    EXPECT_THAT(msg, ::testing::AnyOf(HasSubstr("need 200 bytes, got"), HasSubstr("read error")));
}

TEST(Idx, TrailingBytes) {
    TempDir dir;
    write_bytes(dir / "x.idx", header(0x08, {2, 2}) + std::string(4, '\1') + "abc");
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "x.idx"); }),
                AllOf(HasSubstr("x.idx"), HasSubstr("3 trailing bytes after the 4 data bytes"),
                      HasSubstr("dims [2, 2] of ubyte")));
    write_gz(dir / "x.idx.gz", header(0x08, {2, 2}) + std::string(5, '\1'));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "x.idx.gz"); }),
                HasSubstr("1 trailing bytes after the 4 data bytes"));
}

TEST(Idx, WrongMagic) {
    TempDir dir;
    write_bytes(dir / "m.idx", std::string("\x01\x02\x08\x01", 4) + std::string(4, '\0'));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "m.idx"); }),
                AllOf(HasSubstr("m.idx"), HasSubstr("bad magic 0x01 0x02 0x08 0x01"), HasSubstr("expected 2 zero bytes")));
}

TEST(Idx, UnknownTypeCode) {
    TempDir dir;
    write_bytes(dir / "u.idx", header(0x0A, {1}) + "x");
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "u.idx"); }),
                AllOf(HasSubstr("unknown type code 0x0A"), HasSubstr("0x08 ubyte")));
}

TEST(Idx, TooShortForMagic) {
    TempDir dir;
    write_bytes(dir / "s.idx", std::string("\0\0", 2));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "s.idx"); }),
                HasSubstr("file is 2 bytes, too short for the 4-byte IDX magic"));
}

TEST(Idx, WrongDims) {
    TempDir dir;
    write_bytes(dir / "zero.idx", header(0x08, {}));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "zero.idx"); }),
                HasSubstr("dimension count is 0"));
    // Claims 3 dims but holds 5 header bytes after the magic.
    write_bytes(dir / "hdr.idx", std::string("\0\0\x08\x03", 4) + std::string(5, '\0'));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "hdr.idx"); }),
                HasSubstr("truncated header: expected 12 bytes for 3 big-endian u32 dims, got 5"));
    // Dims say [2, 3] but the payload holds [2, 2]: reported as a short payload.
    write_bytes(dir / "dims.idx", header(0x08, {2, 3}) + std::string(4, '\0'));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "dims.idx"); }),
                HasSubstr("dims [2, 3] of ubyte need 6 bytes, got 4"));
}

TEST(Idx, DimsProductOverflow) {
    // (2^32-1)^3 elements: already the stride of dimension 0, (2^32-1)^2, overflows the signed index type.
    TempDir dir;
    write_bytes(dir / "o.idx", header(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}) + "abc");
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "o.idx"); }),
                AllOf(HasSubstr("read_idx: '" + dir / "o.idx" + "': dims [4294967295, 4294967295, 4294967295] of "
                                "double: the stride of dimension 0 (the product of dimensions 1 to 2) overflows "
                                "xtensor's index type std::ptrdiff_t (max 9223372036854775807)"),
                      Not(HasSubstr("is 0"))));
    // (2^32-1)^2 elements: every stride fits, the element count (fits size_t, not std::ptrdiff_t) does not.
    write_bytes(dir / "c.idx", header(0x08, {0xFFFFFFFF, 0xFFFFFFFF}) + "abc");
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "c.idx"); }),
                HasSubstr("dims [4294967295, 4294967295] of ubyte: the element count (the product of all 2 dims) "
                          "overflows xtensor's index type"));
    // (2^32-1)(2^31-1) elements fit, but not as doubles: 8 bytes each overflow the byte count.
    write_bytes(dir / "b.idx", header(0x0E, {0xFFFFFFFF, 0x7FFFFFFF}) + "abc");
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "b.idx"); }),
                HasSubstr("dims [4294967295, 2147483647] of double: the 9223372030412324865 elements of 8 bytes "
                          "each overflow xtensor's index type std::ptrdiff_t (max 9223372036854775807) as a byte "
                          "count"));
}

TEST(Idx, ZeroDimDoesNotExcuseOverflowingStrides) {
    // fuzz_idx's find (tests/fuzz/regressions/idx/fuzz_int_4x0x...): 0 elements, so the size checks passed,
    // but xtensor computes the strides anyway and 2499875184 × 4278259195 overflowed (undefined behaviour).
    TempDir dir;
    const std::string fuzz_find = header(0x0C, {4, 0, 16777080, 2499875184u, 4278259195u});
    ASSERT_EQ(fuzz_find.size(), 24u);
    write_bytes(dir / "z.idx", fuzz_find);
    const std::string expected =
        "': dims [4, 0, 16777080, 2499875184, 4278259195] of int: the stride of dimension 2 (the product of "
        "dimensions 3 to 4) overflows xtensor's index type std::ptrdiff_t (max 9223372036854775807); dimension 1 "
        "is 0, so the array would hold no elements, but its strides are computed all the same";
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "z.idx"); }),
                HasSubstr("read_idx: '" + dir / "z.idx" + expected));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<std::uint8_t>(dir / "z.idx"); }), HasSubstr(expected));
    EXPECT_THAT(error_of<IoError>([&] { read_idx_labels(dir / "z.idx"); }),
                HasSubstr("read_idx_labels: '" + dir / "z.idx" + expected));
    // The 0 first, the overflow right after it; and a 0 in the middle with huge dims on both sides.
    write_bytes(dir / "f.idx", header(0x08, {0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "f.idx"); }),
                HasSubstr("the stride of dimension 1 (the product of dimensions 2 to 3) overflows"));
    write_bytes(dir / "m.idx", header(0x0E, {7, 0xFFFFFFFF, 0, 0xFFFFFFFF, 0xFFFFFFFF, 3}));
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "m.idx"); }),
                HasSubstr("the stride of dimension 2 (the product of dimensions 3 to 5) overflows xtensor's index "
                          "type std::ptrdiff_t (max 9223372036854775807); dimension 2 is 0"));
}

TEST(Idx, ZeroDimAfterTheHugeOnesIsAnEmptyArray) {
    // Every stride is behind the 0 and so is 0: nothing overflows, and the empty array keeps the file's dims.
    TempDir dir;
    write_bytes(dir / "e.idx", header(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0}));
    const Array<float> a = read_idx<float>(dir / "e.idx");
    // Dim by dim: g++ 12.2 at -O3 -march=native (AVX-512) built the literal Shape{2^32-1, 2^32-1, 2^32-1, 0}
    // in this file as four 2^32-1s (a vectoriser miscompile; -O2 or -fno-tree-slp-vectorize build it right).
    ASSERT_EQ(a.dimension(), 4u);
    for (std::size_t d = 0; d < 3; ++d) EXPECT_EQ(a.shape()[d], 4294967295u) << "dimension " << d;
    EXPECT_EQ(a.shape()[3], 0u);
    EXPECT_EQ(a.size(), 0u);
}

TEST(Idx, MaximumRank) {
    // 255 dims (the most one header byte can count) of 1: one float.
    TempDir dir;
    std::string ones{'\0', '\0', '\x0D', '\xFF'};
    for (int d = 0; d < 255; ++d) ones += std::string("\0\0\0\x01", 4);
    write_bytes(dir / "ones.idx", ones + std::string("\x3F\xC0\0\0", 4));  // 1.5f, big-endian
    const Array<float> a = read_idx<float>(dir / "ones.idx");
    EXPECT_EQ(shape_of(a), Shape(255, 1));
    EXPECT_EQ(a.size(), 1u);
    EXPECT_EQ(*a.data(), 1.5f);
    // A 0 then 254 twos: the stride of dimension i is 2^(254 - i), and 2^63 (dimension 191) overflows.
    std::string twos{'\0', '\0', '\x0D', '\xFF', '\0', '\0', '\0', '\0'};
    for (int d = 1; d < 255; ++d) twos += std::string("\0\0\0\x02", 4);
    write_bytes(dir / "twos.idx", twos);
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "twos.idx"); }),
                HasSubstr("2, 2] of float: the stride of dimension 191 (the product of dimensions 192 to 254) overflows "
                          "xtensor's index type std::ptrdiff_t (max 9223372036854775807); dimension 0 is 0"));
}

TEST(Idx, HugeClaimIsTruncationNotAllocation) {
    // (2^32-1)(2^31-1) bytes fit std::ptrdiff_t but not in memory: the reader must fail on the short payload.
    TempDir dir;
    write_bytes(dir / "h.idx", header(0x08, {0xFFFFFFFF, 0x7FFFFFFF}) + "abc");
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "h.idx"); }),
                HasSubstr("need 9223372030412324865 bytes, got 3"));
}

TEST(Idx, MissingFile) {
    TempDir dir;
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "nope.idx"); }),
                AllOf(HasSubstr("nope.idx"), HasSubstr("cannot open"), HasSubstr("No such file")));
    EXPECT_THAT(error_of<IoError>([&] { read_idx_labels(dir / "nope.idx.gz"); }),
                AllOf(HasSubstr("read_idx_labels"), HasSubstr("nope.idx.gz")));
}

TEST(Idx, CorruptGzip) {
    // A valid stream whose CRC-32 trailer is damaged: zlib must notice when the stream ends.
    TempDir dir;
    write_idx(dir / "ok.idx.gz", Array<float>(xt::arange<float>(0, 200)), IdxType::UByte);
    std::string gz = read_bytes(dir / "ok.idx.gz");
    gz[gz.size() - 8] = static_cast<char>(gz[gz.size() - 8] ^ 0x5A);
    write_bytes(dir / "c.idx.gz", gz);
    EXPECT_THAT(error_of<IoError>([&] { read_idx<float>(dir / "c.idx.gz"); }),
                AllOf(HasSubstr("c.idx.gz"), HasSubstr("read error"), HasSubstr("incorrect data check")));
}

TEST(Idx, WriterRefusesValuesThatDoNotFit) {
    TempDir dir;
    EXPECT_THAT(error_of<ValueError>([&] { write_idx(dir / "a.idx", Array<float>{1, 256}, IdxType::UByte); }),
                HasSubstr("element 1 = 256.000000 is not a ubyte"));
    EXPECT_THAT(error_of<ValueError>([&] { write_idx(dir / "a.idx", Array<double>{0.5}, IdxType::Int); }),
                HasSubstr("is not a int"));
    EXPECT_THAT(error_of<ValueError>([&] { write_idx(dir / "a.idx", Array<float>(3.0f), IdxType::Float); }),
                HasSubstr("1 to 255 dims"));
    EXPECT_FALSE(std::filesystem::exists(dir / "a.idx"));
}

TEST(Idx, WriterIsAtomicAndLeavesNoTemporary) {
    TempDir dir;
    write_idx(dir / "a.idx", Array<float>{1, 2, 3}, IdxType::UByte);
    const std::string before = read_bytes(dir / "a.idx");
    EXPECT_THROW(write_idx(dir / "a.idx", Array<float>{1, 999}, IdxType::UByte), ValueError);
    EXPECT_EQ(read_bytes(dir / "a.idx"), before);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
    EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace dg::data
