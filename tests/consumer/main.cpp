// Uses the installed deltagrad as a user's program would: a derivative (autograd), then a tiny MLP trained with Adam
// and a checkpoint round trip (deltagrad::nn, its data and optim libraries). Exit code 0 when every check holds.
#include <deltagrad/autograd/kernels/gemm_kernel.hpp>
#include <deltagrad/autograd/ops.hpp>
#include <deltagrad/nn/checkpoint.hpp>
#include <deltagrad/nn/nn.hpp>
#include <deltagrad/nn/optim/adam.hpp>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
    std::cout << (ok ? "ok: " : "FAILED: ") << what << "\n";
    failures += !ok;
}

float mean_loss(dg::nn::Mlp<float>& model, const dg::Tensor<float>& x, const std::vector<std::size_t>& y) {
    return dg::nn::cross_entropy(model(x), y).item();
}

}  // namespace

int main() {
    // d/dx (x^2 + 3x) at x = 2 is 7.
    dg::Tensord x = dg::Tensord::scalar(2.0, true);
    dg::Tensord y = x * x + 3.0 * x;
    y.backward();
    check(x.grad().item() == 7.0, "d/dx (x^2 + 3x) at 2 = " + std::to_string(x.grad().item()));

    // The GEMM kernel chooses its instruction set at run time, whatever this program was compiled for.
    const std::vector<std::string> isas = dg::blas::own_gemm_isas();
    check(!isas.empty() && isas.front() == dg::blas::own_gemm_isa(),
          std::string("GEMM kernel runs the widest instruction set this CPU has: ") + dg::blas::own_gemm_isa());

    // A 4-8-3 MLP, 20 Adam steps on 6 fixed samples: the loss falls.
    dg::Generator gen(7);
    dg::nn::Mlp<float> model("4-8-3:tanh", gen);
    dg::optim::Adam<float> opt(model.parameters(), dg::optim::AdamOptions(0.05));
    const dg::Tensor<float> inputs = dg::Tensor<float>::randn({6, 4}, gen);
    const std::vector<std::size_t> labels = {0, 1, 2, 0, 1, 2};
    const float before = mean_loss(model, inputs, labels);
    for (int step = 0; step < 20; ++step) {
        opt.zero_grad();
        dg::nn::cross_entropy(model(inputs), labels).backward();
        opt.step();
    }
    const float after = mean_loss(model, inputs, labels);
    check(after < 0.5f * before, "loss " + std::to_string(before) + " -> " + std::to_string(after));

    // Save model and optimizer, load them into a model built from another seed: the same outputs, bit for bit.
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("deltagrad_consumer_" + std::to_string(::getpid()) + ".safetensors"))
                                 .string();
    dg::nn::CheckpointInfo info;
    info.step = 20;
    info.spec = "4-8-3:tanh";
    dg::nn::save_checkpoint(path, model, &opt, info);
    dg::Generator other(99);
    dg::nn::Mlp<float> loaded(dg::nn::read_checkpoint_info(path).spec, other);
    dg::optim::Adam<float> loaded_opt(loaded.parameters(), dg::optim::AdamOptions(0.05));
    const dg::nn::CheckpointInfo back = dg::nn::load_checkpoint(path, loaded, &loaded_opt);
    std::filesystem::remove(path);
    const dg::Array<float> a = model(inputs).value(), b = loaded(inputs).value();
    check(back.step == 20 && a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0,
          "checkpoint round trip: same outputs after loading");
    return failures == 0 ? 0 : 1;
}
