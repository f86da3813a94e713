// libFuzzer target: arbitrary bytes through dg::fuzz::run_mlp_spec (see entry_mlp.hpp). Built by `make fuzz`.
#include "tests/fuzz/entry_mlp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dg::fuzz::run_mlp_spec(data, size);
    return 0;
}
