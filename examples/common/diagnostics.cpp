// Diagnostics: norms and unit statistics read from the recorded pre-activations, gradients and weights; the
// plot of ‖δ(l)‖ per epoch from diagnostics.csv.
#include "common/diagnostics.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "common/plot.hpp"

namespace dg::examples {

namespace {
double frobenius(const Array<float>& a) {
    double s = 0;
    for (float v : a) s += static_cast<double>(v) * v;
    return std::sqrt(s);
}
bool relu_like(ActivationKind k) { return k == ActivationKind::relu || k == ActivationKind::leaky_relu; }
}  // namespace

std::string DiagnosticsThresholds::str() const {
    char text[120];
    std::snprintf(text, sizeof text, "vanishing below %g·|δ(L)|, exploding above %g·|δ(L)|", vanishing, exploding);
    return text;
}

Diagnostics::Diagnostics(nn::Mlp<float>& model, DiagnosticsThresholds thresholds)
    : model_(model), thresholds_(thresholds), layers_(model.num_layers()) {
    model_.record_preactivations(true);
}

void Diagnostics::before_step() {
    const auto& z = model_.preactivations();
    const auto& a = model_.layer_outputs();
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        const auto& layer = model_.layers()[l];
        if (z[l].has_grad()) L.delta_norm += frobenius(z[l].grad().value());
        if (layer.weight().has_grad()) L.grad_norm += frobenius(layer.weight().grad().value());
        L.w_before = layer.weight().value();
        const Array<float>& zv = z[l].value();
        const std::size_t rows = zv.shape()[0], units = zv.shape()[1];
        const ActivationKind kind = layer.act().kind;
        if (relu_like(kind)) {
            if (L.ever_active.size() != units) L.ever_active.assign(units, 0);
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t j = 0; j < units; ++j) L.ever_active[j] |= zv(i, j) > 0;
        } else if (kind == ActivationKind::sigmoid || kind == ActivationKind::tanh) {
            const Array<float>& av = a[l].value();
            const float low = kind == ActivationKind::sigmoid ? 0.01f : -0.99f, high = 0.99f;
            std::size_t count = 0;
            for (float v : av) count += v < low || v > high;
            L.saturated += static_cast<double>(count) / av.size();
        }
    }
}

void Diagnostics::after_step() {
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        const Array<float>& w = model_.layers()[l].weight().value();
        double diff = 0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            const double d = static_cast<double>(w.data()[i]) - L.w_before.data()[i];
            diff += d * d;
        }
        const double before = frobenius(L.w_before);
        L.update_ratio += before > 0 ? std::sqrt(diff) / before : 0;
    }
    ++steps_;
}

std::string Diagnostics::end_epoch(std::size_t epoch, const std::string& csv) {
    std::string out = "diagnostics, epoch " + std::to_string(epoch) + " (means over the epoch's batches; flags: " +
                      thresholds_.str() + ")\nlayer activation      |δ(l)|   |ΔW(l)|  update/|W|  dead ReLU  saturated  flag\n";
    const double n = steps_ ? static_cast<double>(steps_) : 1.0;
    const double last_delta = layers_.empty() ? 0 : layers_.back().delta_norm / n;
    std::ofstream file;
    if (!csv.empty()) {
        const bool fresh = !std::ifstream(csv).good();
        file.open(csv, std::ios::app);
        if (fresh) file << "epoch,layer,activation,delta_norm,grad_norm,update_ratio,dead_relu,saturated,flag\n";
    }
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& L = layers_[l];
        const std::string act = model_.layers()[l].act().str();
        double dead = -1;
        if (!L.ever_active.empty()) {
            std::size_t d = 0;
            for (char c : L.ever_active) d += !c;
            dead = static_cast<double>(d) / L.ever_active.size();
        }
        const bool saturating = model_.layers()[l].act().kind == ActivationKind::sigmoid ||
                                model_.layers()[l].act().kind == ActivationKind::tanh;
        const double delta = L.delta_norm / n;
        const char* flag = !std::isfinite(delta)                                 ? "non-finite"
                           : last_delta > 0 && delta < thresholds_.vanishing * last_delta ? "vanishing"
                           : last_delta > 0 && delta > thresholds_.exploding * last_delta ? "exploding"
                                                                                          : "";
        char line[200];
        std::snprintf(line, sizeof line, "%5zu %-12s %9.3e %9.3e %11.3e %10s %10s%s%s\n", l + 1, act.c_str(), delta,
                      L.grad_norm / n, L.update_ratio / n, dead < 0 ? "-" : (std::to_string(dead * 100).substr(0, 5) + "%").c_str(),
                      saturating ? (std::to_string(L.saturated / n * 100).substr(0, 5) + "%").c_str() : "-",
                      *flag ? "  " : "", flag);
        out += line;
        if (file)
            file << epoch << ',' << l + 1 << ',' << act << ',' << delta << ',' << L.grad_norm / n << ','
                 << L.update_ratio / n << ',' << (dead < 0 ? std::string() : std::to_string(dead)) << ','
                 << (saturating ? std::to_string(L.saturated / n) : std::string()) << ',' << flag << '\n';
        L = Layer{};
    }
    steps_ = 0;
    return out;
}

bool plot_delta_norms(const std::string& csv, const std::string& png) {
    std::ifstream in(csv);
    std::map<int, Series> layers;  // by layer number
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        std::istringstream row(line);
        std::string epoch, layer, activation, delta;
        if (!std::getline(row, epoch, ',') || !std::getline(row, layer, ',') || !std::getline(row, activation, ',') ||
            !std::getline(row, delta, ','))
            continue;
        const double d = std::atof(delta.c_str());
        if (!(d > 0)) continue;  // a log scale has no place for 0 (nor for a non-finite norm)
        Series& s = layers[std::atoi(layer.c_str())];
        if (s.title.empty()) s = {"layer " + layer + " (" + activation + ")", {}, {}, "linespoints lw 2 pt 7 ps 0.8"};
        s.x.push_back(std::atof(epoch.c_str()));
        s.y.push_back(d);
    }
    if (layers.empty()) return false;
    Chart chart{"|δ(l)| per epoch (mean over the batches)", "epoch", "|δ(l)| = ‖∂loss/∂z(l)‖", true, {}, {}};
    chart.integer_x = true;
    for (auto& [l, s] : layers) chart.series.push_back(std::move(s));
    return plot_png(chart, png);
}

}  // namespace dg::examples
