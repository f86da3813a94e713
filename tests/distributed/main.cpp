// The distributed test binary's main: one MPI Environment for all tests, rank 0 prints the usual gtest output and
// the other ranks only their failures; the exit code is non-zero if any rank failed. With --simulate-failure it
// instead runs the failure scenarios that tests/distributed/expect_abort.sh checks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "mpi_env.hpp"
#include "training.hpp"

namespace dg::test {
namespace {

const dist::Environment* g_env = nullptr;

/// Prints a non-root rank's failed assertions, prefixed with the rank (its full gtest output would interleave).
class FailurePrinter : public ::testing::EmptyTestEventListener {
public:
    explicit FailurePrinter(std::string where) : where_(std::move(where)) {}
    void OnTestPartResult(const ::testing::TestPartResult& r) override {
        if (r.failed()) std::cerr << "[" << where_ << "] " << r.file_name() << ":" << r.line_number() << ": "
                                  << r.summary() << std::endl;
    }

private:
    std::string where_;
};

/// Rank 1 fails at the third step of a training loop: "throw" raises an exception (the Environment::run abort
/// path), "hang" stops participating (rank 0's watchdog must end the job).
int simulate_failure(const dist::Environment& env, const std::string& mode) {
    return env.run([&] {
        TrainSetup s;
        s.steps = 100000;
        s.options.timeout_seconds = 3;
        s.on_step = [&](std::size_t step) {
            if (env.rank() != 1 || step != 3) return;
            if (mode == "throw") throw std::runtime_error("simulated failure at step 3");
            std::this_thread::sleep_for(std::chrono::hours(1));  // "hang": never reaches the next allreduce
        };
        train_distributed(s);
        return 0;
    });
}

}  // namespace

const dist::Environment& mpi_env() { return *g_env; }

}  // namespace dg::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    dg::dist::Environment env(&argc, &argv);
    dg::test::g_env = &env;
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--simulate-failure=", 19) == 0) return dg::test::simulate_failure(env, argv[i] + 19);

    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    if (!env.is_root()) {
        delete listeners.Release(listeners.default_result_printer());
        listeners.Append(new dg::test::FailurePrinter(env.where()));
    }
    int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
    dg::dist::check_mpi(MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce", env);
    if (env.is_root() && failed) std::cerr << "distributed tests: a rank reported failures (see above)\n";
    return failed;
}
