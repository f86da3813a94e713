// bpcheck: autograd's gradients, the reference's, and fourth-order central differences of the loss in long double
// (with kink detection), compared layer by layer into a BpcheckReport.
#include "nn/check/bpcheck.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "autograd/engine.hpp"
#include "autograd/array/errors.hpp"
#include "autograd/ops.hpp"
#include "nn/check/bpcheck_show.hpp"
#include "nn/loss.hpp"
#include "nn/reference/delta_activation.hpp"
#include "nn/reference/delta_loss.hpp"

namespace dg::nn {

template <>
BpcheckTolerances BpcheckTolerances::defaults<double>() {
    return {{1e-13, 1e-9}, {1e-11, 1e-8}};
}
template <>
BpcheckTolerances BpcheckTolerances::defaults<float>() {
    return {{1e-6, 1e-4}, {1e-6, 1e-3}};
}

template <>
const char* dtype_label<double>() {
    return "double";
}
template <>
const char* dtype_label<float>() {
    return "float";
}

std::string index_str(const Shape& shape, std::size_t flat) {
    std::vector<std::size_t> idx(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    std::string s = "[";
    for (std::size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
    return s + "]";
}

void fill_comparisons(QuantityCheck& q, Array<double> autograd, Array<double> reference, const Array<double>& fd,
                      const std::vector<std::size_t>& compared, std::size_t fd_count, const BpcheckTolerances& tol) {
    const bool with_reference = reference.dimension() != 0;  // a default Array (0-d) when the reference did not run
    if (with_reference) q.autograd_vs_reference = compare_arrays(autograd, reference, tol.analytic);
    q.fd_count = fd_count;
    q.autograd_vs_fd = compare_arrays(autograd, fd, tol.numeric, &compared);
    if (with_reference) q.reference_vs_fd = compare_arrays(reference, fd, tol.numeric, &compared);
    q.autograd = std::move(autograd);
    q.reference = std::move(reference);
    q.fd = xt::full_like(fd, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i : compared) q.fd.flat(i) = fd.flat(i);
}

Comparison compare_arrays(const Array<double>& a, const Array<double>& b, const Tolerance& tol,
                          const std::vector<std::size_t>* only) {
    if (a.size() != b.size())
        throw ShapeError("compare_arrays: " + shape_str(shape_of(a)) + " vs " + shape_str(shape_of(b)));
    double scale = 0;
    for (std::size_t i = 0; i < a.size(); ++i) scale = std::max({scale, std::abs(a.flat(i)), std::abs(b.flat(i))});
    Comparison c;
    bool nan = false;  // NaN never compares greater: the first one is the worst element outright
    auto visit = [&](std::size_t i) {
        const double err = std::abs(a.flat(i) - b.flat(i));
        ++c.compared;
        if (nan) return;
        if (std::isnan(err) || c.compared == 1 || err > c.max_abs) {
            nan = std::isnan(err);
            c.max_abs = err;
            c.worst = i;
            c.a = a.flat(i);
            c.b = b.flat(i);
        }
    };
    if (only) {
        for (std::size_t i : *only) visit(i);
    } else {
        for (std::size_t i = 0; i < a.size(); ++i) visit(i);
    }
    c.max_rel = nan ? c.max_abs : c.max_abs == 0 ? 0 : scale > 0 ? c.max_abs / scale : std::numeric_limits<double>::infinity();
    c.ok = !std::isnan(c.max_abs) && (c.max_abs <= tol.atol || c.max_rel <= tol.rtol);
    return c;
}

bool LayerCheck::ok() const {
    return std::all_of(quantities.begin(), quantities.end(), [](const QuantityCheck& q) { return q.ok(); });
}

bool BpcheckReport::ok() const {
    return loss_ok && std::all_of(layers.begin(), layers.end(), [](const LayerCheck& l) { return l.ok(); });
}

std::size_t BpcheckReport::flagged_count() const {
    std::size_t n = 0;
    for (const auto& l : layers)
        for (const auto& q : l.quantities) n += q.flagged.size();
    return n;
}

std::size_t BpcheckReport::fd_count() const {
    std::size_t n = 0;
    for (const auto& l : layers)
        for (const auto& q : l.quantities) n += q.fd_count;
    return n;
}

namespace {

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

}  // namespace

std::string BpcheckReport::table(bool header) const {
    std::ostringstream out;
    if (header)
        out << "bpcheck " << spec << "  loss " << loss << "  lambda " << lambda << "  batch " << batch << "  " << dtype
            << "\n" << convention;
    out << "loss value: autograd " << fmt("%.12g", loss_autograd) << "  reference "
        << (reference_run ? fmt("%.12g", loss_reference) : std::string("- (not run)")) << "  fd "
        << fmt("%.12g", loss_fd) << (loss_ok ? "" : "  MISMATCH") << "\n";
    if (!note.empty()) out << "note: " << note << "\n";
    std::size_t act_width = 12;  // a CNN's layers are named by their spec token and activation ("c8k3p1 relu")
    std::size_t shape_width = 9, qty_width = 6;  // a recurrent layer's rows are named per step ("delta t12")
    for (const LayerCheck& l : layers) {
        act_width = std::max(act_width, l.activation.size() + 2);
        for (const QuantityCheck& q : l.quantities) {
            shape_width = std::max(shape_width, shape_str(q.shape).size() + 1);
            qty_width = std::max(qty_width, q.name.size() + 1);
        }
    }
    out << pad("layer", 6) << pad("act", act_width) << pad("qty", qty_width) << pad("shape", shape_width) << pad("autograd-ref abs/rel", 22)
        << pad("autograd-fd abs/rel", 22) << pad("ref-fd abs/rel", 22) << pad("fd", 5) << pad("kinks", 6) << "ok\n";
    auto cell = [](const Comparison& c) {
        if (c.compared == 0) return pad("-", 22);
        return pad(fmt("%.1e", c.max_abs) + " " + fmt("%.1e", c.max_rel), 22);
    };
    for (const LayerCheck& l : layers) {
        for (const QuantityCheck& q : l.quantities) {
            out << pad(std::to_string(l.layer), 6) << pad(l.activation, act_width) << pad(q.name, qty_width)
                << pad(shape_str(q.shape), shape_width) << cell(q.autograd_vs_reference) << cell(q.autograd_vs_fd)
                << cell(q.reference_vs_fd) << pad(std::to_string(q.fd_count), 5)
                << pad(std::to_string(q.flagged.size()), 6) << (q.ok() ? "ok" : "FAIL") << "\n";
            const std::pair<const char*, const Comparison*> comps[] = {{"autograd vs reference", &q.autograd_vs_reference},
                                                                       {"autograd vs fd", &q.autograd_vs_fd},
                                                                       {"reference vs fd", &q.reference_vs_fd}};
            for (const auto& [what, c] : comps) {
                if (c->ok) continue;
                out << "      worst " << what << ": " << q.name << index_str(q.shape, c->worst) << " "
                    << fmt("%.12g", c->a) << " vs " << fmt("%.12g", c->b) << "\n";
            }
        }
    }
    out << "abs/rel: the largest |x − y| over the quantity, and it divided by the quantity's largest |value|; an entry\n"
           "  passes when abs ≤ atol or rel ≤ rtol (rtol autograd-ref "
        << fmt("%g", tolerances.analytic.rtol) << ", with fd " << fmt("%g", tolerances.numeric.rtol)
        << ").\n"
           "fd: central finite differences of the loss on a forward pass of their own (its loss is the fd value above),\n"
           "  in "
        << fd_precision <<
        "; column fd: entries differentiated, kinks: those left out because their stencil crossed a kink;\n"
           "  \"-\": nothing compared.\n";
    out << (ok() ? "PASS" : "FAIL") << ": " << layers.size() << " layers, " << fd_count()
        << " finite-difference coordinates, " << flagged_count() << " flagged at kinks\n";
    return out.str();
}

// ---- the reference's view, autograd's gradients -------------------------------------------------------------

void check_output_count(Loss loss, std::size_t outputs, const std::string& who) {
    if (loss == Loss::softmax_ce && outputs < 2)
        throw ValueError(who + ": softmax_ce needs at least 2 outputs (the softmax of one output is always 1, so the loss "
                               "is 0 and every gradient 0 whatever the weights), got " + std::to_string(outputs) +
                         "; use bce for one output");
}

ActivationKind reference_output_kind(Loss loss, const ActivationSpec& f) {
    const bool logits = f.kind == ActivationKind::identity;
    const bool fits = loss == Loss::softmax_ce ? logits || f.kind == ActivationKind::softmax
                      : loss == Loss::bce      ? logits || f.kind == ActivationKind::sigmoid
                                               : f.elementwise();
    if (!fits)
        throw ValueError(std::string("bpcheck: loss ") + reference::loss_name(loss) + " does not fit output activation " +
                         f.name() +
                         " (softmax_ce: identity or softmax; bce: identity or sigmoid; mse, mse_half: an elementwise "
                         "activation)");
    return loss == Loss::softmax_ce ? ActivationKind::identity : f.kind;  // the fused head takes the logits z(L)
}

template <class T>
reference::MlpParams<T> reference_params(const Mlp<T>& mlp, Loss loss) {
    reference::MlpParams<T> net;
    const auto arrays = mlp.layer_arrays();
    for (std::size_t l = 0; l < arrays.size(); ++l) {
        const ActivationSpec& f = arrays[l].activation;
        if (f.kind == ActivationKind::custom)
            throw ValueError("bpcheck: layer " + std::to_string(l + 1) + "'s activation " + f.name() +
                             " is a custom activation, which the delta reference has no formula for (dg::gradcheck "
                             "compares its autograd gradients with finite differences)");
        const ActivationKind kind = l + 1 == arrays.size() ? reference_output_kind(loss, f) : f.kind;
        net.layers.push_back({arrays[l].W, arrays[l].b, kind, static_cast<T>(f.alpha)});
    }
    return net;
}

namespace {

// Class indices when every row of Y is one-hot (then the fused index path is used), else nothing.
template <class T>
bool one_hot_indices(const Array<T>& Y, std::vector<std::size_t>& index) {
    const std::size_t m = Y.shape()[0], n = Y.shape()[1];
    index.assign(m, 0);
    for (std::size_t r = 0; r < m; ++r) {
        std::size_t ones = 0;
        for (std::size_t c = 0; c < n; ++c) {
            const T v = Y(r, c);
            if (v == T(1)) {
                ++ones;
                index[r] = c;
            } else if (v != T(0)) {
                return false;
            }
        }
        if (ones != 1) return false;
    }
    return true;
}

}  // namespace

template <class T>
Tensor<T> check_loss(const Tensor<T>& out, const Tensor<T>& z_last, const Array<T>& Y, Loss loss) {
    const Tensor<T> y(Y);
    switch (loss) {
        case Loss::mse: return mse(out, y);
        case Loss::mse_half: return mse_half(out, y);
        case Loss::softmax_ce: {
            std::vector<std::size_t> index;
            return one_hot_indices(Y, index) ? cross_entropy(z_last, index) : cross_entropy(z_last, y);
        }
        case Loss::bce: return bce_with_logits(z_last, y);
    }
    throw ValueError("bpcheck: unknown loss");
}

template <class T>
MlpGradients<T> autograd_gradients(Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, Loss loss, double lambda) {
    reference_params(mlp, loss);  // the same head check as the reference's
    if (X.dimension() != 2 || Y.dimension() != 2 || X.shape()[0] != Y.shape()[0])
        throw ShapeError("bpcheck: X and Y must be [m, n0] and [m, nL], got " + shape_str(shape_of(X)) + " and " +
                         shape_str(shape_of(Y)));
    mlp.zero_grad();
    mlp.record_preactivations(true);
    const Tensor<T> out = mlp(Tensor<T>(X));
    const std::vector<Tensor<T>> z = mlp.preactivations();
    mlp.record_preactivations(false);
    Tensor<T> l = check_loss(out, z.back(), Y, loss);
    if (lambda != 0) l = l + l2_penalty(static_cast<const Module<T>&>(mlp), lambda, X.shape()[0]);
    l.backward();

    MlpGradients<T> g;
    g.loss = l.item();
    for (std::size_t k = 0; k < mlp.num_layers(); ++k) {
        const auto& layer = mlp.layers()[k];
        auto grad_or_zeros = [](const Tensor<T>& t) -> Array<T> {
            return t.has_grad() ? Array<T>(t.grad().value()) : Array<T>(xt::zeros<T>(t.shape()));
        };
        g.dW.push_back(grad_or_zeros(layer.weight()));
        g.db.push_back(layer.linear->has_bias() ? grad_or_zeros(layer.bias())
                                                : Array<T>(xt::zeros<T>({layer.linear->out_features()})));
        g.delta.push_back(grad_or_zeros(z[k]));
    }
    return g;
}

// ---- finite differences, in extended precision ------------------------------------------------------------------

namespace {

// The finite differences' own forward pass in long double (x86's 64-bit mantissa): the stencil's roundoff,
// ε·|loss|/h, then stays far below the 1e-9 the checks ask for. The linear layers and the loss heads are written
// here; f is the reference's formula (delta_activation.hpp, instantiated for long double), not a third copy: the
// finite differences check f' and δ, and the loss value of autograd against the reference's checks f itself.
using Real = long double;
using RealArray = Array<Real>;

template <class T>
RealArray to_real(const Array<T>& a) {
    return xt::cast<Real>(a);
}

struct FdLayer {
    RealArray W;  // [n_out, n_in]
    RealArray b;  // [n_out]
    ActivationKind f = ActivationKind::identity;
    Real alpha = 0;
};

// The loss as a function of one layer's pre-activations z(k) (everything before k held fixed).
struct FdModel {
    std::vector<FdLayer> layers;
    RealArray X, Y;
    Loss loss = Loss::mse;
    Real lambda = 0;
    std::vector<RealArray> z, a;  // the unperturbed forward (a(L) unused: the tail applies the loss's head)
    std::vector<bool> kink;       // layer l's activation has a kink (the loss's head never does)
    Real weight_sq = 0;           // Σ‖W‖²

    Real penalty(Real sq) const { return lambda / (2 * static_cast<Real>(X.shape()[0])) * sq; }
    const RealArray& input_of(std::size_t k) const { return k == 0 ? X : a[k - 1]; }

    static RealArray linear(const RealArray& in, const FdLayer& p) {
        const std::size_t m = in.shape()[0], n_in = in.shape()[1], n_out = p.W.shape()[0];
        RealArray z = RealArray::from_shape({m, n_out});
        for (std::size_t r = 0; r < m; ++r)
            for (std::size_t i = 0; i < n_out; ++i) {
                Real acc = p.b(i);
                for (std::size_t c = 0; c < n_in; ++c) acc += in(r, c) * p.W(i, c);
                z(r, i) = acc;
            }
        return z;
    }

    // The data loss from the logits / outputs z(L): the loss's head and the batch conventions of the notes.
    Real head(const RealArray& zL, const FdLayer& p) const {
        const std::size_t rows = zL.shape()[0], cols = zL.shape()[1];
        const Real m = static_cast<Real>(rows), n = static_cast<Real>(cols);
        Real sum = 0;
        if (loss == Loss::softmax_ce) {  // Σ_c y_c (logsumexp(z) − z_c)
            for (std::size_t r = 0; r < rows; ++r) {
                Real mx = zL(r, 0), se = 0;
                for (std::size_t c = 1; c < cols; ++c) mx = std::max(mx, zL(r, c));
                for (std::size_t c = 0; c < cols; ++c) se += std::exp(zL(r, c) - mx);
                const Real lse = mx + std::log(se);
                for (std::size_t c = 0; c < cols; ++c) sum += Y(r, c) * (lse - zL(r, c));
            }
            return sum / m;
        }
        if (loss == Loss::bce) {  // −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z
            const RealArray sp = reference::activate(ActivationKind::softplus, zL, Real(0));
            for (std::size_t k = 0; k < zL.size(); ++k) sum += sp.flat(k) - zL.flat(k) * Y.flat(k);
            return sum / (m * n);
        }
        const RealArray out = reference::activate(p.f, zL, p.alpha);
        for (std::size_t k = 0; k < zL.size(); ++k) sum += (out.flat(k) - Y.flat(k)) * (out.flat(k) - Y.flat(k));
        return loss == Loss::mse_half ? sum / (2 * m) : sum / (m * n);
    }

    // The data loss from z(k) = zk on; the signs of every kinked pre-activation from layer k on go to `signs`.
    Real tail(std::size_t k, const RealArray& zk, std::vector<signed char>* signs) const {
        RealArray zl = zk, al;
        for (std::size_t l = k;; ++l) {
            if (l > k) zl = linear(al, layers[l]);
            const FdLayer& p = layers[l];
            if (signs && kink[l])
                for (Real v : zl) signs->push_back(static_cast<signed char>((v > 0) - (v < 0)));
            if (l + 1 == layers.size()) return head(zl, p);
            reference::activate_into(p.f, p.alpha, zl, al);
        }
    }
};

template <class T>
FdModel fd_model(const reference::MlpParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, double lambda) {
    FdModel d;
    d.loss = loss;
    d.lambda = lambda;
    d.X = to_real(X);
    d.Y = to_real(Y);
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const auto& p = net.layers[l];
        FdLayer q;
        q.W = to_real(p.W);
        q.b = to_real(p.b);
        q.f = p.activation;
        q.alpha = static_cast<Real>(p.resolved_alpha());
        for (Real w : q.W) d.weight_sq += w * w;
        const bool head = l + 1 == net.layers.size() && (loss == Loss::softmax_ce || loss == Loss::bce);
        d.kink.push_back(!head && kinked(q.f));
        d.layers.push_back(std::move(q));
    }
    for (std::size_t l = 0; l < d.layers.size(); ++l) {
        d.z.push_back(FdModel::linear(d.input_of(l), d.layers[l]));
        d.a.push_back(reference::activate(d.layers[l].f, d.z[l], d.layers[l].alpha));
    }
    return d;
}

enum class Target { W, b, delta };

// The fourth-order central difference of the loss with respect to each chosen entry of W(k), b(k) or z(k):
// (8(f(h) − f(−h)) − (f(2h) − f(−2h))) / 12h. A coordinate whose stencil moves a kinked pre-activation across 0
// is flagged instead. Fills fd (zeros elsewhere), `compared` (computed and not flagged) and `flagged`.
void finite_differences(const FdModel& d, std::size_t k, Target target, double step,
                        const std::vector<std::size_t>& chosen, Array<double>& fd,
                        std::vector<std::size_t>& compared, std::vector<std::size_t>& flagged) {
    const FdLayer& p = d.layers[k];
    const RealArray& a_prev = d.input_of(k);
    const std::size_t m = d.X.shape()[0], n_out = p.W.shape()[0], n_in = p.W.shape()[1];
    fd = target == Target::W ? Array<double>(xt::zeros<double>({n_out, n_in}))
         : target == Target::b ? Array<double>(xt::zeros<double>({n_out}))
                               : Array<double>(xt::zeros<double>({m, n_out}));
    std::vector<signed char> base_signs, signs;
    d.tail(k, d.z[k], &base_signs);
    const Real h = step;
    const Real steps[4] = {-2 * h, -h, h, 2 * h};
    for (std::size_t flat : chosen) {
        Real f[4];
        bool crossed = false;
        for (int s = 0; s < 4; ++s) {
            const Real t = steps[s];
            RealArray zk = d.z[k];
            Real sq = d.weight_sq;
            if (target == Target::delta) {
                zk.flat(flat) += t;
            } else {
                // Recompute column i of z(k) from the perturbed row i of W (or b_i): the loss as a function of W, b.
                const std::size_t i = target == Target::W ? flat / n_in : flat;
                const std::size_t j = target == Target::W ? flat % n_in : 0;
                const Real w = p.W(i, j) + (target == Target::W ? t : Real(0));
                const Real bias = p.b(i) + (target == Target::b ? t : Real(0));
                for (std::size_t r = 0; r < m; ++r) {
                    Real acc = bias;
                    for (std::size_t c = 0; c < n_in; ++c) acc += a_prev(r, c) * (c == j ? w : p.W(i, c));
                    zk(r, i) = acc;
                }
                if (target == Target::W) sq += w * w - p.W(i, j) * p.W(i, j);
            }
            signs.clear();
            f[s] = d.tail(k, zk, &signs) + d.penalty(sq);
            crossed = crossed || signs != base_signs;
        }
        if (crossed) {
            flagged.push_back(flat);
            continue;
        }
        fd.flat(flat) = static_cast<double>((8 * (f[2] - f[1]) - (f[3] - f[0])) / (12 * h));
        compared.push_back(flat);
    }
}

}  // namespace

template <class T>
BpcheckReport bpcheck(Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, Loss loss, const BpcheckOptions<T>& options) {
    if (!(options.eps > 0)) throw ValueError("bpcheck: eps must be positive, got " + std::to_string(options.eps));
    check_output_count(loss, mlp.spec().sizes.back(), "bpcheck");
    const reference::MlpParams<T> net = reference_params(mlp, loss);
    const MlpGradients<T> autograd = autograd_gradients(mlp, X, Y, loss, options.lambda);
    const ReferenceFn<T> reference_fn = options.reference ? options.reference : ReferenceFn<T>(reference::delta_backprop<T>);
    const reference::BackpropResult<T> ref = reference_fn(net, X, Y, loss, static_cast<T>(options.lambda));
    if (ref.layers.size() != net.layers.size())
        throw ValueError("bpcheck: the reference returned " + std::to_string(ref.layers.size()) + " layers, expected " +
                         std::to_string(net.layers.size()));
    const FdModel d = fd_model(net, X, Y, loss, options.lambda);

    BpcheckReport report;
    report.spec = mlp.spec().str();
    report.loss = reference::loss_name(loss);
    report.dtype = dtype_label<T>();
    report.lambda = options.lambda;
    report.batch = X.shape()[0];
    report.tolerances = options.tolerances;
    report.convention = batch_convention(loss, mlp.spec().activations.back().name(), net.layers.size(), report.batch,
                                         Y.shape()[1], options.lambda);
    report.loss_autograd = static_cast<double>(autograd.loss);
    report.loss_reference = static_cast<double>(ref.loss);
    report.loss_fd = static_cast<double>(d.tail(0, d.z[0], nullptr) + d.penalty(d.weight_sq));
    const double loss_err = std::abs(report.loss_autograd - report.loss_reference);
    report.loss_ok = loss_err <= options.tolerances.analytic.atol +
                                     options.tolerances.analytic.rtol *
                                         std::max(std::abs(report.loss_autograd), std::abs(report.loss_reference));

    Generator gen(options.seed);
    for (std::size_t k = 0; k < net.layers.size(); ++k) {
        LayerCheck layer;
        layer.layer = k + 1;
        layer.activation = mlp.spec().activations[k].str();  // as the header's spec says; the loss's head: convention
        const std::pair<Target, const char*> targets[] = {{Target::W, "W"}, {Target::b, "b"}, {Target::delta, "delta"}};
        for (const auto& [target, name] : targets) {
            const Array<T>& mine = target == Target::W ? autograd.dW[k] : target == Target::b ? autograd.db[k] : autograd.delta[k];
            const Array<T>& theirs = target == Target::W ? ref.layers[k].dW
                                     : target == Target::b ? ref.layers[k].db
                                                           : ref.layers[k].delta;
            QuantityCheck q;
            q.name = name;
            q.shape = shape_of(mine);
            if (shape_of(theirs) != q.shape)
                throw ShapeError("bpcheck: layer " + std::to_string(k + 1) + " " + name + ": autograd " +
                                 shape_str(q.shape) + ", reference " + shape_str(shape_of(theirs)));
            Array<double> fd;
            std::vector<std::size_t> compared;
            const auto chosen = fd_indices(mine.size(), options.max_fd_per_quantity, gen);
            finite_differences(d, k, target, options.eps, chosen, fd, compared, q.flagged);
            fill_comparisons(q, as_double(mine), as_double(theirs), fd, compared, chosen.size(), options.tolerances);
            layer.quantities.push_back(std::move(q));
        }
        report.layers.push_back(std::move(layer));
    }
    return report;
}

std::vector<std::size_t> fd_indices(std::size_t n, std::size_t max, Generator& gen) {
    std::vector<std::size_t> idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = i;
    if (max == 0 || n <= max) return idx;
    for (std::size_t i = 0; i < max; ++i) std::swap(idx[i], idx[i + gen.below(n - i)]);
    idx.resize(max);
    std::sort(idx.begin(), idx.end());
    return idx;
}

// ---- batches and biases ---------------------------------------------------------------------------------------

template <class T>
CheckBatch<T> make_check_batch(const MlpSpec& spec, Loss loss, std::size_t batch, Generator& gen) {
    const std::size_t n0 = spec.sizes.front(), nL = spec.sizes.back();
    CheckBatch<T> b;
    b.X = xt::zeros<T>({batch, n0});
    b.Y = xt::zeros<T>({batch, nL});
    for (auto& v : b.X) v = static_cast<T>(gen.normal());
    for (std::size_t r = 0; r < batch; ++r) {
        if (loss == Loss::softmax_ce) {
            b.Y(r, gen.below(nL)) = T(1);
            continue;
        }
        for (std::size_t c = 0; c < nL; ++c)
            b.Y(r, c) = loss == Loss::bce ? T(gen.below(2)) : static_cast<T>(gen.uniform());
    }
    return b;
}

template <class T>
void randomize_biases(Mlp<T>& mlp, Generator& gen, double half_width) {
    NoGradGuard no_grad;
    for (const auto& layer : mlp.layers()) {
        if (!layer.linear->has_bias()) continue;
        Tensor<T> b = layer.bias();
        for (auto& v : b.mutable_value()) v = static_cast<T>(gen.uniform(-half_width, half_width));
    }
}

#define DG_INSTANTIATE(T)                                                                                       \
    template Tensor<T> check_loss<T>(const Tensor<T>&, const Tensor<T>&, const Array<T>&, Loss);                 \
    template reference::MlpParams<T> reference_params<T>(const Mlp<T>&, Loss);                                  \
    template MlpGradients<T> autograd_gradients<T>(Mlp<T>&, const Array<T>&, const Array<T>&, Loss, double);     \
    template BpcheckReport bpcheck<T>(Mlp<T>&, const Array<T>&, const Array<T>&, Loss, const BpcheckOptions<T>&); \
    template CheckBatch<T> make_check_batch<T>(const MlpSpec&, Loss, std::size_t, Generator&);                   \
    template void randomize_biases<T>(Mlp<T>&, Generator&, double);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::nn
