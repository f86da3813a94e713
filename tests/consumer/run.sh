#!/usr/bin/env bash
# Installs the built deltagrad into a scratch prefix, then builds and runs tests/consumer against it as a user would:
# compiled for the x86-64 baseline (-march=x86-64) with MPI hidden (a consumer of deltagrad::nn must not need it), and
# checks that no -march flag of deltagrad's build reaches the consumer. When the package has the distributed component,
# a second build asks for it (COMPONENTS distributed) and links a program on it; hiding MPI then must fail, by name.
set -euo pipefail
build_dir=$1
source_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
package=$(dirname "$(find "$work/prefix" -name deltagradConfig.cmake)")
if grep -n -- '-march' "$package"/deltagrad*Targets*.cmake; then
  fail "the installed targets carry a -march flag (above): a consumer's build must keep its own"
fi

cmake -S "$source_dir" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS=-march=x86-64 -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON > "$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "find_package(deltagrad COMPONENTS nn) with MPI hidden"; }
cmake --build "$work/build" --verbose > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building the consumer"; }
compile_lines=$(grep -- ' -c .*main\.cpp' "$work/build.log") || fail "no compile line for main.cpp in the build log"
if grep -o -- '-march=[^ ]*' <<< "$compile_lines" | grep -vx -- '-march=x86-64'; then
  fail "the consumer was compiled with a -march flag of deltagrad's (above)"
fi
"$work/build/consumer"

if [ -f "$package/deltagradDistributedTargets.cmake" ]; then
  cmake -S "$source_dir" -B "$work/build-mpi" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCONSUMER_DISTRIBUTED=ON > "$work/configure-mpi.log" 2>&1 ||
    { cat "$work/configure-mpi.log"; fail "find_package(deltagrad COMPONENTS distributed)"; }
  cmake --build "$work/build-mpi" > "$work/build-mpi.log" 2>&1 || { cat "$work/build-mpi.log"; fail "building on deltagrad::distributed"; }
  "$work/build-mpi/consumer_distributed"
  echo "ok: deltagrad::distributed links (COMPONENTS distributed)"
  if cmake -S "$source_dir" -B "$work/build-nompi" -DCMAKE_PREFIX_PATH="$work/prefix" -DCONSUMER_DISTRIBUTED=ON \
       -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON > "$work/configure-nompi.log" 2>&1; then
    fail "COMPONENTS distributed was found with MPI hidden"
  fi
  grep -q "component 'distributed' is not available" "$work/configure-nompi.log" ||
    { cat "$work/configure-nompi.log"; fail "the error for a missing MPI does not name the component"; }
  echo "ok: without MPI, COMPONENTS distributed fails naming the component"
fi
