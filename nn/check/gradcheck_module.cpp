// gradcheck of a module's parameters: names them and hands the module's forward to dg::gradcheck.
#include "nn/check/gradcheck_module.hpp"

namespace dg::nn {

GradcheckReport gradcheck(Module<double>& module, const Tensor<double>& input, const OutputLoss& loss,
                          const ModuleGradcheckOptions& options) {
    NamedTensors checked;
    for (const auto& [name, p] : module.named_parameters())
        if (p.requires_grad()) checked.emplace_back(name, p);
    if (options.check_input) checked.emplace_back("input", input);
    if (checked.empty())
        throw ValueError("gradcheck: " + module.where() +
                         " has no parameter that requires grad (and check_input is off): nothing to check");
    // f ignores its argument: the module reads its own parameters, which are the very tensors gradcheck
    // perturbs, and `input` is the checked input itself when check_input is on.
    const TensorFn f = [&](const std::vector<Tensor<double>>&) {
        const Tensor<double> output = module(input);
        return loss ? loss(output) : output;
    };
    return dg::gradcheck(f, checked, options.check);
}

}  // namespace dg::nn
