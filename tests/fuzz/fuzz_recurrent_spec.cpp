// libFuzzer target: arbitrary bytes through dg::fuzz::run_recurrent_spec (see entry_recurrent.hpp). Built by `make fuzz`.
#include "tests/fuzz/entry_recurrent.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dg::fuzz::run_recurrent_spec(data, size);
    return 0;
}
