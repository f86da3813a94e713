// A custom differentiable op written by a user: swish(x) = x·σ(x) as one fused op through dg::record (one pass over
// the data and one graph node, where x * sigmoid(x) makes two), checked by gradcheck and gradgradcheck, then used as a
// named activation in an Mlp and checked over the whole model. Exit code 0 when every check passes.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <vector>

#include "autograd/engine.hpp"
#include "autograd/inspect/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "nn/check/gradcheck_module.hpp"
#include "nn/loss.hpp"
#include "nn/nn.hpp"

// The op: compute the value, then record it with its inputs, its name and backward rule (string literals: the node
// keeps the pointers), and its backward function. The backward receives the inputs, the output and the gradient of
// the output, and returns one gradient per input. Written with the library's differentiable ops, it is itself
// recorded under create_graph, so second derivatives (gradgradcheck, gradient penalties) work too.
template <class T>
dg::Tensor<T> swish(const dg::Tensor<T>& x) {
    const dg::Array<T>& in = x.value();
    dg::Array<T> y = dg::Array<T>::from_shape(in.shape());
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = in.data()[i] / (T(1) + std::exp(-in.data()[i]));
    return dg::record<T>(std::move(y), {x}, {"swish", "grad_in = grad_out * (s + x*s*(1-s)), s = sigmoid(x)"},
                         [](const dg::TensorList<T>& inputs, const dg::Tensor<T>& /*out*/, const dg::Tensor<T>& g) {
                             const dg::Tensor<T>& x = inputs[0];
                             const dg::Tensor<T> s = dg::sigmoid(x);
                             return dg::TensorList<T>{g * (s + x * s * (T(1) - s))};
                         });
    // Saves defaults to "backward reads every input": changing x in place before backward is then an error.
}

namespace {

bool report(const char* what, const dg::GradcheckReport& r) {
    std::cout << what << ": " << r.str() << "\n";
    return r.ok;
}

}  // namespace

int main() {
    using dg::Tensord;
    bool ok = true;
    dg::Generator gen(3);

    // 1. The op against central differences, first and second derivatives (in double), on values of both signs.
    const Tensord x = Tensord::randn({3, 4}, gen, 0.0, 2.0, /*requires_grad=*/true);
    const auto f = [](const std::vector<Tensord>& in) { return swish(in[0]); };
    ok &= report("gradcheck(swish)", dg::gradcheck(f, dg::NamedTensors{{"x", x}}));
    ok &= report("gradgradcheck(swish)", dg::gradgradcheck(f, dg::NamedTensors{{"x", x}}));

    // 2. The same values and gradients as the composition it fuses.
    const Tensord a = x.detach().set_requires_grad(), b = x.detach().set_requires_grad();
    const Tensord fused = swish(a), composed = b * dg::sigmoid(b);
    dg::sum(fused).backward();
    dg::sum(composed).backward();
    double worst = 0;
    for (std::size_t i = 0; i < x.numel(); ++i)
        worst = std::max({worst, std::abs(fused.at(i) - composed.at(i)), std::abs(a.grad().at(i) - b.grad().at(i))});
    std::cout << "fused op '" << fused.op() << "' vs x * sigmoid(x): largest difference " << worst
              << " (values and gradients)\n";
    ok &= worst < 1e-12;

    // 3. As an activation of a model: registered by name, then named in a spec like a built-in.
    dg::nn::register_activation("swish_fused", [](const auto& t) { return swish(t); });
    dg::nn::Mlp<double> model("4-6-3:swish_fused", gen);
    const Tensord input = Tensord::randn({5, 4}, gen);
    const std::vector<std::size_t> labels = {0, 1, 2, 1, 0};
    const auto loss = [&](const Tensord& out) { return dg::nn::cross_entropy(out, labels); };
    ok &= report("nn::gradcheck(Mlp 4-6-3:swish_fused)", dg::nn::gradcheck(model, input, loss));
    std::cout << (ok ? "PASS" : "FAIL") << "\n";
    return ok ? 0 : 1;
}
