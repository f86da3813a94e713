// bpcheck for recurrent networks: autograd through the module and through an op-level unroll that exposes δ_t, the
// BPTT reference on plain arrays (Elman, LSTM, GRU), fourth-order central differences on a double copy, the per-layer and per-step
// comparison, and recurrent golden fixtures.
#include "nn/check/bpcheck_rnn.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

#include "autograd/array/errors.hpp"
#include "autograd/engine.hpp"
#include "autograd/ops.hpp"
#include "nn/data/serialize.hpp"
#include "nn/reference/bptt_gru.hpp"
#include "nn/reference/bptt_lstm.hpp"
#include "nn/reference/bptt_rnn.hpp"

namespace dg::nn {

namespace {

// ---- the op-level unroll: the network as linear + one recurrent op per layer + the head ---------------------------

/// One entry of a layer's input projection xp (layer < L) or of the head's z (layer == L) moved by `by`.
struct Nudge {
    std::size_t layer = 0;
    std::size_t flat = 0;
    double by = 0;
};

/// What the unroll records: the loss, every layer's input projection [T·N, G·H] and states [T·N, H], the head's z.
template <class T>
struct Unrolled {
    Tensor<T> loss, z;
    std::vector<Tensor<T>> xp, states;
};

template <class T>
Tensor<T> nudged(const Tensor<T>& t, const Nudge* nudge, std::size_t layer) {
    if (!nudge || nudge->layer != layer) return t;
    Array<T> step = xt::zeros<T>(t.shape());
    step.flat(nudge->flat) = static_cast<T>(nudge->by);
    return add(t, Tensor<T>(std::move(step)));
}

/// The network's loss computed step by step as RecurrentBase does for full-length sequences from zero states, with
/// xp_t and z as tensors of their own (so their gradients are δ) and an optional nudge of one of their entries.
template <class T>
Unrolled<T> unroll(const RecurrentNet<T>& net, const Tensor<T>& input, const Array<T>& Y, Loss loss,
                   const Nudge* nudge = nullptr) {
    const RecurrentSpec& spec = net.spec();
    const Tensor<T> x = spec.vocabulary ? (*net.embedding())(input) : input;  // [T, N, C]
    const std::size_t steps = x.shape()[0], N = x.shape()[1];
    Tensor<T> seq = reshape(x, {steps * N, spec.input});
    Unrolled<T> u;
    for (std::size_t k = 0; k < net.layers().size(); ++k) {
        const RecurrentBase<T>& layer = *net.layers()[k];
        const Tensor<T> xp = nudged(linear(seq, layer.weight_ih(0), layer.bias_ih(0)), nudge, k);
        const Tensor<T> h0 = Tensor<T>::zeros({N, layer.hidden_size()});
        const Tensor<T>&w = layer.weight_hh(0), &b = layer.bias_hh(0);
        switch (layer.kind()) {
            case RecurrentKind::rnn_tanh: seq = rnn_sequence(xp, h0, w, b, RnnNonlinearity::tanh); break;
            case RecurrentKind::rnn_relu: seq = rnn_sequence(xp, h0, w, b, RnnNonlinearity::relu); break;
            case RecurrentKind::lstm: seq = narrow(lstm_sequence(xp, h0, h0, w, b), 0, 0, steps * N); break;
            case RecurrentKind::gru: seq = gru_sequence(xp, h0, w, b); break;
        }
        u.xp.push_back(xp);
        u.states.push_back(seq);
    }
    const Tensor<T> rows =
        spec.loss_at == LossAt::every_step ? seq : narrow(seq, 0, (steps - 1) * N, N);
    u.z = nudged(linear(rows, net.head()->weight(), net.head()->bias()), nudge, net.layers().size());
    u.loss = check_loss(u.z, u.z, Y, loss);
    return u;
}

/// Which units are on (> 0) in every layer's states: what a ReLU network's finite difference must not change.
template <class T>
std::vector<bool> on_pattern(const Unrolled<T>& u) {
    std::vector<bool> on;
    for (const Tensor<T>& s : u.states)
        for (T v : s.value()) on.push_back(v > T(0));
    return on;
}

// ---- the reference's view -----------------------------------------------------------------------------------------

}  // namespace

template <class T>
Array<T> step_inputs(RecurrentNet<T>& net, const Array<T>& X) {
    if (!net.embedding()) return X;
    NoGradGuard no_grad;
    return (*net.embedding())(Tensor<T>(X)).value();
}

template <class P, class T>
P bptt_params(const RecurrentNet<T>& net) {
    P p;
    for (const auto& layer : net.layers()) {
        p.layers.push_back({layer->weight_ih(0).value(), layer->weight_hh(0).value(), layer->bias_ih(0).value(),
                            layer->bias_hh(0).value()});
        if constexpr (std::is_same_v<P, reference::RnnParams<T>>)
            p.layers.back().activation =
                net.spec().cell == RecurrentKind::rnn_relu ? ActivationKind::relu : ActivationKind::tanh;
    }
    p.head = {net.head()->weight().value(), net.head()->bias().value(), ActivationKind::identity, {}};
    return p;
}

namespace {

/// The gradients the BPTT reference gives, in the layout of the report.
template <class T>
struct ReferenceGradients {
    T loss = 0;
    std::vector<std::pair<std::string, Array<T>>> params;  ///< by state_dict name, as autograd's
    std::vector<std::vector<Array<T>>> delta;               ///< [layer][t]
    Array<T> head_delta;
};

template <class T>
ReferenceGradients<T> reference_gradients(RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss) {
    const RecurrentSpec& spec = net.spec();
    const Array<T> x = step_inputs(net, X);
    ReferenceGradients<T> r;
    const auto collect = [&](const auto& result) {
        r.loss = result.loss;
        if (spec.vocabulary) {  // ΔE[v] = Σ of ∂l/∂x_t over the positions holding token v
            Array<T> dE = xt::zeros<T>({spec.vocabulary, spec.input});
            const std::size_t N = X.shape()[1];
            for (std::size_t t = 0; t < result.dx.size(); ++t)
                for (std::size_t n = 0; n < N; ++n)
                    xt::view(dE, static_cast<std::size_t>(X(t, n))) += xt::view(result.dx[t], n);
            r.params.emplace_back("emb.weight", dE);
        }
        for (std::size_t k = 0; k < result.layers.size(); ++k) {
            const auto& l = result.layers[k];
            const std::string p = "rnn" + std::to_string(k + 1) + ".";
            r.params.emplace_back(p + "weight_ih_l0", l.dW_ih);
            r.params.emplace_back(p + "weight_hh_l0", l.dW_hh);
            r.params.emplace_back(p + "bias_ih_l0", l.db_ih);
            r.params.emplace_back(p + "bias_hh_l0", l.db_hh);
            r.delta.push_back(l.delta);
        }
        r.params.emplace_back("head.weight", result.head.dW);
        r.params.emplace_back("head.bias", result.head.db);
        r.head_delta = result.head.delta;
    };
    if (spec.cell == RecurrentKind::gru)
        collect(reference::bptt_gru(bptt_params<reference::GruParams<T>>(net), x, {}, Y, loss, spec.loss_at));
    else if (spec.cell == RecurrentKind::lstm)
        collect(reference::bptt_lstm(bptt_params<reference::LstmParams<T>>(net), x, {}, {}, Y, loss, spec.loss_at));
    else
        collect(reference::bptt_rnn(bptt_params<reference::RnnParams<T>>(net), x, {}, Y, loss, spec.loss_at));
    return r;
}

// ---- finite differences on a double copy ------------------------------------------------------------------------

/// The fourth-order central difference (8(f(h) − f(−h)) − (f(2h) − f(−2h))) / 12h of the loss f(v) = loss(v + entry)
/// for each chosen entry, flagged instead when `pattern` of the stencil differs from the unperturbed one.
template <class Loss_, class Pattern>
void central_differences(const Loss_& loss_at, const Pattern& pattern, double step,
                         const std::vector<std::size_t>& chosen, Array<double>& fd, std::vector<std::size_t>& compared,
                         std::vector<std::size_t>& flagged) {
    const auto base = pattern(0, 0.0);
    const double steps[4] = {-2 * step, -step, step, 2 * step};
    for (std::size_t flat : chosen) {
        double f[4];
        bool crossed = false;
        for (int s = 0; s < 4; ++s) {
            f[s] = loss_at(flat, steps[s]);
            crossed = crossed || pattern(flat, steps[s]) != base;
        }
        if (crossed) {
            flagged.push_back(flat);
            continue;
        }
        fd.flat(flat) = (8 * (f[2] - f[1]) - (f[3] - f[0])) / (12 * step);
        compared.push_back(flat);
    }
}

/// The report's name of a parameter and its layer (0 the embedding, 1 … L the recurrent layers, L + 1 the head).
std::pair<std::size_t, std::string> row_of(const std::string& name, std::size_t L) {
    if (name == "emb.weight") return {0, "E"};
    if (name == "head.weight") return {L + 1, "W"};
    if (name == "head.bias") return {L + 1, "b"};
    const std::size_t dot = name.find('.');
    const std::size_t k = std::stoul(name.substr(3, dot - 3));
    std::string q = name.substr(dot + 1, name.size() - dot - 4);  // "weight_ih" of "weight_ih_l0"
    q = (q[0] == 'w' ? "W" : "b") + q.substr(q.find('_'));
    return {k, q};
}

/// The per-step arrays [N, K] of one layer as one [T, N, K].
template <class T>
Array<T> steps_joined(const std::vector<Array<T>>& steps) {
    const Shape s = shape_of(steps.front());
    Array<T> out = Array<T>::from_shape({steps.size(), s[0], s[1]});
    for (std::size_t t = 0; t < steps.size(); ++t) std::copy(steps[t].begin(), steps[t].end(), out.data() + t * steps[t].size());
    return out;
}

}  // namespace

template <class T>
RecurrentGradients<T> autograd_gradients(RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss) {
    RecurrentGradients<T> g;
    const Tensor<T> x(X);
    net.zero_grad();
    const Tensor<T> out = net(x);
    const Tensor<T> l = check_loss(out, out, Y, loss);
    l.backward();
    g.loss = l.item();
    for (const auto& [name, p] : net.named_parameters())
        g.params.emplace_back(name, p.has_grad() ? Array<T>(p.grad().value()) : Array<T>(xt::zeros<T>(p.shape())));

    const Unrolled<T> u = unroll(net, x, Y, loss);
    g.unrolled_loss = u.loss.item();
    std::vector<Tensor<T>> wrt = u.xp;
    wrt.push_back(u.z);
    const std::vector<Tensor<T>> d = grad(std::vector<Tensor<T>>{u.loss}, wrt);
    const std::size_t steps = x.shape()[0], N = x.shape()[1];
    for (std::size_t k = 0; k < u.xp.size(); ++k) {
        g.delta.emplace_back();
        for (std::size_t t = 0; t < steps; ++t) g.delta[k].push_back(narrow(d[k], 0, t * N, N).value());
    }
    g.head_delta = d.back().value();
    return g;
}

template <class T>
BpcheckReport bpcheck(RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss,
                      const BpcheckOptions<T>& options) {
    if (!(options.eps > 0)) throw ValueError("bpcheck: eps must be positive, got " + std::to_string(options.eps));
    if (options.lambda != 0)
        throw ValueError("bpcheck: L2 (lambda) is not supported for recurrent networks: the BPTT reference has no penalty");
    if (options.reference) throw ValueError("bpcheck: options.reference is the MLP reference; a recurrent check has its own");
    const RecurrentSpec& spec = net.spec();
    const RecurrentGradients<T> g = autograd_gradients(net, X, Y, loss);
    const ReferenceGradients<T> ref = reference_gradients(net, X, Y, loss);
    for (std::size_t i = 0; i < g.params.size(); ++i)
        if (i >= ref.params.size() || ref.params[i].first != g.params[i].first)
            throw ValueError("bpcheck: the reference's gradients do not line up with parameter " + g.params[i].first);

    // The finite differences' network: a double copy (same parameters), X and Y in double.
    Generator unused(0);
    RecurrentNet<double> d(spec, unused);
    {
        NoGradGuard no_grad;
        const auto mine = net.named_parameters();
        auto theirs = d.named_parameters();
        for (std::size_t i = 0; i < mine.size(); ++i) theirs[i].second.mutable_value() = as_double(mine[i].second.value());
    }
    const Tensor<double> Xd(as_double(X));
    const Array<double> Yd = as_double(Y);
    const bool relu = spec.cell == RecurrentKind::rnn_relu;

    BpcheckReport report;
    report.spec = spec.str();
    report.loss = reference::loss_name(loss);
    report.dtype = dtype_label<T>();
    report.batch = X.shape()[1];
    report.tolerances = options.tolerances;
    report.fd_precision = "double";
    report.note = std::string("delta t<k> is the gradient at a layer's input projection x_t W_ih^T + b_ih at step k") +
                  (spec.cell == RecurrentKind::lstm ? " (the gates' pre-activations i, f, g, o)"
                   : spec.cell == RecurrentKind::gru ? " (blocks r, z, n)" : " (the pre-activation)") +
                  "; finite differences on a double copy, step by step";
    report.loss_autograd = static_cast<double>(g.loss);
    report.loss_reference = static_cast<double>(ref.loss);
    {
        NoGradGuard no_grad;
        report.loss_fd = unroll(d, Xd, Yd, loss).loss.item();
    }
    const Tolerance& at = options.tolerances.analytic;
    const auto agree = [&](double a, double b) {
        return std::abs(a - b) <= at.atol + at.rtol * std::max(std::abs(a), std::abs(b));
    };
    report.loss_ok = agree(report.loss_autograd, static_cast<double>(g.unrolled_loss)) &&
                     agree(report.loss_autograd, report.loss_reference);

    Generator gen(options.seed);
    const std::size_t L = spec.hidden.size();
    report.layers.resize(L + 2);
    for (std::size_t k = 0; k <= L + 1; ++k) report.layers[k].layer = k;
    report.layers[0].activation = "embedding";
    for (std::size_t k = 1; k <= L; ++k) report.layers[k].activation = cell_name(spec.cell);
    report.layers[L + 1].activation = loss == Loss::softmax_ce ? "softmax_ce" : loss == Loss::bce ? "bce_logits" : "identity";

    // One row: autograd's array against the reference's and the finite differences of `loss_at`.
    const auto add_row = [&](std::size_t layer, const std::string& name, const Array<T>& mine, const Array<T>& theirs,
                             const auto& loss_at, const auto& pattern) {
        QuantityCheck q;
        q.name = name;
        q.shape = shape_of(mine);
        if (shape_of(theirs) != q.shape)
            throw ShapeError("bpcheck: " + name + " of layer " + std::to_string(layer) + ": autograd " +
                             shape_str(q.shape) + ", reference " + shape_str(shape_of(theirs)));
        Array<double> fd = xt::zeros<double>(q.shape);
        std::vector<std::size_t> compared;
        const auto chosen = fd_indices(mine.size(), options.max_fd_per_quantity, gen);
        central_differences(loss_at, pattern, options.eps, chosen, fd, compared, q.flagged);
        fill_comparisons(q, as_double(mine), as_double(theirs), fd, compared, chosen.size(), options.tolerances);
        report.layers[layer].quantities.push_back(std::move(q));
    };

    NoGradGuard no_grad;  // the finite differences record nothing
    const auto parameters = d.named_parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        const auto& [name, p] = parameters[i];
        Tensor<double> target = p;
        const auto evaluate = [&](std::size_t flat, double by) {
            double& entry = target.mutable_value().flat(flat);
            const double saved = entry;
            entry = saved + by;
            Unrolled<double> u = unroll(d, Xd, Yd, loss);
            entry = saved;
            return u;
        };
        const auto loss_at = [&](std::size_t flat, double by) { return evaluate(flat, by).loss.item(); };
        const auto pattern = [&](std::size_t flat, double by) {
            return relu ? on_pattern(evaluate(flat, by)) : std::vector<bool>();
        };
        const auto [layer, row] = row_of(name, L);
        add_row(layer, row, g.params[i].second, ref.params[i].second, loss_at, pattern);
    }
    // δ: the loss as a function of one entry of xp_t of layer k, or of the head's z.
    for (std::size_t k = 0; k <= L; ++k) {
        const std::size_t steps = k < L ? g.delta[k].size() : 1;
        for (std::size_t t = 0; t < steps; ++t) {
            const Array<T>& mine = k < L ? g.delta[k][t] : g.head_delta;
            const std::size_t offset = k < L ? t * mine.size() : 0;  // step t's rows of xp [T·N, G·H]
            const auto evaluate = [&](std::size_t flat, double by) {
                const Nudge nudge{k, offset + flat, by};
                return unroll(d, Xd, Yd, loss, &nudge);
            };
            const auto loss_at = [&](std::size_t flat, double by) { return evaluate(flat, by).loss.item(); };
            const auto pattern = [&](std::size_t flat, double by) {
                return relu ? on_pattern(evaluate(flat, by)) : std::vector<bool>();
            };
            const Array<T>& theirs = k < L ? ref.delta[k][t] : ref.head_delta;
            add_row(k + 1, k < L ? "delta t" + std::to_string(t + 1) : "delta", mine, theirs, loss_at, pattern);
        }
    }
    if (!spec.vocabulary) report.layers.erase(report.layers.begin());
    return report;
}

template <class T>
CheckBatch<T> make_check_batch(const RecurrentSpec& spec, Loss loss, std::size_t batch, Generator& gen) {
    CheckBatch<T> b;
    if (spec.vocabulary) {
        b.X = xt::zeros<T>({spec.steps, batch});
        for (auto& v : b.X) v = static_cast<T>(gen.below(spec.vocabulary));
    } else {
        b.X = xt::zeros<T>({spec.steps, batch, spec.input});
        for (auto& v : b.X) v = static_cast<T>(gen.normal());
    }
    // The targets as an MLP check's, one row per step and sequence (or per sequence).
    const std::size_t rows = spec.loss_at == LossAt::every_step ? spec.steps * batch : batch;
    b.Y = make_check_batch<T>(MlpSpec{{1, spec.outputs}, {}}, loss, rows, gen).Y;
    return b;
}

// ---- fixtures ---------------------------------------------------------------------------------------------------

template <class T>
void save_bpcheck_fixture(const std::string& path, RecurrentNet<T>& net, const Array<T>& X, const Array<T>& Y,
                          Loss loss) {
    const RecurrentGradients<T> g = autograd_gradients(net, X, Y, loss);
    std::vector<NamedArray> tensors;
    for (const auto& [name, p] : net.named_parameters()) tensors.push_back({name, Array<T>(p.value())});
    tensors.push_back({"input", X});
    tensors.push_back({"target", Y});
    Array<T> loss_value = xt::zeros<T>(Shape{});
    loss_value() = g.loss;
    tensors.push_back({"loss", loss_value});
    for (const auto& [name, grad] : g.params) tensors.push_back({"grad." + name, grad});
    for (std::size_t k = 0; k < g.delta.size(); ++k)
        tensors.push_back({"grad.delta" + std::to_string(k + 1), steps_joined(g.delta[k])});
    tensors.push_back({"grad.z" + std::to_string(g.delta.size() + 1), g.head_delta});
    save_safetensors(path, tensors,
                     {{"format", fixture::format_tag},
                      {"spec", net.spec().str()},
                      {"loss", reference::loss_name(loss)},
                      {"lambda", "0"},
                      {"dtype", fixture::dtype_tag<T>()},
                      {"batch", std::to_string(X.shape()[1])}});
}

namespace {

template <class T>
FixtureReport check_recurrent_typed(const SafetensorsFile& file, const Tolerance* tolerance) {
    const Loss loss = reference::parse_loss(fixture::meta(file, "loss"));
    if (fixture::meta(file, "lambda") != "0")
        throw IoError(file.path + ": a recurrent fixture has lambda 0, got \"" + fixture::meta(file, "lambda") + "\"");
    Generator unused(0);  // every parameter is overwritten below
    RecurrentNet<T> net(fixture::meta(file, "spec"), unused);
    const RecurrentSpec& spec = net.spec();
    {
        NoGradGuard no_grad;
        for (auto& [name, p] : net.named_parameters()) p.mutable_value() = fixture::tensor<T>(file, name, p.shape());
    }
    const Array<T>& X = file.get<T>("input");
    const bool fits = X.dimension() == (spec.vocabulary ? 2u : 3u) && X.shape()[0] >= 1 && X.shape()[1] >= 1 &&
                      (spec.vocabulary || X.shape()[2] == spec.input);
    if (!fits)
        throw IoError(file.path + ": input is " + shape_str(shape_of(X)) + ", expected " +
                      (spec.vocabulary ? "[T, N] token indices" : "[T, N, " + std::to_string(spec.input) + "]"));
    const std::size_t rows = spec.loss_at == LossAt::every_step ? X.shape()[0] * X.shape()[1] : X.shape()[1];
    const Array<T>& Y = fixture::tensor<T>(file, "target", {rows, spec.outputs});
    if (spec.vocabulary)
        for (T v : X)
            if (!(v >= T(0) && v < T(spec.vocabulary) && std::floor(v) == v))
                throw IoError(file.path + ": input holds a token outside [0, " + std::to_string(spec.vocabulary) + ")");

    FixtureReport report;
    report.path = file.path;
    report.spec = spec.str();
    report.loss = reference::loss_name(loss);
    report.dtype = fixture::dtype_tag<T>();
    report.batch = X.shape()[1];
    report.tolerance = tolerance ? *tolerance : BpcheckTolerances::defaults<T>().analytic;
    const RecurrentGradients<T> g = autograd_gradients(net, X, Y, loss);
    const auto add = [&](std::size_t layer, const std::string& name, const Array<T>& computed) {
        const Array<T>& s = fixture::tensor<T>(file, name, shape_of(computed));
        report.rows.push_back({layer, name, shape_of(computed), compare_arrays(as_double(computed), as_double(s), report.tolerance)});
    };
    Array<T> loss_value = xt::zeros<T>(Shape{});
    loss_value() = g.loss;
    add(0, "loss", loss_value);
    const std::size_t L = spec.hidden.size();
    for (const auto& [name, grad] : g.params) add(row_of(name, L).first, "grad." + name, grad);
    for (std::size_t k = 0; k < L; ++k)
        add(k + 1, "grad.delta" + std::to_string(k + 1), steps_joined(g.delta[k]));
    add(L + 1, "grad.z" + std::to_string(L + 1), g.head_delta);
    return report;
}

}  // namespace

FixtureReport check_recurrent_fixture(const std::string& path, const Tolerance* tolerance) {
    const SafetensorsFile file = load_safetensors(path);
    const std::string& dtype = fixture::meta(file, "dtype");
    if (dtype == "F64") return check_recurrent_typed<double>(file, tolerance);
    if (dtype == "F32") return check_recurrent_typed<float>(file, tolerance);
    throw IoError(path + ": the fixture's dtype \"" + dtype + "\" is neither F64 nor F32");
}

#define DG_INSTANTIATE(T)                                                                                              \
    template Array<T> step_inputs<T>(RecurrentNet<T>&, const Array<T>&);                                              \
    template reference::RnnParams<T> bptt_params<reference::RnnParams<T>, T>(const RecurrentNet<T>&);                 \
    template reference::LstmParams<T> bptt_params<reference::LstmParams<T>, T>(const RecurrentNet<T>&);               \
    template reference::GruParams<T> bptt_params<reference::GruParams<T>, T>(const RecurrentNet<T>&);                 \
    template RecurrentGradients<T> autograd_gradients<T>(RecurrentNet<T>&, const Array<T>&, const Array<T>&, Loss);    \
    template BpcheckReport bpcheck<T>(RecurrentNet<T>&, const Array<T>&, const Array<T>&, Loss,                        \
                                      const BpcheckOptions<T>&);                                                       \
    template CheckBatch<T> make_check_batch<T>(const RecurrentSpec&, Loss, std::size_t, Generator&);                   \
    template void save_bpcheck_fixture<T>(const std::string&, RecurrentNet<T>&, const Array<T>&, const Array<T>&, Loss);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::nn
