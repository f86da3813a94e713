// bpcheck for CNNs: the reference's view of a Cnn, autograd's gradients per layer, fourth-order central differences on
// a double copy of the network with kink watching, the per-layer comparison, and CNN golden fixtures.
#include "nn/check/bpcheck_cnn.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "autograd/array/errors.hpp"
#include "autograd/engine.hpp"
#include "nn/check/bpcheck_show.hpp"
#include "nn/data/serialize.hpp"
#include "nn/layers/pooling.hpp"
#include "nn/reference/delta_loss.hpp"

namespace dg::nn {

namespace {

bool is_norm(CnnLayerKind k) { return k == CnnLayerKind::batch_norm || k == CnnLayerKind::layer_norm; }

/// The activation of layer l (0-based), identity when it has none.
ActivationSpec activation_of(const CnnSpec& spec, std::size_t l) {
    return spec.layers[l].activation.value_or(ActivationSpec{ActivationKind::identity, 0, {}});
}

/// Refuses custom activations (the reference has no formula; finite differences alone are dg::gradcheck's job) and an
/// output that does not fit the loss.
void check_activations(const CnnSpec& spec, Loss loss) {
    for (std::size_t l = 0; l < spec.layers.size(); ++l)
        if (activation_of(spec, l).kind == ActivationKind::custom)
            throw ValueError("bpcheck: layer " + std::to_string(l + 1) + "'s activation " + activation_of(spec, l).name() +
                             " is a custom activation, which the delta reference has no formula for (dg::gradcheck "
                             "compares its autograd gradients with finite differences)");
    reference_output_kind(loss, activation_of(spec, spec.layers.size() - 1));
}

/// The names of a layer's parameters in the report: W, b for conv and dense; gamma, beta for the norms.
std::vector<std::string> param_labels(CnnLayerKind k, std::size_t count) {
    std::vector<std::string> labels = is_norm(k) ? std::vector<std::string>{"gamma", "beta"} : std::vector<std::string>{"W", "b"};
    labels.resize(count);
    return labels;
}

/// A grouped convolution as the full one the reference computes: W [O, C/g, k, k] → [O, C, k, k], each output
/// channel's kernel zero outside the input channels of its group (output o is in group o / (O/g)).
template <class T>
Array<T> expand_groups(const Array<T>& W, std::size_t groups) {
    const std::size_t O = W.shape()[0], cg = W.shape()[1], kk = W.shape()[2] * W.shape()[3], og = O / groups;
    Array<T> full = xt::zeros<T>({O, cg * groups, W.shape()[2], W.shape()[3]});
    for (std::size_t o = 0; o < O; ++o)
        std::copy_n(W.data() + o * cg * kk, cg * kk, full.data() + (o * cg * groups + (o / og) * cg) * kk);
    return full;
}

/// The inverse view of a gradient of the full kernel: the entries of each output channel's own group, [O, C/g, k, k].
template <class T>
Array<T> restrict_groups(const Array<T>& full, std::size_t groups) {
    const std::size_t O = full.shape()[0], cg = full.shape()[1] / groups, kk = full.shape()[2] * full.shape()[3];
    const std::size_t og = O / groups;
    Array<T> W = Array<T>::from_shape({O, cg, full.shape()[2], full.shape()[3]});
    for (std::size_t o = 0; o < O; ++o)
        std::copy_n(full.data() + (o * cg * groups + (o / og) * cg) * kk, cg * kk, W.data() + o * cg * kk);
    return W;
}

/// X as images [m, C, H, W] (it may come as rows [m, C·H·W]).
template <class T>
Array<T> as_images(const CnnSpec& spec, const Array<T>& X) {
    if (X.dimension() == 4) return X;
    return xt::reshape_view(X, {X.shape()[0], spec.channels, spec.height, spec.width});
}

/// A copy of `cnn` in double, same spec, parameters and buffers, same mode.
template <class T>
std::shared_ptr<Cnn<double>> double_copy(const Cnn<T>& cnn) {
    Generator unused(0);  // every value is overwritten below
    auto copy = std::make_shared<Cnn<double>>(cnn.spec(), unused);
    NoGradGuard no_grad;
    const auto from = cnn.state_dict();
    auto to = copy->state_dict();
    for (std::size_t i = 0; i < to.size(); ++i) to[i].second.mutable_value() = xt::cast<double>(from[i].second.value());
    copy->train(cnn.is_training());
    return copy;
}

// ---- finite differences ----------------------------------------------------------------------------------------

/// The loss of the double copy from layer k on, with the pattern of every kink after the start: the signs of each
/// kinked activation's input and the arg-max of each max-pooling window. A change of pattern inside a stencil means
/// the loss is not smooth there.
struct FdNet {
    std::shared_ptr<Cnn<double>> net;
    Array<double> Y;
    Loss loss = Loss::mse;
    std::vector<Tensor<double>> z, a;  // the unperturbed forward
    Tensor<double> X;

    const Tensor<double>& input_of(std::size_t k) const { return k == 0 ? X : a[k - 1]; }

    static void pool_pattern(const Array<double>& in, const PoolOptions& o, std::vector<std::int64_t>& out) {
        const std::size_t n = in.shape()[0], c = in.shape()[1], h = in.shape()[2], w = in.shape()[3];
        const std::size_t oh = (h + 2 * o.padding.h - o.kernel.h) / o.stride.h + 1;
        const std::size_t ow = (w + 2 * o.padding.w - o.kernel.w) / o.stride.w + 1;
        for (std::size_t p = 0; p < n * c; ++p)
            for (std::size_t i = 0; i < oh; ++i)
                for (std::size_t j = 0; j < ow; ++j) {
                    double best = -std::numeric_limits<double>::infinity();
                    std::int64_t where = -1;
                    for (std::size_t u = 0; u < o.kernel.h; ++u)
                        for (std::size_t v = 0; v < o.kernel.w; ++v) {
                            const std::ptrdiff_t r = std::ptrdiff_t(i * o.stride.h + u) - std::ptrdiff_t(o.padding.h);
                            const std::ptrdiff_t s = std::ptrdiff_t(j * o.stride.w + v) - std::ptrdiff_t(o.padding.w);
                            if (r < 0 || s < 0 || r >= std::ptrdiff_t(h) || s >= std::ptrdiff_t(w)) continue;
                            const double x = in.data()[(p * h + r) * w + s];
                            if (x > best) {
                                best = x;
                                where = r * std::ptrdiff_t(w) + s;
                            }
                        }
                    out.push_back(where);
                }
    }

    /// The data loss with layer k (0-based) fed `start`: its input a(k−1) (start_is_z false) or its output z(k).
    double tail(std::size_t k, bool start_is_z, const Tensor<double>& start, std::vector<std::int64_t>* pattern) const {
        const auto& layers = net->layers();
        Tensor<double> in = start, zl, al;
        for (std::size_t l = k; l < layers.size(); ++l) {
            if (l == k && start_is_z) {
                zl = start;
            } else {
                if (pattern && layers[l].kind == CnnLayerKind::max_pool)
                    pool_pattern(in.value(), std::static_pointer_cast<MaxPool2d<double>>(layers[l].module)->options(),
                                 *pattern);
                zl = (*layers[l].module)(in);
            }
            al = layers[l].activation ? (*layers[l].activation)(zl) : zl;
            if (pattern && layers[l].activation && layers[l].activation->spec().kinked())
                for (double v : zl.value()) pattern->push_back((v > 0) - (v < 0));
            in = al;
        }
        return check_loss(al, zl, Y, loss).item();
    }
};

/// (8(f(h) − f(−h)) − (f(2h) − f(−2h))) / 12h for each chosen entry of a parameter of layer k (param ≥ 0) or of z(k)
/// (param < 0), flagged instead when the kink pattern of the stencil differs from the unperturbed one.
void cnn_finite_differences(FdNet& d, std::size_t k, int param, double step, const std::vector<std::size_t>& chosen,
                        Array<double>& fd, std::vector<std::size_t>& compared, std::vector<std::size_t>& flagged) {
    NoGradGuard no_grad;
    Tensor<double> target = param >= 0 ? d.net->layers()[k].module->parameters()[param] : d.z[k];
    fd = xt::zeros<double>(target.shape());
    const bool on_z = param < 0;
    std::vector<std::int64_t> base, pattern;
    d.tail(k, on_z, on_z ? d.z[k] : d.input_of(k), &base);
    const double steps[4] = {-2 * step, -step, step, 2 * step};
    for (std::size_t flat : chosen) {
        double f[4];
        bool crossed = false;
        for (int s = 0; s < 4; ++s) {
            Tensor<double> start = on_z ? Tensor<double>(Array<double>(d.z[k].value())) : d.input_of(k);
            double& entry = on_z ? start.mutable_value().data()[flat] : target.mutable_value().data()[flat];
            const double saved = entry;
            entry = saved + steps[s];
            pattern.clear();
            f[s] = d.tail(k, on_z, start, &pattern);
            entry = saved;
            crossed = crossed || pattern != base;
        }
        if (crossed) {
            flagged.push_back(flat);
            continue;
        }
        fd.data()[flat] = (8 * (f[2] - f[1]) - (f[3] - f[0])) / (12 * step);
        compared.push_back(flat);
    }
}

/// The buffers' values, to put back after a forward in training mode.
template <class T>
std::vector<Array<T>> buffer_values(const Module<T>& m) {
    std::vector<Array<T>> out;
    for (const auto& [name, t] : m.named_buffers()) out.push_back(t.value());
    return out;
}

template <class T>
void restore_buffers(Module<T>& m, const std::vector<Array<T>>& values) {
    NoGradGuard no_grad;
    auto buffers = m.named_buffers();
    for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].second.mutable_value() = values[i];
}

}  // namespace

template <class T>
std::string conv_reference_gap(const Cnn<T>& cnn) {
    const CnnSpec& spec = cnn.spec();
    for (std::size_t l = 0; l < spec.layers.size(); ++l) {
        const CnnLayerSpec& s = spec.layers[l];
        const std::string layer = "layer " + std::to_string(l + 1) + " (" + s.str() + ")";
        if (s.kind == CnnLayerKind::batch_norm)
            return layer + " is a batch normalization, which the conv delta reference leaves out";
        if (s.kind == CnnLayerKind::layer_norm)
            return layer + " is a layer normalization, which the conv delta reference leaves out";
    }
    return "";
}

template <class T>
reference::ConvNetParams<T> conv_reference_params(const Cnn<T>& cnn, Loss loss) {
    const CnnSpec& spec = cnn.spec();
    if (const std::string gap = conv_reference_gap(cnn); !gap.empty()) throw ValueError("bpcheck: " + gap);
    check_activations(spec, loss);
    using reference::ConvLayer;
    reference::ConvNetParams<T> net;
    for (std::size_t l = 0; l < spec.layers.size(); ++l) {
        const CnnLayerSpec& s = spec.layers[l];
        const ActivationSpec f = activation_of(spec, l);
        const ActivationKind kind = l + 1 == spec.layers.size() ? reference_output_kind(loss, f) : f.kind;
        const reference::Extent2 k{s.kernel, s.kernel}, st{s.stride, s.stride}, p{s.padding, s.padding};
        ConvLayer<T> r;
        const auto weights = [&](Array<T>& W, Array<T>& b) {
            const auto params = cnn.layers()[l].module->parameters();
            W = params[0].value();
            b = params.size() > 1 ? Array<T>(params[1].value()) : Array<T>(xt::zeros<T>({W.shape()[0]}));
        };
        Array<T> W, b;
        switch (s.kind) {
            case CnnLayerKind::conv:
                weights(W, b);
                r = ConvLayer<T>::conv(s.groups == 1 ? W : expand_groups(W, s.groups), b, kind, st, p,
                                       {s.dilation, s.dilation});
                break;
            case CnnLayerKind::max_pool: r = ConvLayer<T>::max_pool(k, st, p); break;
            case CnnLayerKind::avg_pool: r = ConvLayer<T>::avg_pool(k, st, p); break;
            case CnnLayerKind::flatten: r = ConvLayer<T>::flatten(); break;
            case CnnLayerKind::dense:
                weights(W, b);
                r = ConvLayer<T>::dense(W, b, kind);
                break;
            default: break;  // the norms: refused above
        }
        r.activation = kind;  // the pools and flatten carry theirs too: the reference applies any layer's f
        r.alpha = static_cast<T>(f.alpha);
        net.layers.push_back(std::move(r));
    }
    return net;
}

template <class T>
CnnGradients<T> autograd_gradients(Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, Loss loss) {
    check_activations(cnn.spec(), loss);
    if (Y.dimension() != 2 || X.dimension() == 0 || X.shape()[0] != Y.shape()[0] ||
        Y.shape()[1] != cnn.spec().output_features())
        throw ShapeError("bpcheck: X and Y must be [m, " + shape_str(cnn.spec().input_shape()).substr(1) + " and [m, " +
                         std::to_string(cnn.spec().output_features()) + "], got " + shape_str(shape_of(X)) + " and " +
                         shape_str(shape_of(Y)));
    const std::vector<Array<T>> buffers = buffer_values(cnn);
    cnn.zero_grad();
    cnn.record_preactivations(true);
    Tensor<T> out;
    try {
        out = cnn(Tensor<T>(X));
    } catch (...) {
        cnn.record_preactivations(false);
        throw;
    }
    const std::vector<Tensor<T>> z = cnn.preactivations();
    cnn.record_preactivations(false);
    restore_buffers(cnn, buffers);
    const Tensor<T> l = check_loss(out, z.back(), Y, loss);
    l.backward();

    CnnGradients<T> g;
    g.loss = l.item();
    const auto grad_or_zeros = [](const Tensor<T>& t) -> Array<T> {
        return t.has_grad() ? Array<T>(t.grad().value()) : Array<T>(xt::zeros<T>(t.shape()));
    };
    for (std::size_t k = 0; k < cnn.num_layers(); ++k) {
        std::vector<Array<T>> params;
        for (const Tensor<T>& p : cnn.layers()[k].module->parameters()) params.push_back(grad_or_zeros(p));
        g.params.push_back(std::move(params));
        g.delta.push_back(grad_or_zeros(z[k]));
    }
    return g;
}

template <class T>
BpcheckReport bpcheck(Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, Loss loss, const BpcheckOptions<T>& options) {
    if (!(options.eps > 0)) throw ValueError("bpcheck: eps must be positive, got " + std::to_string(options.eps));
    if (options.lambda != 0)
        throw ValueError("bpcheck: L2 (lambda) is checked on MLP specs only; the conv delta reference has no penalty term");
    const CnnGradients<T> autograd = autograd_gradients(cnn, X, Y, loss);
    const std::string gap = conv_reference_gap(cnn);
    reference::ConvBackpropResult<T> ref;
    if (gap.empty()) ref = reference::conv_backprop(conv_reference_params(cnn, loss), as_images(cnn.spec(), X), Y, loss);

    FdNet d;
    d.net = double_copy(cnn);
    d.Y = as_double(Y);
    d.loss = loss;
    {
        NoGradGuard no_grad;
        const std::vector<Array<double>> buffers = buffer_values(*d.net);
        d.net->record_preactivations(true);
        d.X = Tensor<double>(as_double(as_images(cnn.spec(), X)));
        (*d.net)(d.X);
        d.z = d.net->preactivations();
        d.a = d.net->layer_outputs();
        d.net->record_preactivations(false);
        restore_buffers(*d.net, buffers);
    }

    BpcheckReport report;
    report.spec = cnn.spec().str();
    report.loss = reference::loss_name(loss);
    report.dtype = dtype_label<T>();
    report.batch = X.shape()[0];
    report.tolerances = options.tolerances;
    report.reference_run = gap.empty();
    report.convention = batch_convention(loss, activation_of(cnn.spec(), cnn.num_layers() - 1).name(), cnn.num_layers(),
                                         report.batch, cnn.spec().output_features(), 0, /*conv=*/true);
    report.fd_precision = "double";
    report.note = "finite differences of the network's own forward pass in double (no graph)";
    if (!gap.empty())
        report.note = gap + ": checked two ways, autograd vs finite differences; " + report.note;
    report.loss_autograd = static_cast<double>(autograd.loss);
    report.loss_reference = gap.empty() ? static_cast<double>(ref.loss) : report.loss_autograd;
    {
        NoGradGuard no_grad;
        report.loss_fd = d.tail(0, false, d.X, nullptr);
    }
    const double loss_err = std::abs(report.loss_autograd - report.loss_reference);
    report.loss_ok = loss_err <= options.tolerances.analytic.atol +
                                     options.tolerances.analytic.rtol *
                                         std::max(std::abs(report.loss_autograd), std::abs(report.loss_reference));

    Generator gen(options.seed);
    const CnnSpec& spec = cnn.spec();
    for (std::size_t k = 0; k < cnn.num_layers(); ++k) {
        LayerCheck layer;
        layer.layer = k + 1;
        const ActivationSpec f = activation_of(spec, k);
        std::string act = f.kind == ActivationKind::identity ? "" : " " + f.str();
        if (k + 1 == cnn.num_layers() && loss == Loss::softmax_ce) act = " softmax_ce";
        if (k + 1 == cnn.num_layers() && loss == Loss::bce) act = " bce_logits";
        layer.activation = spec.layers[k].str() + act;
        const std::vector<std::string> labels = param_labels(spec.layers[k].kind, autograd.params[k].size());
        for (int q = 0; q <= static_cast<int>(labels.size()); ++q) {
            const bool is_delta = q == static_cast<int>(labels.size());
            const Array<T>& mine = is_delta ? autograd.delta[k] : autograd.params[k][q];
            QuantityCheck check;
            check.name = is_delta ? "delta" : labels[q];
            check.shape = shape_of(mine);
            Array<double> mine_d = as_double(mine);
            Array<double> theirs_d;
            if (gap.empty()) {
                const auto& r = ref.layers[k];
                const Array<T>& theirs = is_delta ? r.delta
                                         : q == 0 ? (spec.layers[k].groups == 1 ? r.dW : restrict_groups(r.dW, spec.layers[k].groups))
                                                  : r.db;
                if (shape_of(theirs) != check.shape)
                    throw ShapeError("bpcheck: layer " + std::to_string(k + 1) + " " + check.name + ": autograd " +
                                     shape_str(check.shape) + ", reference " + shape_str(shape_of(theirs)));
                theirs_d = as_double(theirs);
            }
            Array<double> fd;
            std::vector<std::size_t> compared;
            const auto chosen = fd_indices(mine.size(), options.max_fd_per_quantity, gen);
            cnn_finite_differences(d, k, is_delta ? -1 : q, options.eps, chosen, fd, compared, check.flagged);
            // theirs_d is empty when the reference was not run: then autograd is checked against fd alone.
            fill_comparisons(check, std::move(mine_d), std::move(theirs_d), fd, compared, chosen.size(), options.tolerances);
            layer.quantities.push_back(std::move(check));
        }
        report.layers.push_back(std::move(layer));
    }
    return report;
}

template <class T>
CheckBatch<T> make_check_batch(const CnnSpec& spec, Loss loss, std::size_t batch, Generator& gen) {
    MlpSpec rows;  // the same draws as an MLP check of input width C·H·W
    rows.sizes = {spec.input_features(), spec.output_features()};
    CheckBatch<T> b = make_check_batch<T>(rows, loss, batch, gen);
    b.X.reshape({batch, spec.channels, spec.height, spec.width});
    return b;
}

// ---- fixtures -------------------------------------------------------------------------------------------------

namespace {

using fixture::dtype_tag;
using fixture::meta;

std::string delta_tensor_name(std::size_t l) { return "z" + std::to_string(l); }

template <class T>
FixtureReport check_cnn_typed(const SafetensorsFile& file, const Tolerance* tolerance) {
    const Loss loss = reference::parse_loss(meta(file, "loss"));
    if (meta(file, "lambda") != "0")
        throw IoError(file.path + ": a CNN fixture has lambda 0, got \"" + meta(file, "lambda") + "\"");
    Generator unused(0);  // every parameter is overwritten below
    Cnn<T> cnn(meta(file, "spec"), unused);
    {
        NoGradGuard no_grad;
        for (auto& [name, p] : cnn.named_parameters()) p.mutable_value() = fixture::tensor<T>(file, name, p.shape());
    }
    const Shape image = cnn.spec().input_shape();
    const Array<T>& X = file.get<T>("input");
    if (X.dimension() != 4 || !std::equal(image.begin(), image.end(), X.shape().begin() + 1))
        throw IoError(file.path + ": input is " + shape_str(shape_of(X)) + ", expected [m, " +
                      shape_str(image).substr(1));
    const Array<T>& Y = fixture::tensor<T>(file, "target", {X.shape()[0], cnn.spec().output_features()});

    FixtureReport report;
    report.path = file.path;
    report.spec = cnn.spec().str();
    report.loss = reference::loss_name(loss);
    report.dtype = dtype_tag<T>();
    report.batch = X.shape()[0];
    report.tolerance = tolerance ? *tolerance : BpcheckTolerances::defaults<T>().analytic;
    const CnnGradients<T> g = autograd_gradients(cnn, X, Y, loss);
    auto add = [&](std::size_t layer, const std::string& name, const Array<T>& computed) {
        const Array<T>& s = fixture::tensor<T>(file, name, shape_of(computed));
        report.rows.push_back({layer, name, shape_of(computed),
                               compare_arrays(xt::cast<double>(computed), xt::cast<double>(s), report.tolerance)});
    };
    Array<T> loss_value = xt::zeros<T>(Shape{});
    loss_value() = g.loss;
    add(0, "loss", loss_value);
    const auto named = cnn.named_parameters();
    std::size_t p = 0;
    for (std::size_t l = 1; l <= cnn.num_layers(); ++l) {
        for (const Array<T>& grad : g.params[l - 1]) add(l, "grad." + named[p++].first, grad);
        add(l, "grad." + delta_tensor_name(l), g.delta[l - 1]);
    }
    return report;
}

}  // namespace

template <class T>
void save_bpcheck_fixture(const std::string& path, Cnn<T>& cnn, const Array<T>& X, const Array<T>& Y, Loss loss) {
    const CnnGradients<T> g = autograd_gradients(cnn, X, Y, loss);
    std::vector<NamedArray> tensors;
    const auto named = cnn.named_parameters();
    for (const auto& [name, p] : named) tensors.push_back({name, Array<T>(p.value())});
    const CnnSpec& s = cnn.spec();
    tensors.push_back({"input", as_images(s, X)});
    tensors.push_back({"target", Y});
    Array<T> loss_value = xt::zeros<T>(Shape{});
    loss_value() = g.loss;
    tensors.push_back({"loss", loss_value});
    std::size_t p = 0;
    for (std::size_t l = 1; l <= cnn.num_layers(); ++l) {
        for (const Array<T>& grad : g.params[l - 1]) tensors.push_back({"grad." + named[p++].first, grad});
        tensors.push_back({"grad." + delta_tensor_name(l), g.delta[l - 1]});
    }
    save_safetensors(path, tensors,
                     {{"format", fixture::format_tag}, {"spec", s.str()}, {"loss", reference::loss_name(loss)},
                      {"lambda", "0"}, {"dtype", dtype_tag<T>()}, {"batch", std::to_string(X.shape()[0])}});
}

FixtureReport check_cnn_fixture(const std::string& path, const Tolerance* tolerance) {
    const SafetensorsFile file = load_safetensors(path);
    const std::string& dtype = meta(file, "dtype");
    if (dtype == "F64") return check_cnn_typed<double>(file, tolerance);
    if (dtype == "F32") return check_cnn_typed<float>(file, tolerance);
    throw IoError(path + ": the fixture's dtype \"" + dtype + "\" is neither F64 nor F32");
}

#define DG_INSTANTIATE(T)                                                                                          \
    template std::string conv_reference_gap<T>(const Cnn<T>&);                                                    \
    template reference::ConvNetParams<T> conv_reference_params<T>(const Cnn<T>&, Loss);                            \
    template CnnGradients<T> autograd_gradients<T>(Cnn<T>&, const Array<T>&, const Array<T>&, Loss);               \
    template BpcheckReport bpcheck<T>(Cnn<T>&, const Array<T>&, const Array<T>&, Loss, const BpcheckOptions<T>&);  \
    template CheckBatch<T> make_check_batch<T>(const CnnSpec&, Loss, std::size_t, Generator&);                     \
    template void save_bpcheck_fixture<T>(const std::string&, Cnn<T>&, const Array<T>&, const Array<T>&, Loss);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::nn
