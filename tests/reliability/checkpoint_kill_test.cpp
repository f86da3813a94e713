// A process killed (SIGKILL) while it writes a checkpoint leaves the previous checkpoint loadable.
//
// The parent saves a first (small) checkpoint, then forks children that save large checkpoints to the same
// path in a loop and SIGKILLs each at a different moment: right after (or shortly after) a save's temporary
// file appears (the kill lands inside AtomicFile's write / fsync / rename), or blindly some time after the
// fork (anywhere: between saves, while the child changes the weights, mid-write). After every kill the file
// at the path must load and be bit-identical to the first checkpoint or to one complete later save; while the
// child runs, the path must only ever have the size of a complete checkpoint. At least one kill must leave a
// torn temporary file behind (proof that a write was really interrupted), and the loader must refuse it.
// The temporary files the killed children leave stay in the folder, so the later children save next to them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "autograd/engine.hpp"
#include "autograd/array/errors.hpp"
#include "nn/checkpoint.hpp"
#include "nn/nn.hpp"

namespace dg::nn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The first checkpoint: a small model. The children's saves: a 4 MB model (about 1.05 M floats), so one
// write(2) of the data section takes about a millisecond and fsync more.
constexpr const char* small_spec = "4-8-3:tanh";
constexpr const char* big_spec = "512-1024-512-10:tanh";
// Child c's j-th save has step 100000 + 1000 c + j: always 6 digits, so every big checkpoint has one size.
constexpr std::int64_t step_base = 100000;

std::int64_t step_of(int child, int save) { return step_base + 1000 * child + save; }

/// The parameters of the big checkpoint with step `step`: the base weights plus a step-dependent offset
/// (computed the same way in the child that saves and in the parent that checks, so bit-identical).
void set_state(Mlp<float>& model, const std::vector<Array<float>>& base, std::int64_t step) {
    const float offset = 0.001f * static_cast<float>(step - step_base);
    NoGradGuard no_grad;
    const auto named = model.named_parameters();
    for (std::size_t i = 0; i < named.size(); ++i) {
        Tensor<float> handle = named[i].second;
        Array<float>& a = handle.mutable_value();
        const float* src = base[i].data();
        float* dst = a.data();
        for (std::size_t k = 0; k < a.size(); ++k) dst[k] = src[k] + offset;
    }
}

std::vector<Array<float>> values_of(const Module<float>& model) {
    std::vector<Array<float>> out;
    for (const auto& [name, p] : model.named_parameters()) out.push_back(p.value());
    return out;
}

bool same_bits(const std::vector<Array<float>>& a, const std::vector<Array<float>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (shape_of(a[i]) != shape_of(b[i]) || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
            return false;
    return true;
}

CheckpointInfo info_for(const std::string& spec, std::int64_t step) {
    CheckpointInfo info;
    info.spec = spec;
    info.step = step;
    return info;
}

/// The names of the temporary files AtomicFile creates for `target` (target + ".tmp.XXXXXX").
std::set<std::string> temp_files(const fs::path& dir, const std::string& target_name) {
    std::set<std::string> out;
    const std::string prefix = target_name + ".tmp.";
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.compare(0, prefix.size(), prefix) == 0) out.insert(name);
    }
    return out;
}

std::int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : -1;
}

/// The child: saves big checkpoints to `path` until it is killed. Never returns into gtest.
[[noreturn]] void child_saves(const std::string& path, Mlp<float>& model, const std::vector<Array<float>>& base,
                              int child) {
    try {
        for (int j = 1; j < 1000; ++j) {
            set_state(model, base, step_of(child, j));
            save_checkpoint(path, model, static_cast<const optim::Optimizer<float>*>(nullptr),
                            info_for(big_spec, step_of(child, j)));
        }
        ::_exit(0);
    } catch (...) {
        ::_exit(3);
    }
}

class CheckpointKillTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dg_checkpoint_kill_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

/// How one child is killed.
struct KillPlan {
    bool targeted;   ///< wait for a temporary file of this child (else: a blind kill after `delay`)
    int skip_saves;  ///< targeted: let this many of its temporary files come and go first
    std::chrono::microseconds delay;  ///< targeted: after the temporary file appears; blind: after the fork
};

TEST_F(CheckpointKillTest, SigkillMidWriteLeavesThePreviousCheckpointLoadable) {
    const std::string name = "model.safetensors";
    const std::string path = (dir_ / name).string();
    using us = std::chrono::microseconds;

    Generator g1(1), g2(2);
    Mlp<float> first(small_spec, g1);
    save_checkpoint(path, first, static_cast<const optim::Optimizer<float>*>(nullptr), info_for(small_spec, 0));
    const std::vector<Array<float>> first_values = values_of(first);
    const std::int64_t small_size = file_size(path);

    Mlp<float> big(big_spec, g2);  // built once before the forks; each child changes its own copy
    const std::vector<Array<float>> base = values_of(big);
    // The size of every complete big checkpoint (same spec, 6-digit step): a reference save elsewhere.
    const std::string reference = (dir_ / "reference.safetensors").string();
    set_state(big, base, step_of(0, 0));
    save_checkpoint(reference, big, static_cast<const optim::Optimizer<float>*>(nullptr),
                    info_for(big_spec, step_of(0, 0)));
    const std::int64_t big_size = file_size(reference);
    fs::remove(reference);
    ASSERT_GT(big_size, 4'000'000);

    const std::vector<KillPlan> plans = {
        {true, 0, us(0)},  {true, 0, us(0)},       {true, 1, us(0)},        {true, 0, us(200)},
        {true, 0, us(800)}, {false, 0, us(1000)}, {false, 0, us(40'000)}, {false, 0, us(150'000)},
    };

    // What the path holds: std::nullopt = the first checkpoint, else the step of a big one.
    std::optional<std::int64_t> current;
    int mid_write = 0, torn_refused = 0, complete_temp = 0, replaced = 0;
    std::int64_t bad_sizes_seen = 0, polls = 0;
    Mlp<float> loaded_small(small_spec, g1), loaded_big(big_spec, g2);
    const auto started = Clock::now();

    std::string child_ms;
    for (int c = 0; c < static_cast<int>(plans.size()); ++c) {
        const auto child_started = Clock::now();
        SCOPED_TRACE("child " + std::to_string(c));
        const KillPlan& plan = plans[c];
        const std::set<std::string> before = temp_files(dir_, name);

        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0) << std::strerror(errno);
        if (pid == 0) child_saves(path, big, base, c + 1);

        // Parent: poll the folder (and the size at the path) until it is time to kill.
        const auto forked = Clock::now();
        const auto give_up = forked + std::chrono::seconds(3);
        std::set<std::string> seen;
        bool waited_out = false;
        while (true) {
            const std::int64_t size = file_size(path);
            ++polls;
            if (size != small_size && size != big_size) ++bad_sizes_seen;
            const auto now = Clock::now();
            if (now > give_up) {
                waited_out = true;
                break;
            }
            if (!plan.targeted) {
                if (now - forked >= plan.delay) break;
                std::this_thread::sleep_for(std::chrono::microseconds(50));
                continue;
            }
            bool fresh = false;
            for (const std::string& t : temp_files(dir_, name))
                if (!before.count(t) && seen.insert(t).second) fresh = true;
            if (fresh && static_cast<int>(seen.size()) > plan.skip_saves) {
                if (plan.delay.count() > 0) std::this_thread::sleep_for(plan.delay);
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(20));  // leave the child a core on a busy machine
        }
        ASSERT_EQ(::kill(pid, SIGKILL), 0) << std::strerror(errno);
        const auto killed_at = Clock::now();
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "the child was not killed by SIGKILL (exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
            << ": 3 = a save threw)";
        EXPECT_FALSE(waited_out) << "no temporary file of the child appeared within 3 s";

        // The path holds a complete checkpoint: the first one, or one the child finished.
        const std::int64_t size = file_size(path);
        ASSERT_TRUE(size == small_size || size == big_size) << "size " << size;
        CheckpointInfo info;
        ASSERT_NO_THROW(info = read_checkpoint_info(path));
        if (info.spec == small_spec) {
            ASSERT_NO_THROW(load_checkpoint(path, loaded_small, static_cast<optim::Optimizer<float>*>(nullptr)));
            EXPECT_EQ(info.step, 0);
            EXPECT_TRUE(same_bits(values_of(loaded_small), first_values)) << "not the first checkpoint";
            EXPECT_FALSE(current.has_value()) << "the path went back to the first checkpoint";
        } else {
            ASSERT_EQ(info.spec, big_spec);
            ASSERT_NO_THROW(load_checkpoint(path, loaded_big, static_cast<optim::Optimizer<float>*>(nullptr)));
            // Either unchanged since the last child, or a save of this child.
            const bool this_child = info.step > step_of(c + 1, 0) && info.step < step_of(c + 2, 0);
            EXPECT_TRUE(this_child || (current && *current == info.step)) << "step " << info.step;
            Mlp<float>& expected = big;  // the parent's copy: set to the state of that step
            set_state(expected, base, info.step);
            EXPECT_TRUE(same_bits(values_of(loaded_big), values_of(expected)))
                << "the parameters are not those of the save with step " << info.step;
            if (!current || *current != info.step) ++replaced;
            current = info.step;
        }

        // A temporary file the child left: the kill landed between mkstemp and rename. Shorter than a complete
        // checkpoint = torn mid-write, and the loader must refuse it.
        for (const std::string& t : temp_files(dir_, name)) {
            if (before.count(t)) continue;
            const std::string temp = (dir_ / t).string();
            const std::int64_t temp_size = file_size(temp);
            if (temp_size < big_size) {
                ++mid_write;
                EXPECT_THROW(load_checkpoint(temp, loaded_big, static_cast<optim::Optimizer<float>*>(nullptr)),
                             IoError)
                    << "a torn temporary file of " << temp_size << " of " << big_size << " bytes was accepted";
                ++torn_refused;
            } else {
                ++complete_temp;  // killed after the last write (in fsync, or before rename)
            }
        }
        const auto ms = [](auto d) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); };
        child_ms += (c ? " " : "") + ms(killed_at - child_started) + "+" + ms(Clock::now() - killed_at);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

    std::cout << "[ kill     ] " << plans.size() << " kills in " << seconds << " s: " << mid_write
              << " mid-write (torn temporary file left, refused by the loader: " << torn_refused << "), "
              << complete_temp << " after the last write but before rename, " << replaced
              << " times the path held a newer complete save; " << polls << " polls of the path, " << bad_sizes_seen
              << " with a size other than a complete checkpoint's; " << temp_files(dir_, name).size()
              << " temporary files left in the folder; ms per child (fork to kill + kill to checked): " << child_ms << "\n";
    EXPECT_EQ(bad_sizes_seen, 0);
    EXPECT_GE(mid_write, 1) << "no kill landed mid-write: the test proved nothing about torn writes";
    // A save still completes next to the earlier children's leftovers (child 2 is killed only once its first
    // temporary file has been renamed away and a second one has appeared).
    EXPECT_TRUE(current.has_value()) << "no child ever completed a save";
}

}  // namespace
}  // namespace dg::nn
