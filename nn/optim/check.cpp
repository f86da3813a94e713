// Argument checks shared by the optimizers, schedules and clipping (see check.hpp).
#include "nn/optim/check.hpp"

#include <cmath>
#include <sstream>

#include "autograd/array/errors.hpp"

namespace dg::optim::detail {

void invalid(const std::string& who, const char* arg, double value, const char* expected) {
    std::ostringstream os;
    os << who << ": invalid " << arg << " " << value << " (expected " << expected << ")";
    throw ValueError(os.str());
}

// Written as !(in range) so that NaN, which fails every comparison, is rejected too.
void check_non_negative(const std::string& who, const char* arg, double value) {
    if (!(value >= 0.0 && std::isfinite(value))) invalid(who, arg, value, "a finite value >= 0");
}

void check_positive(const std::string& who, const char* arg, double value) {
    if (!(value > 0.0 && std::isfinite(value))) invalid(who, arg, value, "a finite value > 0");
}

void check_unit_open(const std::string& who, const char* arg, double value) {
    if (!(value >= 0.0 && value < 1.0)) invalid(who, arg, value, "0 <= value < 1");
}

void check_unit_closed(const std::string& who, const char* arg, double value) {
    if (!(value >= 0.0 && value <= 1.0)) invalid(who, arg, value, "0 <= value <= 1");
}

}  // namespace dg::optim::detail
