// Example 9 (notes 001, 003): vanishing gradients. Per-layer gradient norms ‖∂L/∂W(l)‖ of a deep sigmoid network
// fall by more than 4× per layer (σ' ≤ ¼ and |w| < 1), against tanh and ReLU networks of the same depth.
#include <cmath>
#include <iostream>

#include "common/example.hpp"
#include "nn/nn.hpp"

using namespace dg;
using examples::Series;

// ‖∂L/∂W(l)‖_F for l = 1..L after one backward of the ½-squared error on a random batch. Same seed for every
// network: the same inputs, targets and (for the same init) the same weights; only the activation differs.
std::vector<double> gradient_norms(const std::string& act, std::size_t depth, std::size_t width, const nn::Init& init,
                                   std::uint64_t seed) {
    Generator gen(seed);
    std::string spec = std::to_string(width);
    for (std::size_t l = 0; l < depth; ++l) spec += "-" + std::to_string(l + 1 == depth ? 1 : width);
    nn::Mlp<double> net(spec + ":" + act, gen, nn::MlpOptions{{true, init}});
    const Tensord x = Tensord::randn({64, width}, gen), y = Tensord::randn({64, 1}, gen);
    nn::mse_half(net(x), y).backward();
    std::vector<double> norms;
    for (const auto& layer : net.layers())
        norms.push_back(std::sqrt(xt::sum(xt::square(layer.weight().grad().value()))()));
    return norms;
}

int main(int argc, char** argv) {
    examples::Example ex("vanishing_gradients", "per-layer gradient norms: sigmoid vs tanh vs ReLU");
    std::size_t depth = 20, width = 64;
    ex.app.add_option("--depth", depth, "number of layers")->capture_default_str()
        ->check(examples::whole_number(3));
    ex.app.add_option("--width", width, "units per hidden layer")->capture_default_str()
        ->check(examples::whole_number(1));
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    if (ex.smoke) depth = 10, width = 32;

    // Each activation with its usual init: Xavier/Glorot N(0, 2/(fan_in+fan_out)) for sigmoid and tanh, He
    // N(0, 2/fan_in) for ReLU. Both keep the forward signal's scale; what remains is the activation's slope.
    struct Curve { std::string title, act; nn::Init init; std::vector<double> norms; };
    std::vector<Curve> curves{{"sigmoid (Xavier init)", "sigmoid", nn::Init::xavier_normal(), {}},
                              {"tanh (Xavier init)", "tanh", nn::Init::xavier_normal(), {}},
                              {"ReLU (He init)", "relu", nn::Init::kaiming_normal(), {}}};
    std::printf("%zu layers of width %zu, batch 64; ‖∂L/∂W(l)‖ for l = 1 (input side) and L (output side):\n", depth, width);
    for (auto& c : curves) {
        c.norms = gradient_norms(c.act, depth, width, c.init, ex.seed);
        const double per_layer = std::pow(c.norms[0] / c.norms[depth - 2], 1.0 / double(depth - 2));
        std::printf("  %-22s layer 1: %.3e   layer %zu: %.3e   mean factor per layer (hidden layers): %.3f\n",
                    c.title.c_str(), c.norms[0], depth, c.norms[depth - 1], per_layer);
    }
    // The notes: |σ'(z)·w| ≤ ¼·|w| < ¼, so through k sigmoid layers the gradient shrinks by at least 4^k.
    const double sig_factor = std::pow(curves[0].norms[0] / curves[0].norms[depth - 2], 1.0 / double(depth - 2));
    std::printf("sigmoid: the gradient at layer 1 is %.1e of layer %zu's; the ¼-per-layer rule of the notes gives %.1e\n",
                curves[0].norms[0] / curves[0].norms[depth - 2], depth - 1, std::pow(0.25, double(depth - 2)));
    ex.check(sig_factor < 0.25, "sigmoid gradients shrink by more than 4x per layer", std::to_string(sig_factor));
    ex.check(curves[1].norms[0] > 1e3 * curves[0].norms[0] && curves[2].norms[0] > 1e3 * curves[0].norms[0],
             "tanh and ReLU keep layer 1's gradient ≥ 1000x larger than sigmoid's");

    std::vector<Series> series;
    for (const auto& c : curves) {
        Series s{c.title, {}, c.norms, "linespoints pt 7 ps 0.8 lw 2"};
        for (std::size_t l = 1; l <= depth; ++l) s.x.push_back(double(l));
        series.push_back(s);
    }
    // The ¼-per-layer line, anchored at the sigmoid network's last hidden layer and going back towards the input.
    Series quarter{"¼ per layer (the maximum of σ')", {}, {}, "lines dt 2 lw 2 lc rgb 'black'"};
    for (std::size_t l = 1; l + 1 <= depth; ++l)
        quarter.x.push_back(double(l)), quarter.y.push_back(curves[0].norms[depth - 2] * std::pow(0.25, double(depth - 1 - l)));
    series.push_back(quarter);
    ex.plot({"Gradient norm per layer, " + std::to_string(depth) + " layers of " + std::to_string(width), "layer l (1 = input side)",
             "‖∂L/∂W(l)‖", true, series, {}}, "gradient_norms.png");
    return ex.finish();
}
