// libFuzzer target: arbitrary bytes through dg::fuzz::run_exercise (see entry_exercise.hpp). Built by `make fuzz`.
#include "tests/fuzz/entry_exercise.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    dg::fuzz::run_exercise(data, size);
    return 0;
}
