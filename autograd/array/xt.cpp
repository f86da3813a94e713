// The array-level helpers every library shares (deltagrad::array): shape formatting.
#include "autograd/array/xt.hpp"

#include <sstream>

namespace dg {

std::string shape_str(const Shape& s) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < s.size(); ++i) out << (i ? ", " : "") << s[i];
    out << ']';
    return out.str();
}

}  // namespace dg
