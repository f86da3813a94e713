# The optional distributed component (deltagrad::distributed, data-parallel training on MPI). DELTAGRAD_MPI is ON
# by default exactly when an MPI C++ installation is found (scripts/install-deps installs Open MPI); turning it ON
# without MPI is an error rather than a silently missing component.
find_package(MPI COMPONENTS CXX QUIET)
option(DELTAGRAD_MPI "Build deltagrad::distributed (data-parallel training on MPI)" ${MPI_CXX_FOUND})
if(DELTAGRAD_MPI AND NOT MPI_CXX_FOUND)
  message(FATAL_ERROR "DELTAGRAD_MPI is ON but no MPI C++ installation was found: run scripts/install-deps "
                      "(Open MPI: openmpi-bin, libopenmpi-dev) or configure with -DDELTAGRAD_MPI=OFF")
endif()
# Set ON by nn/CMakeLists.txt once deltagrad::distributed is defined; written into the installed package config.
set(DELTAGRAD_PACKAGE_HAS_MPI OFF)
if(DELTAGRAD_MPI)
  find_program(DELTAGRAD_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE} DOC "mpirun used by the distributed tests")
  message(STATUS "deltagrad: distributed component ON (MPI ${MPI_CXX_VERSION}, ${DELTAGRAD_MPIEXEC})")
else()
  message(STATUS "deltagrad: distributed component OFF (no MPI, or -DDELTAGRAD_MPI=OFF)")
endif()
