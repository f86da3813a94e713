// The README's quick start, compiled so it never rots: an MLP trained on a slice of Fashion-MNIST with Adam,
// then a gradient checked against central differences.
#include <iostream>

#include "autograd/inspect/gradcheck.hpp"
#include "autograd/ops.hpp"
#include "nn/data/fashion_mnist.hpp"
#include "nn/data/loader.hpp"
#include "nn/nn.hpp"
#include "nn/optim/adam.hpp"

int main() {
    using namespace dg;
    Generator gen(42);                                   // every random draw takes a seeded generator
    nn::Mlp<float> model("784-128-10:relu", gen);        // hidden ReLU, linear output (logits)
    optim::Adam<float> opt(model.parameters(), optim::AdamOptions(1e-3));

    auto train = data::load_fashion_mnist<float>(data::FashionMnistSplit::Train, 5000);
    data::DataLoader<float> loader(train, {64, true, false}, Generator(1));
    for (int epoch = 0; epoch < 2; ++epoch) {
        double total = 0;
        std::size_t batches = 0;
        while (loader.next()) {
            const auto& b = loader.batch();
            std::vector<std::size_t> labels(b.y.begin(), b.y.end());
            Tensor<float> loss = nn::cross_entropy(model(Tensor<float>(b.x)), labels);
            opt.zero_grad();
            loss.backward();
            opt.step();
            total += loss.item();
            ++batches;
        }
        std::cout << "epoch " << epoch + 1 << ": mean loss " << total / batches << "\n";
    }

    // Any function of tensors can be checked against central differences, in double.
    Tensord w = Tensord::randn({3, 4}, gen, 0, 1, true);
    Tensord x = Tensord::randn({5, 4}, gen);
    auto report = gradcheck([&](const std::vector<Tensord>& in) { return tanh(matmul(x, transpose(in[0]))); }, {w});
    std::cout << report.str() << "\n";
    return report.ok ? 0 : 1;
}
