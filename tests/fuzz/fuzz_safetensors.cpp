// libFuzzer target: arbitrary bytes through dg::fuzz::run_safetensors (see entry_data.hpp). Built by `make fuzz`.
#include "tests/fuzz/entry_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dg::fuzz::run_safetensors(data, size);
    return 0;
}
