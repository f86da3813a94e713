# Finds deltagrad's dependencies; shared by the build and by the installed package config.
include(CMakeFindDependencyMacro)
find_dependency(xtl)
find_dependency(xsimd)
find_dependency(xtensor)
find_dependency(xtensor-blas)
find_dependency(OpenBLAS)
find_dependency(Threads)
find_dependency(ZLIB)
find_dependency(nlohmann_json)
# MPI, for deltagrad::distributed only. The installed package config sets DELTAGRAD_PACKAGE_HAS_MPI to whether that
# component was built (so a consumer of a build without it never needs MPI); the build itself finds MPI in
# cmake/deltagrad_mpi.cmake, where a missing MPI turns the component off instead of failing.
if(DELTAGRAD_PACKAGE_HAS_MPI)
  find_dependency(MPI COMPONENTS CXX)
endif()
