// The test binary's one MPI environment (created in main.cpp), shared by every test of tests/distributed.
#pragma once

#include "nn/distributed/environment.hpp"

namespace dg::test {

/// The Environment main() created; every rank runs every test in the same order (collectives must match).
const dist::Environment& mpi_env();

}  // namespace dg::test
