// Diagnostics: norms and unit statistics read from the recorded pre-activations, gradients and weights.
#include "common/diagnostics.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>

namespace dg::examples {

namespace {
double frobenius(const Array<float>& a) {
    double s = 0;
    for (float v : a) s += static_cast<double>(v) * v;
    return std::sqrt(s);
}
bool relu_like(ActivationKind k) { return k == ActivationKind::relu || k == ActivationKind::leaky_relu; }
}  // namespace

Diagnostics::Diagnostics(nn::Mlp<float>& model) : model_(model), layers_(model.num_layers()) {
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
    std::string out = "diagnostics, epoch " + std::to_string(epoch) +
                      " (means over the epoch's batches)\nlayer activation   |delta|      |dW|   update/|W|  dead ReLU  saturated  flag\n";
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
                           : last_delta > 0 && delta < vanish_ratio * last_delta  ? "vanishing"
                           : last_delta > 0 && delta > explode_ratio * last_delta ? "exploding"
                                                                                  : "";
        char line[200];
        std::snprintf(line, sizeof line, "%5zu %-12s %9.3e %9.3e %11.3e %10s %10s  %s\n", l + 1, act.c_str(), delta,
                      L.grad_norm / n, L.update_ratio / n, dead < 0 ? "-" : (std::to_string(dead * 100).substr(0, 5) + "%").c_str(),
                      saturating ? (std::to_string(L.saturated / n * 100).substr(0, 5) + "%").c_str() : "-", flag);
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

}  // namespace dg::examples
