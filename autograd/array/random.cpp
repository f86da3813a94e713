// Generator: Box–Muller normals, unbiased bounded integers, state as text.
#include "autograd/array/random.hpp"

#include <cmath>
#include <sstream>

#include "autograd/array/errors.hpp"

namespace dg {

double Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();  // log(0) is -inf
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
}

std::uint64_t Generator::below(std::uint64_t n) {
    if (n == 0) throw ValueError("Generator::below: n must be positive");
    // Reject the top partial range so every residue is equally likely.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return x % n;
}

std::string Generator::state() const {
    std::ostringstream out;
    out << engine_ << ' ' << has_spare_ << ' ';
    out.precision(17);
    out << std::hexfloat << spare_;
    return out.str();
}

void Generator::set_state(const std::string& state) {
    std::istringstream in(state);
    std::mt19937_64 engine;
    bool has_spare = false;
    double spare = 0.0;
    in >> engine >> has_spare;
    std::string spare_text;
    in >> spare_text;
    if (in.fail() && !in.eof()) throw ValueError("Generator::set_state: malformed state text");
    if (!spare_text.empty()) spare = std::strtod(spare_text.c_str(), nullptr);
    if (!in && spare_text.empty()) throw ValueError("Generator::set_state: malformed state text");
    engine_ = engine;
    has_spare_ = has_spare;
    spare_ = spare;
}

}  // namespace dg
