// Replays every input that ever crashed a fuzz target (tests/fuzz/regressions/<target>/) and every seed
// (tests/fuzz/corpus/<target>/) through the same entry point the fuzzer uses: each must parse or throw a
// dg::Error (caught inside the entry point), never crash, hang, trip a sanitizer or throw anything else.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fuzz/entry_data.hpp"
#include "tests/fuzz/entry_mlp.hpp"
#include "tests/fuzz/entry_cnn.hpp"
#include "tests/fuzz/entry_exercise.hpp"
#include "tests/fuzz/entry_recurrent.hpp"

namespace {

namespace fs = std::filesystem;
using Entry = void (*)(const std::uint8_t*, std::size_t);

std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
    std::vector<fs::path> files;
    const fs::path dir = fs::path(DG_SOURCE_DIR) / "tests" / "fuzz" / kind / target;
    if (!fs::exists(dir)) return files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<std::uint8_t> bytes_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs every file of kind/target; returns how many there were.
std::size_t replay(const std::string& kind, const std::string& target, Entry entry) {
    const auto files = inputs(kind, target);
    for (const fs::path& f : files) {
        SCOPED_TRACE(f.string());
        const auto b = bytes_of(f);
        EXPECT_NO_THROW(entry(b.data(), b.size()));
    }
    return files.size();
}

struct Target {
    const char* name;
    Entry entry;
};
const Target targets[] = {{"idx", dg::fuzz::run_idx},
                          {"csv", dg::fuzz::run_csv},
                          {"safetensors", dg::fuzz::run_safetensors},
                          {"mlp_spec", dg::fuzz::run_mlp_spec},
                          {"cnn_spec", dg::fuzz::run_cnn_spec},
                          {"recurrent_spec", dg::fuzz::run_recurrent_spec},
                          {"exercise", dg::fuzz::run_exercise}};

}  // namespace

TEST(FuzzReplay, RegressionInputsParseOrThrowDgError) {
    for (const Target& t : targets) {
        SCOPED_TRACE(t.name);
        replay("regressions", t.name, t.entry);
    }
}

TEST(FuzzReplay, SeedCorporaParseOrThrowDgError) {
    for (const Target& t : targets) {
        SCOPED_TRACE(t.name);
        // Every target has committed seeds; an empty folder would mean the fuzzer starts from nothing.
        EXPECT_GE(replay("corpus", t.name, t.entry), 3u);
    }
}

TEST(FuzzReplay, EveryTargetFolderIsReplayed) {
    // A new fuzz target brings corpus/<name>/ and regressions/<name>/; without a line in `targets` above its
    // inputs would silently never be replayed.
    for (const char* kind : {"corpus", "regressions"})
        for (const auto& e : fs::directory_iterator(fs::path(DG_SOURCE_DIR) / "tests" / "fuzz" / kind)) {
            if (!e.is_directory()) continue;
            const std::string name = e.path().filename().string();
            EXPECT_TRUE(std::any_of(std::begin(targets), std::end(targets), [&](const Target& t) { return name == t.name; }))
                << "tests/fuzz/" << kind << "/" << name << " has no entry in fuzz_replay_test.cpp's `targets`";
        }
}

TEST(FuzzReplay, EntryPointsTakeEmptyAndTinyInputs) {
    const std::uint8_t zero[8] = {};
    for (const Target& t : targets)
        for (std::size_t n : {0, 1, 4, 8}) EXPECT_NO_THROW(t.entry(zero, n)) << t.name << " on " << n << " zero bytes";
}
