// libFuzzer target: arbitrary bytes through dg::fuzz::run_cnn_spec (see entry_cnn.hpp). Built by `make fuzz`.
#include "tests/fuzz/entry_cnn.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dg::fuzz::run_cnn_spec(data, size);
    return 0;
}
