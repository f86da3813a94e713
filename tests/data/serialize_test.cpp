// safetensors: bit-exact round trips, the byte layout, the per-tensor checksums, every refused header, check_tensors
// and atomic writes.
#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "autograd/array/errors.hpp"
#include "nn/data/serialize.hpp"
#include "test_util.hpp"

namespace dg {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using test::error_of;
using test::read_bytes;
using test::TempDir;
using test::write_bytes;

template <class T>
bool same_bits(const Array<T>& a, const Array<T>& b) {
    return shape_of(a) == shape_of(b) && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

/// A safetensors file from a header text and data bytes; `length` overrides the header length field.
std::string raw_file(const std::string& header, const std::string& data, std::uint64_t length = UINT64_MAX) {
    const std::uint64_t n = length == UINT64_MAX ? header.size() : length;
    std::string out(8, '\0');
    std::memcpy(out.data(), &n, 8);
    return out + header + data;
}

std::string load_error(const TempDir& dir, const std::string& header, const std::string& data) {
    write_bytes(dir / "bad.safetensors", raw_file(header, data));
    return error_of<IoError>([&] { load_safetensors(dir / "bad.safetensors"); });
}

TEST(Safetensors, RoundTripIsBitExact) {
    TempDir dir;
    const Array<float> w = {{1.5f, -0.0f, std::numeric_limits<float>::denorm_min()},
                            {std::numeric_limits<float>::quiet_NaN(), INFINITY, 1.0f / 3.0f}};
    const Array<double> b = {M_PI, -1e-310, std::numeric_limits<double>::max()};
    const Array<std::int64_t> steps = {std::int64_t(1) << 40, -5};
    const Array<std::uint8_t> mask = {{{0, 255}}};
    const Array<float> scalar(2.5f);
    save_safetensors(dir / "m.safetensors",
                     {{"layer.weight", w}, {"layer.bias", b}, {"steps", steps}, {"mask", mask}, {"s", scalar}},
                     {{"format", "pt"}, {"epoch", "3"}});

    const SafetensorsFile f = load_safetensors(dir / "m.safetensors");
    ASSERT_EQ(f.tensors.size(), 5u);
    EXPECT_EQ(f.tensors[0].name, "layer.weight");  // the order given, not alphabetical
    EXPECT_EQ(f.tensors[1].name, "layer.bias");
    EXPECT_TRUE(same_bits(f.get<float>("layer.weight"), w));
    EXPECT_TRUE(same_bits(f.get<double>("layer.bias"), b));
    EXPECT_TRUE(same_bits(f.get<std::int64_t>("steps"), steps));
    EXPECT_TRUE(same_bits(f.get<std::uint8_t>("mask"), mask));
    EXPECT_EQ(shape_of(f.get<float>("s")), Shape{});
    EXPECT_EQ(f.get<float>("s")(), 2.5f);
    EXPECT_EQ(f.metadata, (Metadata{{"format", "pt"}, {"epoch", "3"}}));
    EXPECT_EQ(f.find("nope"), nullptr);
    EXPECT_THAT(error_of<IoError>([&] { f.get<double>("layer.weight"); }),
                HasSubstr("tensor 'layer.weight' has dtype F32, requested F64"));
    EXPECT_THAT(error_of<IoError>([&] { f.get<float>("nope"); }), HasSubstr("no tensor 'nope'"));
}

TEST(Safetensors, ByteLayout) {
    TempDir dir;
    // Without checksums: byte for byte what the reference writer produces.
    save_safetensors(dir / "l.safetensors", {{"a", Array<float>{1.0f, 2.0f}}, {"b", Array<double>{3.0}}}, {},
                     /*checksums=*/false);
    const std::string bytes = read_bytes(dir / "l.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u);  // padded so the data starts 8-byte aligned
    ASSERT_EQ(bytes.size(), 8 + n + 16);
    const std::string header = bytes.substr(8, n);
    EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
              R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})");
    float a1 = 0;
    std::memcpy(&a1, bytes.data() + 8 + n + 4, 4);
    EXPECT_EQ(a1, 2.0f);
}

TEST(Safetensors, ChecksumsAreWrittenPerTensorAndNotReturnedAsMetadata) {
    TempDir dir;
    save_safetensors(dir / "c.safetensors", {{"a", Array<float>{1.0f, 2.0f}}, {"b", Array<double>{3.0}}},
                     {{"k", "v"}});
    const std::string bytes = read_bytes(dir / "c.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    // The crc32 of each tensor's bytes, as Python's zlib.crc32 computes them for these values.
    EXPECT_EQ(bytes.substr(8, n).rfind(R"({"__metadata__":{"crc32:a":"2e3fa576","crc32:b":"db2714f1","k":"v"},)", 0), 0u)
        << bytes.substr(8, n);
    const SafetensorsFile f = load_safetensors(dir / "c.safetensors");
    EXPECT_EQ(f.metadata, (Metadata{{"k", "v"}}));
    EXPECT_EQ(f.get<double>("b")(0), 3.0);
    EXPECT_THAT(error_of<ValueError>([&] { save_safetensors(dir / "r.safetensors", {}, {{"crc32:a", "0"}}); }),
                HasSubstr("metadata key 'crc32:a' is reserved"));
}

TEST(Safetensors, EveryFlippedBitOfTheDataIsAnIoErrorNamingTheTensor) {
    TempDir dir;
    save_safetensors(dir / "f.safetensors", {{"a", Array<float>{1.0f, 2.0f}}, {"b", Array<double>{3.0}}});
    const std::string good = read_bytes(dir / "f.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, good.data(), 8);
    for (std::size_t byte = 0; byte < 16; ++byte)
        for (int bit = 0; bit < 8; ++bit) {
            std::string bad = good;
            bad[8 + n + byte] = char(bad[8 + n + byte] ^ (1 << bit));
            write_bytes(dir / "bad.safetensors", bad);
            EXPECT_THAT(error_of<IoError>([&] { load_safetensors(dir / "bad.safetensors"); }),
                        AllOf(HasSubstr("bad.safetensors"), HasSubstr(byte < 8 ? "tensor 'a'" : "tensor 'b'"),
                              HasSubstr("does not match its checksum")))
                << "byte " << byte << " bit " << bit;
        }
}

TEST(Safetensors, RefusesMalformedOrStrayChecksums) {
    TempDir dir;
    const std::string entry = R"("w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]})";
    EXPECT_THAT(load_error(dir, R"({"__metadata__": {"crc32:w": "00000000"}, )" + entry + "}", "xy"),
                HasSubstr("tensor 'w': its data does not match its checksum (crc32 8fe62899, the file says 00000000)"));
    EXPECT_THAT(load_error(dir, R"({"__metadata__": {"crc32:w": "8FE62899"}, )" + entry + "}", "xy"),
                HasSubstr("tensor 'w': checksum '8FE62899' is not 8 lowercase hex digits"));
    EXPECT_THAT(load_error(dir, R"({"__metadata__": {"crc32:v": "8fe62899"}, )" + entry + "}", "xy"),
                HasSubstr("checksum 'crc32:v' names no tensor of the file"));
    write_bytes(dir / "ok.safetensors", raw_file(R"({"__metadata__": {"crc32:w": "8fe62899"}, )" + entry + "}", "xy"));
    EXPECT_EQ(load_safetensors(dir / "ok.safetensors").get<std::uint8_t>("w")(1), 'y');
}

TEST(Safetensors, FilesWithoutChecksumsLoad) {
    TempDir dir;
    // As PyTorch's safetensors writes them: no crc32 in the metadata.
    write_bytes(dir / "p.safetensors",
                raw_file(R"({"__metadata__": {"format": "pt"}, "w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}})",
                         "xy"));
    const SafetensorsFile f = load_safetensors(dir / "p.safetensors");
    EXPECT_EQ(f.get<std::uint8_t>("w")(0), 'x');
    EXPECT_EQ(f.metadata, (Metadata{{"format", "pt"}}));
    save_safetensors(dir / "n.safetensors", {{"a", Array<float>{1.0f}}}, {}, /*checksums=*/false);
    EXPECT_EQ(read_bytes(dir / "n.safetensors").find("crc32"), std::string::npos);
    EXPECT_EQ(load_safetensors(dir / "n.safetensors").get<float>("a")(0), 1.0f);
}

TEST(Safetensors, EmptyAndZeroSized) {
    TempDir dir;
    save_safetensors(dir / "e.safetensors", {});
    EXPECT_TRUE(load_safetensors(dir / "e.safetensors").tensors.empty());
    save_safetensors(dir / "z.safetensors", {{"z", Array<float>::from_shape({0, 3})}, {"o", Array<float>{7.0f}}});
    const auto f = load_safetensors(dir / "z.safetensors");
    EXPECT_EQ(shape_of(f.get<float>("z")), (Shape{0, 3}));
    EXPECT_EQ(f.get<float>("o")(0), 7.0f);
}

TEST(Safetensors, SaveRefusesBadNames) {
    TempDir dir;
    EXPECT_THAT(error_of<ValueError>([&] {
                    save_safetensors(dir / "d.safetensors", {{"w", Array<float>{1}}, {"w", Array<float>{2}}});
                }),
                HasSubstr("duplicate tensor name 'w'"));
    EXPECT_THROW(save_safetensors(dir / "d.safetensors", {{"__metadata__", Array<float>{1}}}), ValueError);
    EXPECT_THROW(save_safetensors(dir / "d.safetensors", {{"", Array<float>{1}}}), ValueError);
    EXPECT_FALSE(std::filesystem::exists(dir / "d.safetensors"));
}

TEST(Safetensors, RefusesShortFileAndBadLength) {
    TempDir dir;
    write_bytes(dir / "s.safetensors", "abc");
    EXPECT_THAT(error_of<IoError>([&] { load_safetensors(dir / "s.safetensors"); }),
                AllOf(HasSubstr("s.safetensors"), HasSubstr("file is 3 bytes, shorter than the 8-byte header length")));
    write_bytes(dir / "l.safetensors", raw_file("{}", "", 1000));
    EXPECT_THAT(error_of<IoError>([&] { load_safetensors(dir / "l.safetensors"); }),
                HasSubstr("header length 1000 exceeds the 2 bytes after the length field"));
    EXPECT_THAT(error_of<IoError>([&] { load_safetensors(dir / "missing.safetensors"); }),
                AllOf(HasSubstr("missing.safetensors"), HasSubstr("No such file")));
}

TEST(Safetensors, RefusesMalformedJson) {
    TempDir dir;
    EXPECT_THAT(load_error(dir, R"({"a": {"dtype": "F32",)", ""), HasSubstr("header is not valid JSON"));
    EXPECT_THAT(load_error(dir, "[1, 2]", ""), HasSubstr("header must be a JSON object, got array"));
    EXPECT_THAT(load_error(dir, R"({"__metadata__": {"k": 1}})", ""),
                HasSubstr("__metadata__ value of 'k' must be a string, got number"));
}

TEST(Safetensors, RefusesBadTensorEntries) {
    TempDir dir;
    const std::string d8(8, '\0');
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}})", d8),
                AllOf(HasSubstr("bad.safetensors"), HasSubstr("tensor 'w': dtype \"BF16\" is not one of F32, F64, I64, U8")));
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", d8),
                HasSubstr("tensor 'w': missing 'shape'"));
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", d8),
                HasSubstr("tensor 'w': shape [-2] must hold non-negative integers"));
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 8]}})", d8),
                HasSubstr("tensor 'w': shape [2, 3] of F32 needs 24 bytes but data_offsets [0,8] span 8"));
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}})", d8),
                HasSubstr("tensor 'w': data_offsets [8,16] end beyond the 8 bytes of the data section"));
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "U8", "shape": [0], "data_offsets": [5, 3]}})", d8),
                HasSubstr("tensor 'w': data_offsets [5,3] has begin > end"));
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "U8", "shape": [8], "data_offsets": [0]}})", d8),
                HasSubstr("tensor 'w': data_offsets [0] must be [begin, end]"));
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})", d8),
                HasSubstr("tensor 'w': shape [4294967296, 4294967296] of F64: the element count (the product of all 2 "
                          "dims) overflows xtensor's index type std::ptrdiff_t (max 9223372036854775807)"));
}

TEST(Safetensors, RefusesShapesBeyondTheIndexTypeEvenWhenEmpty) {
    // A dim of 0 makes the tensor 0 bytes (data_offsets [0, 0] agree), but xtensor would still compute the
    // strides behind it: 2^32 × 2^32 overflowed std::ptrdiff_t (undefined behaviour) before the check.
    TempDir dir;
    EXPECT_EQ(load_error(dir, R"({"w": {"dtype": "F32", "shape": [0, 4294967296, 4294967296], "data_offsets": [0, 0]}})", ""),
              "load_safetensors: '" + dir / "bad.safetensors" + "': tensor 'w': shape [0, 4294967296, 4294967296] of "
              "F32: the stride of dimension 0 (the product of dimensions 1 to 2) overflows xtensor's index type "
              "std::ptrdiff_t (max 9223372036854775807); dimension 0 is 0, so the array would hold no elements, but "
              "its strides are computed all the same");
    // One dim alone above PTRDIFF_MAX: xtensor would cast it to a negative std::ptrdiff_t.
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "U8", "shape": [0, 9223372036854775808], "data_offsets": [0, 0]}})", ""),
                HasSubstr("tensor 'w': shape [0, 9223372036854775808] of U8: dimension 1 (9223372036854775808) "
                          "overflows xtensor's index type"));
    // 2^62 elements fit, 2^65 bytes do not.
    EXPECT_THAT(load_error(dir, R"({"w": {"dtype": "I64", "shape": [4611686018427387904], "data_offsets": [0, 0]}})", ""),
                HasSubstr("tensor 'w': shape [4611686018427387904] of I64: the 4611686018427387904 elements of 8 "
                          "bytes each overflow xtensor's index type std::ptrdiff_t (max 9223372036854775807) as a "
                          "byte count"));
    // Every stride behind the 0 is 0: an empty tensor with the file's shape.
    write_bytes(dir / "ok.safetensors",
                raw_file(R"({"w": {"dtype": "F64", "shape": [3, 0, 9223372036854775807], "data_offsets": [0, 0]}})", ""));
    const SafetensorsFile f = load_safetensors(dir / "ok.safetensors");
    EXPECT_EQ(shape_of(f.get<double>("w")), (Shape{3, 0, 9223372036854775807u}));
    EXPECT_EQ(f.get<double>("w").size(), 0u);
}

TEST(Safetensors, RefusesOverlapsGapsAndLeftovers) {
    TempDir dir;
    EXPECT_THAT(load_error(dir,
                           R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                               "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                           std::string(12, '\0')),
                HasSubstr("tensor 'b': data_offsets [4, 12] overlap tensor 'a' (which ends at 8)"));
    EXPECT_THAT(load_error(dir,
                           R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                               "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                           std::string(12, '\0')),
                HasSubstr("tensor 'b': data_offsets begin at 8 leaving a gap of 4 bytes after tensor 'a'"));
    EXPECT_THAT(load_error(dir, R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", std::string(6, '\0')),
                HasSubstr("2 bytes at the end of the data section belong to no tensor"));
}

TEST(Safetensors, RefusesDuplicateNames) {
    TempDir dir;
    EXPECT_THAT(load_error(dir,
                           R"({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                               "a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})",
                           "xy"),
                HasSubstr("tensor 'a' appears twice in the header"));
    EXPECT_THAT(load_error(dir, R"({"a": {"dtype": "U8", "dtype": "F32", "shape": [1], "data_offsets": [0, 1]}})", "x"),
                HasSubstr("key 'dtype' appears twice in one object of the header"));
    // The same key in different objects is fine.
    write_bytes(dir / "ok.safetensors",
                raw_file(R"({"__metadata__": {"a": "v"}, "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}})", "x"));
    const auto f = load_safetensors(dir / "ok.safetensors");
    EXPECT_EQ(f.get<std::uint8_t>("a")(0), 'x');
    EXPECT_EQ(f.metadata.at("a"), "v");
}

TEST(Safetensors, CheckTensorsReportsEveryMismatch) {
    TempDir dir;
    save_safetensors(dir / "c.safetensors",
                     {{"w1", Array<float>::from_shape({4, 3})}, {"b1", Array<double>{1, 2, 3}},
                      {"w2", Array<float>::from_shape({3, 2})}, {"extra", Array<float>{1}}});
    const auto f = load_safetensors(dir / "c.safetensors");
    EXPECT_NO_THROW(check_tensors(f, {{"w1", DType::F32, {4, 3}},
                                      {"b1", DType::F64, {3}},
                                      {"w2", DType::F32, {3, 2}},
                                      {"extra", DType::F32, {1}}}));
    const std::string msg = error_of<IoError>([&] {
        check_tensors(f, {{"w1", DType::F32, {3, 4}}, {"b1", DType::F32, {3}}, {"w2", DType::F32, {3, 2}},
                          {"b2", DType::F32, {2}}});
    });
    EXPECT_THAT(msg, AllOf(HasSubstr("c.safetensors"), HasSubstr("4 mismatches"),
                           HasSubstr("'w1' has shape [4, 3], expected [3, 4]"),
                           HasSubstr("'b1' has dtype F64, expected F32"), HasSubstr("missing 'b2' (F32 [2])"),
                           HasSubstr("unexpected 'extra' (F32 [1])")));
    EXPECT_THAT(msg, ::testing::Not(HasSubstr("'w2'")));
}

std::size_t count_files(const TempDir& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
    return n;
}

TEST(Safetensors, FailedWriteInMissingFolder) {
    TempDir dir;
    EXPECT_THAT(error_of<IoError>([&] { save_safetensors(dir / "no/such/dir/m.safetensors", {{"a", Array<float>{1}}}); }),
                AllOf(HasSubstr("save_safetensors"), HasSubstr("no/such/dir/m.safetensors"),
                      HasSubstr("No such file or directory")));
}

TEST(Safetensors, FailedWriteLeavesOldFileIntact) {
    TempDir dir;
    const std::string path = dir / "model.safetensors";
    save_safetensors(path, {{"w", Array<float>{1, 2, 3}}}, {{"version", "1"}});
    const std::string old_bytes = read_bytes(path);

    // Make the write fail half-way, after the temporary file exists: a file size limit turns the large write
    // into EFBIG (the signal it would raise is ignored). This works as root, unlike a read-only folder.
    const Array<float> big = xt::ones<float>({std::size_t(100000)});
    rlimit old_limit{};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old_limit;
    small.rlim_cur = 4096;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string msg;
    try {
        save_safetensors(path, {{"w", big}}, {{"version", "2"}});
    } catch (const IoError& e) {
        msg = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);

    EXPECT_THAT(msg, AllOf(HasSubstr("model.safetensors"), HasSubstr("write failed"), HasSubstr("unchanged")));
    EXPECT_EQ(read_bytes(path), old_bytes);
    EXPECT_EQ(count_files(dir), 1u);  // the temporary file was removed
    EXPECT_EQ(load_safetensors(path).metadata.at("version"), "1");

    // Without the limit the same save replaces the file.
    save_safetensors(path, {{"w", big}}, {{"version", "2"}});
    const auto f = load_safetensors(path);
    EXPECT_EQ(f.metadata.at("version"), "2");
    EXPECT_EQ(f.get<float>("w").size(), 100000u);
    EXPECT_EQ(count_files(dir), 1u);
}

}  // namespace
}  // namespace dg
