// Environment: MPI init/finalize, errors returned (not fatal) and turned into exceptions, the job-wide abort.
#include "nn/distributed/environment.hpp"

#include <mpi.h>

#include <cstdio>

namespace dg::dist {
namespace {

bool g_created = false;  // MPI can be initialised once per process

std::string mpi_error_string(int rc) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) return "MPI error code " + std::to_string(rc);
    return std::string(text, static_cast<std::size_t>(len));
}

}  // namespace

Environment::Environment(int* argc, char*** argv) : uncaught_at_start_(std::uncaught_exceptions()) {
    if (g_created) throw DistributedError("dist::Environment: MPI is already initialised in this process (create one "
                                          "Environment, in main)");
    int provided = 0;
    const int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) throw DistributedError("MPI_Init_thread failed: " + mpi_error_string(rc));
    g_created = true;
    // Errors come back as codes (check_mpi turns them into exceptions) instead of MPI's default fatal handler,
    // whose message does not say what deltagrad was doing.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Environment::~Environment() {
    if (std::uncaught_exceptions() > uncaught_at_start_)
        abort("an exception escaped while the MPI environment was alive");
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
}

std::string Environment::where() const {
    return "rank " + std::to_string(rank_) + " of " + std::to_string(size_);
}

void Environment::abort(const std::string& message, int code) const {
    std::fprintf(stderr, "deltagrad distributed: %s failed: %s; aborting all ranks\n", where().c_str(),
                 message.c_str());
    std::fflush(stderr);
    std::fflush(stdout);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this is for the compiler and for a broken MPI
}

int Environment::run(const std::function<int()>& body) const {
    try {
        return body();
    } catch (const std::exception& e) {
        abort(e.what());
    } catch (...) {
        abort("unknown exception");
    }
}

void Environment::barrier() const { check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier", *this); }

void Environment::sum(double* values, std::size_t n) const {
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, values, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce (sum)", *this);
}

void check_mpi(int rc, const std::string& what, const Environment& env) {
    if (rc != MPI_SUCCESS) throw DistributedError(what + " failed on " + env.where() + ": " + mpi_error_string(rc));
}

}  // namespace dg::dist
