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
# MPI is not here: only deltagrad::distributed needs it. The build finds it in cmake/deltagrad_mpi.cmake (a missing MPI
# turns the component off); the installed package config finds it when a consumer asks for that component.
