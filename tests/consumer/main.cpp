// Uses the installed deltagrad: d/dx (x^2 + 3x) at x = 2 must be 7.
#include <deltagrad/autograd/ops.hpp>
#include <iostream>

int main() {
    dg::Tensord x = dg::Tensord::scalar(2.0, true);
    dg::Tensord y = x * x + 3.0 * x;
    y.backward();
    std::cout << "dy/dx = " << x.grad().item() << "\n";
    return x.grad().item() == 7.0 ? 0 : 1;
}
