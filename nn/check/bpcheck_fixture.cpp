// Golden gradient fixtures: save an Mlp's parameters, batch, loss and gradients to safetensors, and recompute
// and compare them from a stored file (tensor names and metadata in bpcheck_fixture.hpp).
#include "nn/check/bpcheck_fixture.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "autograd/engine.hpp"
#include "autograd/array/errors.hpp"
#include "nn/check/bpcheck_cnn.hpp"
#include "nn/check/bpcheck_rnn.hpp"
#include "nn/reference/delta_loss.hpp"
#include "nn/data/serialize.hpp"

namespace dg::nn {

namespace fixture {

template <>
const char* dtype_tag<double>() {
    return "F64";
}
template <>
const char* dtype_tag<float>() {
    return "F32";
}

const std::string& meta(const SafetensorsFile& file, const std::string& key) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end())
        throw IoError(file.path + ": not a bpcheck fixture: the metadata lacks \"" + key + "\"");
    return it->second;
}

template <class T>
const Array<T>& tensor(const SafetensorsFile& file, const std::string& name, const Shape& shape) {
    const Array<T>& a = file.get<T>(name);
    if (shape_of(a) != shape)
        throw IoError(file.path + ": tensor \"" + name + "\" is " + shape_str(shape_of(a)) + ", expected " +
                      shape_str(shape));
    return a;
}

template const Array<float>& tensor<float>(const SafetensorsFile&, const std::string&, const Shape&);
template const Array<double>& tensor<double>(const SafetensorsFile&, const std::string&, const Shape&);

}  // namespace fixture

namespace {

using fixture::dtype_tag;
using fixture::format_tag;
using fixture::meta;

std::string num17(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string w_name(std::size_t l) { return "fc" + std::to_string(l) + ".weight"; }
std::string b_name(std::size_t l) { return "fc" + std::to_string(l) + ".bias"; }
std::string z_name(std::size_t l) { return "z" + std::to_string(l); }

}  // namespace

template <class T>
void save_bpcheck_fixture(const std::string& path, Mlp<T>& mlp, const Array<T>& X, const Array<T>& Y, Loss loss,
                          double lambda) {
    const MlpGradients<T> g = autograd_gradients(mlp, X, Y, loss, lambda);
    std::vector<NamedArray> tensors;
    for (std::size_t l = 1; l <= mlp.num_layers(); ++l) {
        const auto& layer = mlp.layers()[l - 1];
        tensors.push_back({w_name(l), Array<T>(layer.weight().value())});
        tensors.push_back({b_name(l), layer.linear->has_bias() ? Array<T>(layer.bias().value())
                                                               : Array<T>(xt::zeros<T>({layer.linear->out_features()}))});
    }
    tensors.push_back({"input", X});
    tensors.push_back({"target", Y});
    Array<T> loss_value = xt::zeros<T>(Shape{});
    loss_value() = g.loss;
    tensors.push_back({"loss", loss_value});
    for (std::size_t l = 1; l <= mlp.num_layers(); ++l) {
        tensors.push_back({"grad." + w_name(l), g.dW[l - 1]});
        tensors.push_back({"grad." + b_name(l), g.db[l - 1]});
        tensors.push_back({"grad." + z_name(l), g.delta[l - 1]});
    }
    const Metadata metadata{{"format", format_tag},
                            {"spec", mlp.spec().str()},
                            {"loss", reference::loss_name(loss)},
                            {"lambda", num17(lambda)},
                            {"dtype", dtype_tag<T>()},
                            {"batch", std::to_string(X.shape()[0])}};
    save_safetensors(path, tensors, metadata);
}

std::string fixture_dtype(const std::string& path) {
    return meta(load_safetensors(path), "dtype");
}

namespace {

template <class T>
Fixture<T> fixture_from(const SafetensorsFile& file) {
    Fixture<T> f;
    if (meta(file, "dtype") != dtype_tag<T>())
        throw IoError(file.path + ": the fixture's dtype is " + meta(file, "dtype") + ", expected " + dtype_tag<T>());
    f.loss = reference::parse_loss(meta(file, "loss"));
    const std::string& lambda = meta(file, "lambda");
    char* end = nullptr;
    f.lambda = std::strtod(lambda.c_str(), &end);
    if (lambda.empty() || *end != '\0' || !std::isfinite(f.lambda) || f.lambda < 0)
        throw IoError(file.path + ": lambda \"" + lambda + "\" is not a non-negative number");
    Generator gen(0);  // every parameter is overwritten below
    f.mlp = std::make_shared<Mlp<T>>(meta(file, "spec"), gen);
    const auto& sizes = f.mlp->spec().sizes;
    {
        NoGradGuard no_grad;
        for (std::size_t l = 1; l <= f.mlp->num_layers(); ++l) {
            const auto& layer = f.mlp->layers()[l - 1];
            Tensor<T> w = layer.weight();
            w.mutable_value() = fixture::tensor<T>(file, w_name(l), {sizes[l], sizes[l - 1]});
            if (layer.linear->has_bias()) {
                Tensor<T> b = layer.bias();
                b.mutable_value() = fixture::tensor<T>(file, b_name(l), {sizes[l]});
            }
        }
    }
    const Array<T>& X = file.get<T>("input");
    if (X.dimension() != 2 || X.shape()[1] != sizes.front())
        throw IoError(file.path + ": input is " + shape_str(shape_of(X)) + ", expected [m, " +
                      std::to_string(sizes.front()) + "]");
    f.X = X;
    f.Y = fixture::tensor<T>(file, "target", {X.shape()[0], sizes.back()});
    return f;
}

template <class T>
FixtureReport check_typed(const SafetensorsFile& file, const Tolerance* tolerance) {
    Fixture<T> f = fixture_from<T>(file);
    FixtureReport report;
    report.path = file.path;
    report.spec = f.mlp->spec().str();
    report.loss = reference::loss_name(f.loss);
    report.dtype = dtype_tag<T>();
    report.lambda = f.lambda;
    report.batch = f.X.shape()[0];
    report.tolerance = tolerance ? *tolerance : BpcheckTolerances::defaults<T>().analytic;

    const MlpGradients<T> g = autograd_gradients(*f.mlp, f.X, f.Y, f.loss, f.lambda);
    auto add = [&](std::size_t layer, const std::string& name, const Array<T>& computed) {
        const Array<T>& s = fixture::tensor<T>(file, name, shape_of(computed));
        const Array<double> a = xt::cast<double>(computed), b = xt::cast<double>(s);
        report.rows.push_back({layer, name, shape_of(computed), compare_arrays(a, b, report.tolerance)});
    };
    Array<T> loss_value = xt::zeros<T>(Shape{});
    loss_value() = g.loss;
    add(0, "loss", loss_value);
    for (std::size_t l = 1; l <= f.mlp->num_layers(); ++l) {
        add(l, "grad." + w_name(l), g.dW[l - 1]);
        add(l, "grad." + b_name(l), g.db[l - 1]);
        add(l, "grad." + z_name(l), g.delta[l - 1]);
    }
    return report;
}

}  // namespace

template <class T>
Fixture<T> load_bpcheck_fixture(const std::string& path) {
    return fixture_from<T>(load_safetensors(path));
}

FixtureReport check_bpcheck_fixture(const std::string& path, const Tolerance* tolerance) {
    const SafetensorsFile file = load_safetensors(path);
    if (is_recurrent_spec(meta(file, "spec"))) return check_recurrent_fixture(path, tolerance);  // bpcheck_rnn.hpp
    if (is_cnn_spec(meta(file, "spec"))) return check_cnn_fixture(path, tolerance);  // bpcheck_cnn.hpp
    const std::string& dtype = meta(file, "dtype");
    if (dtype == "F64") return check_typed<double>(file, tolerance);
    if (dtype == "F32") return check_typed<float>(file, tolerance);
    throw IoError(path + ": the fixture's dtype \"" + dtype + "\" is neither F64 nor F32");
}

bool FixtureReport::ok() const {
    for (const auto& r : rows)
        if (!r.comparison.ok) return false;
    return true;
}

std::string FixtureReport::table() const {
    std::ostringstream out;
    char line[256];
    out << "bpcheck --against " << path << "\n"
        << "spec " << spec << "  loss " << loss << "  lambda " << lambda << "  batch " << batch << "  " << dtype
        << "  (recomputed vs stored; rel = |a-b|/max|.|, rtol " << tolerance.rtol << ")\n";
    std::snprintf(line, sizeof line, "%-18s %-9s %-10s %-10s %s\n", "tensor", "shape", "max abs", "max rel", "ok");
    out << line;
    for (const auto& r : rows) {
        std::snprintf(line, sizeof line, "%-18s %-9s %-10.2e %-10.2e %s\n", r.name.c_str(), shape_str(r.shape).c_str(),
                      r.comparison.max_abs, r.comparison.max_rel, r.comparison.ok ? "ok" : "FAIL");
        out << line;
        if (!r.comparison.ok) {
            std::snprintf(line, sizeof line, "    worst %s%s: recomputed %.12g, stored %.12g\n", r.name.c_str(),
                          index_str(r.shape, r.comparison.worst).c_str(), r.comparison.a, r.comparison.b);
            out << line;
        }
    }
    out << (ok() ? "PASS" : "FAIL") << ": " << rows.size() << " tensors compared\n";
    return out.str();
}

#define DG_INSTANTIATE(T)                                                                                        \
    template void save_bpcheck_fixture<T>(const std::string&, Mlp<T>&, const Array<T>&, const Array<T>&, Loss,  \
                                          double);                                                               \
    template Fixture<T> load_bpcheck_fixture<T>(const std::string&);
DG_INSTANTIATE(float)
DG_INSTANTIATE(double)
#undef DG_INSTANTIATE

}  // namespace dg::nn
