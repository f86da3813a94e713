// Environment: the process's MPI session (init / finalize, rank, size), MPI errors as dg::DistributedError, and
// the abort path that brings every rank down when one fails, so a failure never leaves the others hanging.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <string>

#include "autograd/array/errors.hpp"

namespace dg::dist {

/// An MPI call failed (its error string is in the message), or a collective timed out.
struct DistributedError : Error {
    using Error::Error;
};

/// Exit code of a rank that aborts the job (an exception escaped Environment::run, or abort() was called).
inline constexpr int abort_exit_code = 3;
/// Exit code of a rank whose Watchdog expired (a collective did not complete in time).
inline constexpr int watchdog_exit_code = 4;

/// The MPI session of this process, one per process (RAII). Construction calls MPI_Init_thread (funneled: only the
/// main thread calls MPI) and switches MPI_COMM_WORLD to MPI_ERRORS_RETURN, so a failing MPI call becomes a
/// DistributedError instead of killing the process silently. Destruction calls MPI_Finalize, or MPI_Abort when
/// it runs during the unwinding of an exception (another rank may be waiting in a collective).
///
/// Run under mpirun for several processes; started directly it is a single-process job (rank 0 of 1).
class Environment {
public:
    /// Initialises MPI with main's arguments (MPI may remove its own from them).
    Environment(int* argc, char*** argv);
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

    int rank() const { return rank_; }  ///< this process's rank in MPI_COMM_WORLD, 0 … size() - 1
    int size() const { return size_; }  ///< the number of processes in the job
    /// Rank 0: the one that prints, plots and writes checkpoints.
    bool is_root() const { return rank_ == 0; }
    /// "rank 1 of 2": how messages name this process.
    std::string where() const;

    /// Prints `deltagrad distributed: rank R of N failed: <message>; aborting all ranks` to stderr and ends the
    /// whole job with MPI_Abort (every rank exits, mpirun returns non-zero).
    [[noreturn]] void abort(const std::string& message, int code = abort_exit_code) const;
    /// Runs `body` and returns its exit code; an exception that escapes it aborts the whole job (see abort()).
    /// Wrap a program's main work in it.
    int run(const std::function<int()>& body) const;

    /// Waits for every rank.
    void barrier() const;
    /// Replaces values[0..n) by their sums over all ranks (e.g. epoch metrics: loss sums, correct counts).
    void sum(double* values, std::size_t n) const;

private:
    int rank_ = 0;
    int size_ = 1;
    int uncaught_at_start_ = 0;
};

/// Throws DistributedError "<what> failed on <where>: <MPI error string>" when `rc` is not MPI_SUCCESS.
void check_mpi(int rc, const std::string& what, const Environment& env);

}  // namespace dg::dist
