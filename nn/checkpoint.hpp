// Checkpoints: a module's parameters, an optimizer's state and the training position in one safetensors file
// (readable by PyTorch's safetensors.torch.load_file), written atomically and checked name by name on load.
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/data/serialize.hpp"

namespace dg::nn {

namespace detail {
/// T itself, in a context that does not deduce it: save_checkpoint(path, model, nullptr) takes T from the model.
template <class T>
struct NonDeduced {
    using type = T;
};
}  // namespace detail

/// The layout of a checkpoint file (format version 1):
///   tensors  "<dotted name>"                         the module's state_dict(): its parameters and persistent buffers,
///                                                   dtype of T (F32 / F64), e.g. "fc1.weight", "bn.running_mean"
///            "optimizer.state.<i>.<buffer>"          optimizer buffers (exp_avg, momentum_buffer, ...), dtype of T
///            "optimizer.state.<i>.step"              step count of parameter i, F64 scalar (shape [])
///            "optimizer.param_groups.<g>.lr"         current learning rate of group g, F64 scalar
///   metadata format = "deltagrad-checkpoint", format_version = "1", dtype, optimizer (its name or ""),
///            epoch, batch, step, loader_state, generator_state, spec, options, and CheckpointInfo::extra; and a
///            crc32 per tensor, verified on load (save_safetensors).
/// The model's names are exactly Module::state_dict(), so the non-"optimizer." tensors form a PyTorch state_dict
/// for a model with the same module names.
inline constexpr const char* checkpoint_format = "deltagrad-checkpoint";
inline constexpr const char* checkpoint_optimizer_prefix = "optimizer.";

/// Where training stands and how it was configured: the metadata of a checkpoint.
struct CheckpointInfo {
    std::int64_t epoch = 0;       ///< epochs completed
    std::int64_t batch = 0;       ///< batches done in the current (unfinished) epoch
    std::int64_t step = 0;        ///< optimizer steps since the start of training
    std::string loader_state;     ///< data::to_text(LoaderState), "" when not saved
    std::string generator_state;  ///< Generator::state() of the training generator, "" when not saved
    std::string spec;             ///< the model's spec text (to rebuild it before loading)
    std::string options;          ///< the run's options, free-form (the train program writes JSON)
    std::string optimizer;        ///< set on load: the name of the optimizer that was saved ("" if none)
    Metadata extra;               ///< further string pairs; a key that clashes with the ones above is refused
};

/// Writes `model`'s state_dict() (parameters and persistent buffers), `optimizer`'s state (when not null, e.g.
/// `save_checkpoint(path, model, nullptr)`) and `info` to `path` atomically (a crash mid-write leaves the previous
/// file intact). ValueError if a name starts with "optimizer." or an extra key is reserved; IoError if the file
/// cannot be written.
template <class T>
void save_checkpoint(const std::string& path, const Module<T>& model,
                     const optim::Optimizer<typename detail::NonDeduced<T>::type>* optimizer,
                     const CheckpointInfo& info = {});

/// Loads `path` into `model` (and `optimizer` when not null) and returns the saved info. Everything is
/// checked before anything changes: the tensors' checksums (load_safetensors), their names, shapes and dtypes
/// against state_dict() (one IoError listing every missing, unexpected or wrongly shaped / typed tensor), then the
/// optimizer's name and state (IoError naming the file and the entry). With a null optimizer the optimizer's
/// tensors are ignored (weights only, e.g. for evaluation).
template <class T>
CheckpointInfo load_checkpoint(const std::string& path, Module<T>& model,
                               optim::Optimizer<typename detail::NonDeduced<T>::type>* optimizer);

/// Only the info of a checkpoint (e.g. its spec, to build the model before load_checkpoint). IoError if the
/// file is not a deltagrad checkpoint or its metadata is malformed.
CheckpointInfo read_checkpoint_info(const std::string& path);

extern template void save_checkpoint<float>(const std::string&, const Module<float>&, const optim::Optimizer<float>*,
                                            const CheckpointInfo&);
extern template void save_checkpoint<double>(const std::string&, const Module<double>&,
                                             const optim::Optimizer<double>*, const CheckpointInfo&);
extern template CheckpointInfo load_checkpoint<float>(const std::string&, Module<float>&, optim::Optimizer<float>*);
extern template CheckpointInfo load_checkpoint<double>(const std::string&, Module<double>&, optim::Optimizer<double>*);

}  // namespace dg::nn
