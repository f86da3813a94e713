// The conv delta reference against autograd's ops (conv2d, max_pool2d, avg_pool2d, flatten, linear, the nn losses) on
// the same networks and batches: losses, z(l), a(l), δ(l) (autograd's gradient of z(l)), ΔW, Δb and ∂loss/∂X, in
// double (to rounding) and float.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/layers/activation.hpp"
#include "nn/loss.hpp"
#include "nn/reference/conv_backprop.hpp"

namespace dg {
namespace {

using reference::ConvLayer;
using reference::ConvLayerKind;
using reference::ConvNetParams;
using reference::Loss;

/// The network of `net` run by autograd on X, with every z(l) retaining its gradient.
template <class T>
struct AutogradRun {
    Tensor<T> x, loss;
    std::vector<Tensor<T>> W, b, z, a;
};

template <class T>
AutogradRun<T> run_autograd(const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss) {
    AutogradRun<T> r;
    r.x = Tensor<T>(X, true);
    Tensor<T> h = r.x;
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const ConvLayer<T>& layer = net.layers[l];
        const bool weights = layer.kind == ConvLayerKind::conv || layer.kind == ConvLayerKind::dense;
        r.W.push_back(weights ? Tensor<T>(layer.W, true) : Tensor<T>());
        r.b.push_back(weights ? Tensor<T>(layer.b, true) : Tensor<T>());
        Tensor<T> z;
        switch (layer.kind) {
            case ConvLayerKind::conv:
                z = conv2d(h, r.W[l], r.b[l],
                           Conv2dOptions{{layer.stride[0], layer.stride[1]}, {layer.padding[0], layer.padding[1]},
                                         {layer.dilation[0], layer.dilation[1]}});
                break;
            case ConvLayerKind::max_pool:
                z = max_pool2d(h, {layer.kernel[0], layer.kernel[1]}, {layer.stride[0], layer.stride[1]},
                               {layer.padding[0], layer.padding[1]});
                break;
            case ConvLayerKind::avg_pool:
                z = avg_pool2d(h, {layer.kernel[0], layer.kernel[1]}, {layer.stride[0], layer.stride[1]},
                               {layer.padding[0], layer.padding[1]});
                break;
            case ConvLayerKind::flatten: z = flatten(h); break;
            case ConvLayerKind::dense: z = linear(h, r.W[l], r.b[l]); break;
        }
        z.retain_grad();
        r.z.push_back(z);
        h = nn::activate(z, ActivationSpec{layer.activation, static_cast<double>(layer.resolved_alpha()), ""});
        r.a.push_back(h);
    }
    const Tensor<T> y(Y);
    switch (loss) {
        case Loss::mse_half: r.loss = nn::mse_half(h, y); break;
        case Loss::mse: r.loss = nn::mse(h, y); break;
        case Loss::softmax_ce: r.loss = nn::cross_entropy(r.z.back(), y); break;  // on the logits, as the reference
        case Loss::bce: r.loss = nn::bce_with_logits(r.z.back(), y); break;
    }
    r.loss.backward();
    return r;
}

template <class T>
Array<T> random_array(std::mt19937_64& rng, const Shape& shape, double scale) {
    std::normal_distribution<double> normal(0.0, scale);
    Array<T> out = Array<T>::from_shape(shape);
    for (T& v : out) v = static_cast<T>(normal(rng));
    return out;
}

template <class T>
ConvLayer<T> conv(std::mt19937_64& rng, std::size_t c_out, std::size_t c_in, std::size_t k, ActivationKind f,
                  reference::Extent2 stride, reference::Extent2 padding, reference::Extent2 dilation = {1, 1}) {
    return ConvLayer<T>::conv(random_array<T>(rng, {c_out, c_in, k, k}, 1.0 / std::sqrt(double(c_in * k * k))),
                              random_array<T>(rng, {c_out}, 0.2), f, stride, padding, dilation);
}

template <class T>
ConvLayer<T> dense(std::mt19937_64& rng, std::size_t n_out, std::size_t n_in, ActivationKind f) {
    return ConvLayer<T>::dense(random_array<T>(rng, {n_out, n_in}, 1.0 / std::sqrt(double(n_in))),
                               random_array<T>(rng, {n_out}, 0.2), f);
}

struct Problem {
    const char* name;
    ConvNetParams<double> net;
    Shape input;
    std::size_t outputs;
};

std::vector<Problem> problems(std::mt19937_64& rng) {
    using AK = ActivationKind;
    std::vector<Problem> ps;
    // LeNet-5 in miniature: pad-2 conv 5x5, ReLU, max-pool 2, conv 5x5, ReLU, max-pool 2, 2 dense ReLU, 10 classes.
    ps.push_back({"lenet", {{conv<double>(rng, 3, 1, 5, AK::relu, {1, 1}, {2, 2}), ConvLayer<double>::max_pool({2, 2}),
                             conv<double>(rng, 4, 3, 5, AK::relu, {1, 1}, {0, 0}), ConvLayer<double>::max_pool({2, 2}),
                             ConvLayer<double>::flatten(), dense<double>(rng, 12, 16, AK::relu),
                             dense<double>(rng, 10, 12, AK::identity)}},
                  {4, 1, 16, 16}, 10});
    // Strides with skipped rows, dilation, average pooling with padding, tanh / elu / sigmoid.
    ps.push_back({"strided", {{conv<double>(rng, 3, 2, 3, AK::tanh, {2, 2}, {1, 1}),
                               ConvLayer<double>::avg_pool({3, 3}, {1, 1}, {1, 1}),
                               conv<double>(rng, 2, 3, 2, AK::elu, {1, 1}, {2, 2}, {2, 2}),
                               ConvLayer<double>::max_pool({3, 3}, {2, 2}, {1, 1}), ConvLayer<double>::flatten(),
                               dense<double>(rng, 3, 32, AK::sigmoid)}},
                  {3, 2, 10, 9}, 3});
    return ps;
}

Array<double> targets(std::mt19937_64& rng, Loss loss, std::size_t m, std::size_t n) {
    Array<double> y = random_array<double>(rng, {m, n}, 1.0);
    if (loss == Loss::softmax_ce)  // one-hot rows: class labels
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) y(i, j) = j == (i * 7) % n ? 1.0 : 0.0;
    if (loss == Loss::bce)
        for (double& v : y) v = v > 0 ? 1.0 : 0.0;
    return y;
}

template <class T>
::testing::AssertionResult close(const Array<T>& got, const Array<T>& expect, double tol, const std::string& what) {
    if (shape_of(got) != shape_of(expect))
        return ::testing::AssertionFailure() << what << ": shape " << shape_str(shape_of(got)) << " vs "
                                             << shape_str(shape_of(expect));
    for (std::size_t k = 0; k < got.size(); ++k) {
        const double g = got.data()[k], e = expect.data()[k];
        if (!(std::abs(g - e) <= tol * (1 + std::abs(e))))
            return ::testing::AssertionFailure() << what << " element " << k << ": " << g << " vs " << e;
    }
    return ::testing::AssertionSuccess();
}

/// Compares everything the reference returns with autograd's values and gradients; returns the numbers compared.
template <class T>
std::size_t compare(const ConvNetParams<T>& net, const Array<T>& X, const Array<T>& Y, Loss loss, double tol) {
    const reference::ConvBackpropResult<T> ref = reference::conv_backprop(net, X, Y, loss);
    const AutogradRun<T> ag = run_autograd(net, X, Y, loss);
    EXPECT_NEAR(ag.loss.item(), ref.loss, tol * (1 + std::abs(ref.loss)));
    std::size_t compared = 1;
    const std::size_t last = net.layers.size() - 1;
    for (std::size_t l = 0; l <= last; ++l) {
        const std::string layer = "layer " + std::to_string(l + 1);
        EXPECT_TRUE(close(ag.z[l].value(), ref.layers[l].z, tol, layer + " z"));
        // The reference's a(L) is the loss's output activation (softmax, sigmoid); autograd's is the layer's own.
        if (l < last || loss == Loss::mse || loss == Loss::mse_half)
            EXPECT_TRUE(close(ag.a[l].value(), ref.layers[l].a, tol, layer + " a"));
        EXPECT_TRUE(close(ag.z[l].grad().value(), ref.layers[l].delta, tol, layer + " delta"));
        compared += 2 * ref.layers[l].z.size();
        if (ag.W[l].defined()) {
            EXPECT_TRUE(close(ag.W[l].grad().value(), ref.layers[l].dW, tol, layer + " dW"));
            EXPECT_TRUE(close(ag.b[l].grad().value(), ref.layers[l].db, tol, layer + " db"));
            compared += ref.layers[l].dW.size() + ref.layers[l].db.size();
        }
    }
    EXPECT_TRUE(close(ag.x.grad().value(), ref.input_grad, tol, "input_grad"));
    return compared + X.size();
}

TEST(ConvReference, AgreesWithAutogradInDoubleForEveryLoss) {
    std::mt19937_64 rng(1818);
    for (Problem& p : problems(rng)) {
        for (Loss loss : {Loss::softmax_ce, Loss::mse, Loss::mse_half, Loss::bce}) {
            SCOPED_TRACE(std::string(p.name) + " / " + reference::loss_name(loss));
            ConvNetParams<double> net = p.net;
            if (loss != Loss::softmax_ce && loss != Loss::bce && net.layers.back().activation == ActivationKind::identity)
                net.layers.back().activation = ActivationKind::tanh;  // an output activation for the mse losses
            if (loss == Loss::softmax_ce) net.layers.back().activation = ActivationKind::identity;
            const Array<double> X = random_array<double>(rng, p.input, 1.0);
            const Array<double> Y = targets(rng, loss, p.input[0], p.outputs);
            EXPECT_GT(compare(net, X, Y, loss, 1e-11), 500u);
        }
    }
}

TEST(ConvReference, AgreesWithAutogradInFloat) {
    std::mt19937_64 rng(7);
    for (Problem& p : problems(rng)) {
        SCOPED_TRACE(p.name);
        ConvNetParams<double> net = p.net;
        net.layers.back().activation = ActivationKind::identity;
        const Array<double> X = random_array<double>(rng, p.input, 1.0);
        const Array<double> Y = targets(rng, Loss::softmax_ce, p.input[0], p.outputs);
        EXPECT_GT(compare(reference::convert<float>(net), Array<float>(xt::cast<float>(X)), Array<float>(xt::cast<float>(Y)),
                          Loss::softmax_ce, 2e-4),
                  500u);
    }
}

}  // namespace
}  // namespace dg
