// Checkpoints: the mapping between (module, optimizer, info) and safetensors tensors + metadata, and the
// checks that run before a load changes anything.
#include "nn/checkpoint.hpp"

#include <set>
#include <type_traits>

#include "autograd/engine.hpp"
#include "autograd/array/errors.hpp"

namespace dg::nn {
namespace {

constexpr const char* format_version = "1";
const std::set<std::string> reserved_keys = {"format", "format_version", "dtype", "optimizer", "epoch", "batch",
                                             "step", "loader_state", "generator_state", "spec", "options"};

template <class T>
constexpr DType dtype_for() {
    return std::is_same_v<T, float> ? DType::F32 : DType::F64;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

std::int64_t parse_int(const std::string& path, const Metadata& meta, const char* key) {
    auto it = meta.find(key);
    if (it == meta.end()) return 0;
    try {
        std::size_t used = 0;
        const long long v = std::stoll(it->second, &used);
        if (used == it->second.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    throw IoError("load_checkpoint: '" + path + "': metadata '" + key + "' is '" + it->second +
                  "', expected a non-negative integer");
}

std::string get_or_empty(const Metadata& meta, const char* key) {
    auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
}

CheckpointInfo info_from_metadata(const std::string& path, const Metadata& meta) {
    auto format = meta.find("format");
    if (format == meta.end() || format->second != checkpoint_format)
        throw IoError("load_checkpoint: '" + path + "' is not a deltagrad checkpoint (metadata 'format' is " +
                      (format == meta.end() ? std::string("missing") : "'" + format->second + "'") + ")");
    if (get_or_empty(meta, "format_version") != format_version)
        throw IoError("load_checkpoint: '" + path + "': format_version '" + get_or_empty(meta, "format_version") +
                      "' is not supported (expected " + format_version + ")");
    CheckpointInfo info;
    info.epoch = parse_int(path, meta, "epoch");
    info.batch = parse_int(path, meta, "batch");
    info.step = parse_int(path, meta, "step");
    info.loader_state = get_or_empty(meta, "loader_state");
    info.generator_state = get_or_empty(meta, "generator_state");
    info.spec = get_or_empty(meta, "spec");
    info.options = get_or_empty(meta, "options");
    info.optimizer = get_or_empty(meta, "optimizer");
    for (const auto& [key, value] : meta)
        if (!reserved_keys.count(key)) info.extra.emplace(key, value);
    return info;
}

}  // namespace

template <class T>
void save_checkpoint(const std::string& path, const Module<T>& model,
                     const optim::Optimizer<typename detail::NonDeduced<T>::type>* optimizer, const CheckpointInfo& info) {
    std::vector<NamedArray> tensors;
    for (const auto& [name, p] : model.state_dict()) {
        if (starts_with(name, checkpoint_optimizer_prefix))
            throw ValueError("save_checkpoint: '" + name + "' of the model clashes with the optimizer's prefix '" +
                             checkpoint_optimizer_prefix + "'");
        tensors.push_back({name, p.value()});
    }
    if (optimizer) {
        const optim::OptimizerState<T> state = optimizer->state();
        for (const auto& [name, value] : state.arrays) tensors.push_back({checkpoint_optimizer_prefix + name, value});
        // Steps and learning rates as F64 scalars: exact, and tensors as in PyTorch's state_dict.
        for (const auto& [name, value] : state.scalars) {
            Array<double> scalar = Array<double>::from_shape({});
            scalar() = value;
            tensors.push_back({checkpoint_optimizer_prefix + name, std::move(scalar)});
        }
    }

    Metadata meta;
    for (const auto& [key, value] : info.extra) {
        if (reserved_keys.count(key))
            throw ValueError("save_checkpoint: extra metadata key '" + key + "' is reserved");
        meta.emplace(key, value);
    }
    meta["format"] = checkpoint_format;
    meta["format_version"] = format_version;
    meta["dtype"] = dtype_name(dtype_for<T>());
    meta["optimizer"] = optimizer ? optimizer->name() : "";
    meta["epoch"] = std::to_string(info.epoch);
    meta["batch"] = std::to_string(info.batch);
    meta["step"] = std::to_string(info.step);
    meta["loader_state"] = info.loader_state;
    meta["generator_state"] = info.generator_state;
    meta["spec"] = info.spec;
    meta["options"] = info.options;
    save_safetensors(path, tensors, meta);
}

template <class T>
CheckpointInfo load_checkpoint(const std::string& path, Module<T>& model,
                               optim::Optimizer<typename detail::NonDeduced<T>::type>* optimizer) {
    SafetensorsFile file = load_safetensors(path);
    CheckpointInfo info = info_from_metadata(path, file.metadata);

    // Split the file: model tensors are checked as a whole against the module, the rest go to the optimizer.
    SafetensorsFile params{file.path, {}, {}};
    std::vector<NamedArray> optimizer_tensors;
    for (auto& t : file.tensors)
        (starts_with(t.name, checkpoint_optimizer_prefix) ? optimizer_tensors : params.tensors).push_back(std::move(t));

    const auto named = model.state_dict();
    std::vector<TensorSpec> expected;
    for (const auto& [name, p] : named) expected.push_back({name, dtype_for<T>(), p.shape()});
    try {
        check_tensors(params, expected);
    } catch (const IoError& e) {
        // check_tensors names itself; say which operation failed instead.
        std::string msg = e.what();
        const std::string prefix = "check_tensors: ";
        if (starts_with(msg, prefix)) msg = msg.substr(prefix.size());
        throw IoError("load_checkpoint: " + msg);
    }

    if (optimizer) {
        if (info.optimizer.empty())
            throw IoError("load_checkpoint: '" + path + "' holds no optimizer state (saved without an optimizer)");
        if (info.optimizer != optimizer->name())
            throw IoError("load_checkpoint: '" + path + "' holds the state of " + info.optimizer +
                          ", not of the " + optimizer->name() + " it is loaded into");
        optim::OptimizerState<T> state;
        const std::size_t skip = std::string(checkpoint_optimizer_prefix).size();
        for (auto& t : optimizer_tensors) {
            std::string name = t.name.substr(skip);
            if (auto* scalar = std::get_if<Array<double>>(&t.value); scalar && scalar->dimension() == 0) {
                state.scalars.emplace_back(std::move(name), (*scalar)());
            } else if (auto* array = std::get_if<Array<T>>(&t.value)) {
                state.arrays.emplace_back(std::move(name), std::move(*array));
            } else {
                throw IoError("load_checkpoint: '" + path + "': '" + t.name + "' has dtype " +
                              dtype_name(dtype_of(t.value)) + " " + shape_str(array_shape(t.value)) + ", expected " +
                              dtype_name(dtype_for<T>()) + " (a buffer) or an F64 scalar (a step or lr)");
            }
        }
        try {
            optimizer->load_state(state);  // validates everything before it changes the optimizer
        } catch (const ValueError& e) {
            throw IoError("load_checkpoint: '" + path + "': " + e.what());
        }
    }

    // Every check passed: now change the parameters and buffers, in place so the handles the layers hold see the values.
    NoGradGuard no_grad;
    for (const auto& [name, p] : named) {
        Tensor<T> handle = p;
        handle.mutable_value() = params.get<T>(name);
    }
    return info;
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
    const SafetensorsFile file = load_safetensors(path);
    return info_from_metadata(path, file.metadata);
}

template void save_checkpoint<float>(const std::string&, const Module<float>&, const optim::Optimizer<float>*,
                                     const CheckpointInfo&);
template void save_checkpoint<double>(const std::string&, const Module<double>&, const optim::Optimizer<double>*,
                                      const CheckpointInfo&);
template CheckpointInfo load_checkpoint<float>(const std::string&, Module<float>&, optim::Optimizer<float>*);
template CheckpointInfo load_checkpoint<double>(const std::string&, Module<double>&, optim::Optimizer<double>*);

}  // namespace dg::nn
