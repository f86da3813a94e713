// shape_overflow: the dim, stride, element-count and byte-count limits that every file reader checks before it
// turns a header into an array (see shape_check.hpp for why each one exists).
#include "nn/data/shape_check.hpp"

#include <limits>

namespace dg::data {
namespace {

constexpr std::size_t max_index = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());

std::string index_limit() { return "xtensor's index type std::ptrdiff_t (max " + std::to_string(max_index) + ")"; }

/// Why a stride is refused although the array would be empty: xtensor multiplies the dims from the last one,
/// so a 0 among dims[0..last] (before the huge ones) does not stop the overflow.
std::string zero_note(const std::vector<std::size_t>& dims, std::size_t last) {
    for (std::size_t k = 0; k <= last; ++k)
        if (dims[k] == 0)
            return "; dimension " + std::to_string(k) +
                   " is 0, so the array would hold no elements, but its strides are computed all the same";
    return "";
}

}  // namespace

std::optional<std::string> shape_overflow(const std::vector<std::size_t>& dims, std::size_t element_size) {
    // Each dim alone: xtensor casts it to std::ptrdiff_t, where a larger one turns negative.
    for (std::size_t i = 0; i < dims.size(); ++i)
        if (dims[i] > max_index)
            return "dimension " + std::to_string(i) + " (" + std::to_string(dims[i]) + ") overflows " + index_limit();

    // The running product from the last dim back, exactly as xtensor computes the strides: before the step at
    // dimension i it is the stride of dimension i, after it the stride of dimension i - 1 (the element count
    // after i = 0). Once a dim of 0 is passed it stays 0, so only huge dims after every 0 can overflow.
    std::size_t product = 1;
    for (std::size_t i = dims.size(); i-- > 0;) {
        if (dims[i] != 0 && product > max_index / dims[i]) {
            if (i == 0)
                return "the element count (the product of all " + std::to_string(dims.size()) + " dims) overflows " +
                       index_limit();
            return "the stride of dimension " + std::to_string(i - 1) + " (the product of dimensions " +
                   std::to_string(i) + " to " + std::to_string(dims.size() - 1) + ") overflows " + index_limit() +
                   zero_note(dims, i - 1);
        }
        product *= dims[i];
    }

    // The bytes: what the reader allocates and what its offset arithmetic adds up must fit too.
    if (element_size != 0 && product > max_index / element_size)
        return "the " + std::to_string(product) + " elements of " + std::to_string(element_size) +
               " bytes each overflow " + index_limit() + " as a byte count";
    return std::nullopt;
}

}  // namespace dg::data
