// Example (issue 18): backprop through convolution. A small CNN from a spec learns Fashion-MNIST; its first layer's
// filters and the feature maps of a few test images are drawn; for one image the conv layer's δ(1) = ∂l/∂z(1) from the
// delta reference (δ correlated with the flipped kernel, pooling routing δ to the arg-max) is drawn next to autograd's.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "common/example.hpp"
#include "common/train_report.hpp"
#include "nn/check/bpcheck_cnn.hpp"
#include "nn/data/fashion_mnist.hpp"
#include "nn/data/loader.hpp"
#include "nn/nn.hpp"
#include "nn/optim/optim.hpp"

using namespace dg;

namespace {

/// Planes [h, w] laid out in a grid of `cols` columns with a one-pixel gap (value `gap`), as a heat map's rows (the
/// first plane at the top left: gnuplot's y grows upwards, so rows are stored bottom first).
struct Mosaic {
    std::vector<std::vector<double>> grid;
    std::vector<double> xs, ys;
};
Mosaic mosaic(const std::vector<std::vector<double>>& planes, std::size_t h, std::size_t w, std::size_t cols, double gap) {
    const std::size_t rows = (planes.size() + cols - 1) / cols, H = rows * (h + 1) - 1, W = cols * (w + 1) - 1;
    Mosaic m;
    m.grid.assign(H, std::vector<double>(W, gap));
    for (std::size_t p = 0; p < planes.size(); ++p)
        for (std::size_t i = 0; i < h; ++i)
            for (std::size_t j = 0; j < w; ++j)
                m.grid[H - 1 - ((p / cols) * (h + 1) + i)][(p % cols) * (w + 1) + j] = planes[p][i * w + j];
    for (std::size_t j = 0; j < W; ++j) m.xs.push_back(static_cast<double>(j));
    for (std::size_t i = 0; i < H; ++i) m.ys.push_back(static_cast<double>(i));
    return m;
}

/// Draws a mosaic as a heat map of the given size into the example's folder.
void draw(const examples::Example& ex, const std::string& title, const Mosaic& m, const std::string& file, int width,
          int height) {
    // Planes side by side, a pixel per cell: the axes count pixels of the mosaic, not input features.
    if (examples::plot_heatmap_png(title, m.xs, m.ys, m.grid, {}, ex.path(file), width, height, "pixel column",
                                   "pixel row"))
        std::cout << "picture: " << ex.path(file) << "\n";
}

/// Plane c of image n of an [N, C, H, W] array, scaled by `scale` (0: to its own largest |value|).
std::vector<double> plane(const Array<float>& a, std::size_t n, std::size_t c, double scale = 0) {
    const std::size_t h = a.shape()[2], w = a.shape()[3];
    std::vector<double> p(a.data() + (n * a.shape()[1] + c) * h * w, a.data() + (n * a.shape()[1] + c + 1) * h * w);
    double top = scale;
    if (top == 0)
        for (double v : p) top = std::max(top, std::abs(v));
    for (double& v : p) v = top > 0 ? v / top : 0;
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    examples::Example ex("convolution", "a CNN's filters and feature maps; the conv layer's δ, reference vs autograd");
    if (int rc = ex.parse(argc, argv); rc >= 0) return rc;
    using data::FashionMnistSplit;
    const auto train = data::load_fashion_mnist<float>(FashionMnistSplit::Train, ex.smoke ? 3000 : 60000);
    const auto test = data::load_fashion_mnist<float>(FashionMnistSplit::Test, 1000);

    // LeNet-like, without batch norm so that the conv delta reference covers every layer: conv 8@5×5 (padding 2),
    // ReLU, max-pool 2, conv 16@5×5, ReLU, max-pool 2, flatten, 10 logits.
    Generator gen(ex.seed);
    nn::Cnn<float> cnn("1x28x28-c8k5p2-relu-m2-c16k5-relu-m2-flat-10", gen);
    optim::Adam<float> adam(cnn.parameters(), optim::AdamOptions(2e-3));
    data::DataLoader<float> loader(train, {64}, Generator(ex.seed + 1));
    while (loader.next()) {
        const auto& b = loader.batch();
        adam.zero_grad();
        nn::cross_entropy(cnn(Tensor<float>(b.x)), std::vector<std::size_t>(b.y.begin(), b.y.end())).backward();
        adam.step();
    }
    const Array<float> images = xt::reshape_view(test.x, {test.size(), std::size_t(1), std::size_t(28), std::size_t(28)});
    std::size_t correct = 0;
    {
        NoGradGuard no_grad;
        const Tensor<float> logits = cnn(Tensor<float>(test.x));
        for (std::size_t i = 0; i < test.size(); ++i)
            correct += examples::argmax_row(logits.value(), i) == static_cast<std::size_t>(test.y(i));
    }
    const double accuracy = static_cast<double>(correct) / test.size();
    std::cout << "one epoch on " << train.size() << " images: test accuracy " << accuracy << " on " << test.size()
              << "\n";
    ex.check(accuracy > (ex.smoke ? 0.6 : 0.8), "the CNN learns (test accuracy above " +
                                                    std::string(ex.smoke ? "0.6" : "0.8") + ")");

    // 1. The learned filters of the first layer: W(1) [8, 1, 5, 5], one tile each, each scaled to its largest |w|.
    const Array<float> W1 = cnn.parameter("conv1.weight").value();
    std::vector<std::vector<double>> filters;
    for (std::size_t o = 0; o < 8; ++o) filters.push_back(plane(W1, o, 0));
    const Mosaic f = mosaic(filters, 5, 5, 4, 0);
    draw(ex, "conv1's 8 learned 5×5 filters, each scaled to its largest |w|", f, "filters.png", 900, 560);

    // 2. Feature maps a(1) = relu(z(1)) of three test images: the image, then its 8 maps (each scaled to its maximum).
    cnn.record_preactivations(true);
    {
        NoGradGuard no_grad;
        cnn(Tensor<float>(Array<float>(xt::view(images, xt::range(0, 3)))));
    }
    const Array<float> a1 = cnn.layer_outputs()[0].value();
    std::vector<std::vector<double>> maps;
    for (std::size_t n = 0; n < 3; ++n) {
        maps.push_back(plane(images, n, 0));
        for (std::size_t c = 0; c < 8; ++c) maps.push_back(plane(a1, n, c));
    }
    const Mosaic fm = mosaic(maps, 28, 28, 9, 0);
    draw(ex, "three test images (left) and conv1's 8 feature maps a(1) = relu(z(1)) of each", fm, "feature_maps.png",
         1500, 620);

    // 3. δ(1) of one image with its label under softmax cross-entropy: the conv delta reference (plain arrays, the
    //    notes' recurrences) and autograd (z(1).grad() after backward), drawn on one scale, with their difference.
    const Array<float> x = xt::view(images, xt::range(0, 1));
    Array<float> y = xt::zeros<float>({std::size_t(1), std::size_t(10)});
    y(0, static_cast<std::size_t>(test.y(0))) = 1;
    const nn::CnnGradients<float> ag = nn::autograd_gradients(cnn, x, y, nn::Loss::softmax_ce);
    const reference::ConvBackpropResult<float> ref =
        reference::conv_backprop(nn::conv_reference_params(cnn, nn::Loss::softmax_ce), x, y, nn::Loss::softmax_ce);
    const Array<float>& d_ag = ag.delta[0];
    const Array<float>& d_ref = ref.layers[0].delta;
    double top = 0, diff = 0;
    for (std::size_t i = 0; i < d_ref.size(); ++i) {
        top = std::max(top, double(std::abs(d_ref.data()[i])));
        diff = std::max(diff, double(std::abs(d_ref.data()[i] - d_ag.data()[i])));
    }
    std::vector<std::vector<double>> deltas;
    for (std::size_t c = 0; c < 8; ++c) deltas.push_back(plane(d_ref, 0, c, top));
    for (std::size_t c = 0; c < 8; ++c) deltas.push_back(plane(d_ag, 0, c, top));
    const Mosaic dm = mosaic(deltas, 28, 28, 8, 0);
    draw(ex, "δ(1) of conv1 for one image / max|δ|: the delta reference (top row), autograd (bottom row)", dm,
         "delta.png", 1500, 480);
    std::cout << "δ(1) [1, 8, 28, 28]: max |δ| " << top << ", max |reference − autograd| " << diff << " ("
              << diff / top << " of max |δ|)\n";
    ex.check(diff <= 1e-5 * top, "the conv layer's δ from the reference equals autograd's (float rounding)",
             "max difference " + examples::format("%.2g", diff / top) + " of max |δ|");
    // Where max pooling routed δ: only the arg-max of each 2×2 window of a(1) gets a gradient, so at least 3 in 4
    // entries of δ(1) are zero (ReLU's zeros add more).
    std::size_t zeros = 0;
    for (float v : d_ref) zeros += v == 0.0f;
    std::cout << "entries of δ(1) that are 0: " << zeros << " of " << d_ref.size() << "\n";
    ex.check(zeros * 4 >= d_ref.size() * 3, "max pooling routes δ to one entry of each window (≥ 3/4 of δ(1) is 0)");
    return ex.finish();
}
