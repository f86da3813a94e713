// The fuzz entry points of the file readers (IDX, CSV, safetensors: deltagrad::data only), shared by the libFuzzer targets (tests/fuzz/fuzz_*.cpp) and the regression replay test
// (tests/reliability/fuzz_replay_test.cpp). Each takes arbitrary bytes, runs them through one reader with the
// library's public entry point, and uses whatever it returns. dg::Error is the one allowed failure and is
// caught here; anything else escaping (std::bad_alloc, std::out_of_range, a broken invariant reported as
// std::logic_error) or any sanitizer report is a bug.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <unistd.h>

#include "autograd/array/errors.hpp"
#include "nn/data/csv.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/serialize.hpp"

namespace dg::fuzz {

/// The readers of IDX and safetensors files take a path: the bytes go to a per-process scratch file
/// (in /dev/shm when there is one, so a fuzzer does not wear the disk).
inline std::string scratch_file(const std::uint8_t* data, std::size_t size, const char* suffix) {
    namespace fs = std::filesystem;
    static const fs::path dir = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    const std::string path = (dir / ("deltagrad-fuzz-" + std::to_string(::getpid()) + suffix)).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) throw std::runtime_error("fuzz: cannot write the scratch file " + path);
    return path;
}

/// Touches every element (so ASan sees every read) and checks the shape agrees with the element count.
template <class A>
double touch(const A& a) {
    std::size_t n = 1;
    for (auto d : a.shape()) n *= d;
    if (n != a.size()) throw std::logic_error("array shape does not match its size");
    double sum = 0;
    for (auto v : a) sum += static_cast<double>(v);
    return sum;
}

/// IDX: read_idx as float, double and uint8, and read_idx_labels, each on the same bytes.
inline void run_idx(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_file(data, size, ".idx");
    try { touch(data::read_idx<float>(path)); } catch (const dg::Error&) {}
    try { touch(data::read_idx<double>(path)); } catch (const dg::Error&) {}
    try { touch(data::read_idx<std::uint8_t>(path)); } catch (const dg::Error&) {}
    try {
        const auto labels = data::read_idx_labels(path);
        std::size_t sum = 0;
        for (auto l : labels) sum += l;
        (void)sum;
    } catch (const dg::Error&) {}
    std::remove(path.c_str());
}

/// CSV: the first byte picks the options (delimiter, header, label column by index or by name), the rest is
/// the file, parsed as float and as double through parse_csv on a stream.
inline void run_csv(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const std::uint8_t o = data[0];
    data::CsvOptions options;
    options.delimiter = "\t,; |"[o % 5];
    options.header = (o >> 3) & 1;
    if ((o >> 4) & 1) options.label_column = (o >> 5) & 3;
    if (options.header && (o >> 7) & 1) options.label_name = "y";
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto check = [](const auto& t) {
        touch(t.x);
        touch(t.y);
        const bool labelled = !t.label_name.empty() || t.y.size() != 0;
        if (labelled && t.y.size() != t.x.shape()[0]) throw std::logic_error("csv: y and x row counts differ");
    };
    try {
        std::istringstream in(text);
        check(data::parse_csv<float>(in, options, "<fuzz>"));
    } catch (const dg::Error&) {}
    try {
        std::istringstream in(text);
        check(data::parse_csv<double>(in, options, "<fuzz>"));
    } catch (const dg::Error&) {}
}

/// safetensors: load, read every tensor, fetch each through get<T> of its own dtype, check_tensors against
/// what was loaded (must pass), and against a wrong expectation (must throw IoError).
inline void run_safetensors(const std::uint8_t* data, std::size_t size) {
    const std::string path = scratch_file(data, size, ".safetensors");
    try {
        const SafetensorsFile file = load_safetensors(path);
        std::vector<TensorSpec> specs;
        for (const NamedArray& t : file.tensors) {
            std::visit([](const auto& a) { touch(a); }, t.value);
            if (file.find(t.name) == nullptr) throw std::logic_error("safetensors: a loaded tensor is not found");
            switch (dtype_of(t.value)) {
                case DType::F32: touch(file.get<float>(t.name)); break;
                case DType::F64: touch(file.get<double>(t.name)); break;
                case DType::I64: touch(file.get<std::int64_t>(t.name)); break;
                case DType::U8: touch(file.get<std::uint8_t>(t.name)); break;
            }
            specs.push_back({t.name, dtype_of(t.value), array_shape(t.value)});
        }
        for (const auto& [k, v] : file.metadata) (void)(k.size() + v.size());
        check_tensors(file, specs);
        specs.push_back({"fuzz.missing", DType::F32, {1}});
        bool refused = false;
        try { check_tensors(file, specs); } catch (const IoError&) { refused = true; }
        if (!refused) throw std::logic_error("safetensors: check_tensors accepted a missing tensor");
    } catch (const dg::Error&) {}
    std::remove(path.c_str());
}

}  // namespace dg::fuzz
