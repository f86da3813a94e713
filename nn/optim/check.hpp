// Argument checks shared by the optimizers, schedules and clipping: each throws a dg::ValueError that
// names the caller, the argument, the value received and the range expected.
#pragma once

#include <string>

namespace dg::optim::detail {

/// "<who>: invalid <arg> <value> (expected <expected>)" as a ValueError.
[[noreturn]] void invalid(const std::string& who, const char* arg, double value, const char* expected);

/// A finite value >= 0 (NaN and infinities fail).
void check_non_negative(const std::string& who, const char* arg, double value);
/// A finite value > 0.
void check_positive(const std::string& who, const char* arg, double value);
/// 0 <= value < 1 (momentum, betas).
void check_unit_open(const std::string& who, const char* arg, double value);
/// 0 <= value <= 1 (dampening).
void check_unit_closed(const std::string& who, const char* arg, double value);

}  // namespace dg::optim::detail
