// safetensors: header building and parsing with nlohmann::ordered_json (keeps the tensors' order), full
// validation of the header against the data section, a crc32 per tensor, and atomic writes through AtomicFile.
#include "nn/data/serialize.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "autograd/array/errors.hpp"
#include "nn/data/atomic_file.hpp"
#include "nn/data/shape_check.hpp"

// safetensors data is little-endian; the raw copies below are only right on a little-endian host.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "deltagrad's safetensors code assumes a little-endian host");

namespace dg {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* metadata_key = "__metadata__";
// The reference implementation refuses headers above 100 MB; so do we, before allocating for one.
constexpr std::uint64_t max_header_size = 100'000'000;

bool parse_dtype(const std::string& s, DType& out) {
    for (DType d : {DType::F32, DType::F64, DType::I64, DType::U8})
        if (s == dtype_name(d)) {
            out = d;
            return true;
        }
    return false;
}

const void* raw_data(const AnyArray& a) {
    return std::visit([](const auto& arr) -> const void* { return arr.data(); }, a);
}

std::size_t element_count(const AnyArray& a) {
    return std::visit([](const auto& arr) { return arr.size(); }, a);
}

/// Where one tensor's bytes are, as read from the header.
struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::uint64_t begin, end;
};

std::uint32_t crc32_of(const void* bytes, std::size_t size) {
    // crc32_z takes the whole length (crc32's is 32-bit); 0 bytes give 0.
    return static_cast<std::uint32_t>(crc32_z(0, static_cast<const Bytef*>(bytes), size));
}

std::string hex8(std::uint32_t v) {
    static const char digits[] = "0123456789abcdef";
    std::string out(8, '0');
    for (int i = 7; i >= 0; --i, v >>= 4) out[std::size_t(i)] = digits[v & 0xF];
    return out;
}

bool parse_hex8(const std::string& s, std::uint32_t& out) {
    if (s.size() != 8) return false;
    out = 0;
    for (char c : s) {
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return false;
        out = out << 4 | std::uint32_t(d);
    }
    return true;
}

bool is_checksum_key(const std::string& key) { return key.compare(0, std::strlen(checksum_prefix), checksum_prefix) == 0; }

template <class T>
AnyArray make_array(const Shape& shape, const char* bytes) {
    Array<T> a = Array<T>::from_shape(shape);
    if (a.size() > 0) std::memcpy(a.data(), bytes, a.size() * sizeof(T));
    return a;
}

}  // namespace

const char* dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32: return "F32";
        case DType::F64: return "F64";
        case DType::I64: return "I64";
        case DType::U8: return "U8";
    }
    return "?";
}

std::size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::F32: return 4;
        case DType::F64: return 8;
        case DType::I64: return 8;
        case DType::U8: return 1;
    }
    return 0;
}

DType dtype_of(const AnyArray& array) {
    return static_cast<DType>(array.index());  // the variant's alternatives follow DType's order
}

Shape array_shape(const AnyArray& array) {
    return std::visit([](const auto& arr) { return shape_of(arr); }, array);
}

const AnyArray* SafetensorsFile::find(const std::string& name) const {
    for (const auto& t : tensors)
        if (t.name == name) return &t.value;
    return nullptr;
}

template <class T>
const Array<T>& SafetensorsFile::get(const std::string& name) const {
    const AnyArray* a = find(name);
    if (!a) throw IoError("safetensors '" + path + "': no tensor '" + name + "'");
    const auto* typed = std::get_if<Array<T>>(a);
    if (!typed) {
        const DType wanted = dtype_of(AnyArray(Array<T>()));
        throw IoError("safetensors '" + path + "': tensor '" + name + "' has dtype " + dtype_name(dtype_of(*a)) +
                      ", requested " + dtype_name(wanted));
    }
    return *typed;
}

void save_safetensors(const std::string& path, const std::vector<NamedArray>& tensors, const Metadata& metadata,
                      bool checksums) {
    Json header = Json::object();
    Metadata meta = metadata;
    for (const auto& [key, value] : metadata)
        if (is_checksum_key(key))
            throw ValueError("save_safetensors: '" + path + "': metadata key '" + key + "' is reserved (the prefix '" +
                             checksum_prefix + "' names checksums)");
    if (checksums)
        for (const auto& t : tensors)
            meta[checksum_prefix + t.name] =
                hex8(crc32_of(raw_data(t.value), element_count(t.value) * dtype_size(dtype_of(t.value))));
    if (!meta.empty()) {
        Json json_meta = Json::object();
        for (const auto& [k, v] : meta) json_meta[k] = v;
        header[metadata_key] = json_meta;
    }
    std::set<std::string> names;
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        if (t.name.empty()) throw ValueError("save_safetensors: '" + path + "': empty tensor name");
        if (t.name == metadata_key)
            throw ValueError("save_safetensors: '" + path + "': the name '__metadata__' is reserved");
        if (!names.insert(t.name).second)
            throw ValueError("save_safetensors: '" + path + "': duplicate tensor name '" + t.name + "'");
        const DType dtype = dtype_of(t.value);
        const std::uint64_t bytes = element_count(t.value) * dtype_size(dtype);
        header[t.name] = {{"dtype", dtype_name(dtype)},
                          {"shape", array_shape(t.value)},
                          {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text = header.dump();
    // Pad with spaces so that the data section starts 8-byte aligned (as the reference writer does).
    text.append((8 - text.size() % 8) % 8, ' ');

    data::AtomicFile file(path, "save_safetensors");
    const std::uint64_t n = text.size();
    file.write(&n, sizeof n);
    file.write(text);
    for (const auto& t : tensors) file.write(raw_data(t.value), element_count(t.value) * dtype_size(dtype_of(t.value)));
    file.commit();
}

SafetensorsFile load_safetensors(const std::string& path) {
    const auto fail = [&](const std::string& what) -> void {
        throw IoError("load_safetensors: '" + path + "': " + what);
    };
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        fail(std::string("cannot open: ") + std::strerror(err));
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) fail("read error");
    if (bytes.size() < 8)
        fail("file is " + std::to_string(bytes.size()) + " bytes, shorter than the 8-byte header length");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    if (n > bytes.size() - 8)
        fail("header length " + std::to_string(n) + " exceeds the " + std::to_string(bytes.size() - 8) +
             " bytes after the length field");
    if (n > max_header_size)
        fail("header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(max_header_size));
    const std::string text = bytes.substr(8, n);
    const std::uint64_t data_size = bytes.size() - 8 - n;
    const char* data = bytes.data() + 8 + n;

    // nlohmann keeps the last of duplicate keys silently; the callback sees every key of every object and
    // refuses repeats (a repeated tensor name at depth 1, a repeated field such as "dtype" deeper down).
    std::vector<std::set<std::string>> open_objects;
    std::string duplicate;
    int duplicate_depth = 0;
    const auto on_event = [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
        else if (event == Json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
        else if (event == Json::parse_event_t::key && !open_objects.empty() &&
                 !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
            duplicate = parsed.get<std::string>();
            duplicate_depth = depth;
        }
        return true;
    };
    Json header;
    try {
        header = Json::parse(text, on_event);
    } catch (const Json::exception& e) {
        fail(std::string("header is not valid JSON: ") + e.what());
    }
    if (!duplicate.empty())
        fail(duplicate_depth == 1 ? "tensor '" + duplicate + "' appears twice in the header"
                                  : "key '" + duplicate + "' appears twice in one object of the header");
    if (!header.is_object()) fail(std::string("header must be a JSON object, got ") + header.type_name());

    SafetensorsFile file;
    file.path = path;
    std::map<std::string, std::string> checksums;  // tensor name -> its crc32 as written
    std::vector<Entry> entries;
    for (const auto& [name, info] : header.items()) {
        // (a structured binding cannot be captured before C++20: clang refuses it, so capture a copy)
        const auto bad = [&, tensor = std::string(name)](const std::string& what) { fail("tensor '" + tensor + "': " + what); };
        if (name == metadata_key) {
            if (!info.is_object()) fail("__metadata__ must be an object of strings");
            for (const auto& [k, v] : info.items()) {
                if (!v.is_string()) fail("__metadata__ value of '" + k + "' must be a string, got " + v.type_name());
                if (is_checksum_key(k)) checksums[k.substr(std::strlen(checksum_prefix))] = v.get<std::string>();
                else file.metadata[k] = v.get<std::string>();
            }
            continue;
        }
        if (!info.is_object()) bad("expected an object with dtype, shape and data_offsets");
        for (const char* key : {"dtype", "shape", "data_offsets"})
            if (!info.contains(key)) bad(std::string("missing '") + key + "'");
        Entry e{name, DType::F32, {}, 0, 0};
        if (!info["dtype"].is_string() || !parse_dtype(info["dtype"].get<std::string>(), e.dtype))
            bad("dtype " + info["dtype"].dump() + " is not one of F32, F64, I64, U8");
        const Json& shape = info["shape"];
        if (!shape.is_array()) bad("shape must be an array of non-negative integers");
        for (const auto& d : shape) {
            if (!d.is_number_unsigned()) bad("shape " + shape.dump() + " must hold non-negative integers");
            e.shape.push_back(static_cast<std::size_t>(d.get<std::uint64_t>()));
        }
        // Before the byte count below and the array make_array builds (load_checkpoint's too): the shape's
        // strides, element and byte counts must fit xtensor's signed index type, even when a dim of 0 leaves
        // the tensor empty (and its data_offsets span 0 bytes).
        const std::uint64_t elem = dtype_size(e.dtype);
        if (const auto why = data::shape_overflow(e.shape, elem))
            bad("shape " + shape_str(e.shape) + " of " + dtype_name(e.dtype) + ": " + *why);
        std::uint64_t count = 1;  // cannot overflow: shape_overflow bounds the byte count
        for (const std::size_t d : e.shape) count *= d;
        const Json& offsets = info["data_offsets"];
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned())
            bad("data_offsets " + offsets.dump() + " must be [begin, end] with non-negative integers");
        e.begin = offsets[0].get<std::uint64_t>();
        e.end = offsets[1].get<std::uint64_t>();
        if (e.begin > e.end) bad("data_offsets " + offsets.dump() + " has begin > end");
        if (e.end - e.begin != count * elem)
            bad("shape " + shape_str(e.shape) + " of " + dtype_name(e.dtype) + " needs " + std::to_string(count * elem) +
                " bytes but data_offsets " + offsets.dump() + " span " + std::to_string(e.end - e.begin));
        if (e.end > data_size)
            bad("data_offsets " + offsets.dump() + " end beyond the " + std::to_string(data_size) +
                " bytes of the data section");
        entries.push_back(std::move(e));
    }

    // The data section must be covered exactly: no overlaps, no holes, nothing left over.
    std::vector<const Entry*> by_offset;
    for (const auto& e : entries) by_offset.push_back(&e);
    std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t cursor = 0;
    const Entry* prev = nullptr;
    for (const Entry* e : by_offset) {
        if (e->begin < cursor)
            fail("tensor '" + e->name + "': data_offsets [" + std::to_string(e->begin) + ", " + std::to_string(e->end) +
                 "] overlap tensor '" + prev->name + "' (which ends at " + std::to_string(cursor) + ")");
        if (e->begin > cursor)
            fail("tensor '" + e->name + "': data_offsets begin at " + std::to_string(e->begin) + " leaving a gap of " +
                 std::to_string(e->begin - cursor) + " bytes after " +
                 (prev ? "tensor '" + prev->name + "'" : std::string("the start of the data")));
        cursor = e->end;
        prev = e;
    }
    if (cursor != data_size)
        fail(std::to_string(data_size - cursor) + " bytes at the end of the data section belong to no tensor");

    // The bytes against their checksums, before any array is made from them.
    for (const auto& e : entries) {
        auto it = checksums.find(e.name);
        if (it == checksums.end()) continue;
        std::uint32_t stored = 0;
        if (!parse_hex8(it->second, stored))
            fail("tensor '" + e.name + "': checksum '" + it->second + "' is not 8 lowercase hex digits");
        const std::uint32_t computed = crc32_of(data + e.begin, e.end - e.begin);
        if (computed != stored)
            fail("tensor '" + e.name + "': its data does not match its checksum (crc32 " + hex8(computed) +
                 ", the file says " + it->second + "): the file is corrupted");
        checksums.erase(it);
    }
    if (!checksums.empty())
        fail("checksum '" + std::string(checksum_prefix) + checksums.begin()->first + "' names no tensor of the file");

    for (const auto& e : entries) {
        const char* p = data + e.begin;
        switch (e.dtype) {
            case DType::F32: file.tensors.push_back({e.name, make_array<float>(e.shape, p)}); break;
            case DType::F64: file.tensors.push_back({e.name, make_array<double>(e.shape, p)}); break;
            case DType::I64: file.tensors.push_back({e.name, make_array<std::int64_t>(e.shape, p)}); break;
            case DType::U8: file.tensors.push_back({e.name, make_array<std::uint8_t>(e.shape, p)}); break;
        }
    }
    return file;
}

void check_tensors(const SafetensorsFile& file, const std::vector<TensorSpec>& expected) {
    std::vector<std::string> problems;
    std::set<std::string> expected_names;
    for (const auto& spec : expected) {
        expected_names.insert(spec.name);
        const AnyArray* a = file.find(spec.name);
        if (!a) {
            problems.push_back("missing '" + spec.name + "' (" + dtype_name(spec.dtype) + " " + shape_str(spec.shape) + ")");
            continue;
        }
        if (dtype_of(*a) != spec.dtype)
            problems.push_back("'" + spec.name + "' has dtype " + dtype_name(dtype_of(*a)) + ", expected " +
                               dtype_name(spec.dtype));
        if (array_shape(*a) != spec.shape)
            problems.push_back("'" + spec.name + "' has shape " + shape_str(array_shape(*a)) + ", expected " +
                               shape_str(spec.shape));
    }
    for (const auto& t : file.tensors)
        if (!expected_names.count(t.name))
            problems.push_back("unexpected '" + t.name + "' (" + dtype_name(dtype_of(t.value)) + " " +
                               shape_str(array_shape(t.value)) + ")");
    if (problems.empty()) return;
    std::string msg = "check_tensors: '" + file.path + "': " + std::to_string(problems.size()) +
                      (problems.size() == 1 ? " mismatch: " : " mismatches: ");
    for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    throw IoError(msg);
}

template const Array<float>& SafetensorsFile::get<float>(const std::string&) const;
template const Array<double>& SafetensorsFile::get<double>(const std::string&) const;
template const Array<std::int64_t>& SafetensorsFile::get<std::int64_t>(const std::string&) const;
template const Array<std::uint8_t>& SafetensorsFile::get<std::uint8_t>(const std::string&) const;

}  // namespace dg
