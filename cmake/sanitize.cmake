# Sanitizer and fuzzing switches (both OFF by default; `make sanitize` and `make fuzz` turn them on in their own
# build folders). Included from the root CMakeLists.txt before any target is defined, so the flags reach
# every library, test and example.
#   DELTAGRAD_SANITIZE  AddressSanitizer (with LeakSanitizer) + UndefinedBehaviorSanitizer; UB aborts the test.
#   DELTAGRAD_FUZZ      the libFuzzer targets in tests/fuzz (needs clang; implies the sanitizers above).
option(DELTAGRAD_SANITIZE "Build with -fsanitize=address,undefined (UB is fatal)" OFF)
option(DELTAGRAD_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(DELTAGRAD_SANITIZE OR DELTAGRAD_FUZZ)
  set(DELTAGRAD_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  # -O1 -g1: compiles much faster than -O2 (CI's time budget), fast enough for the tests, line numbers in reports.
  add_compile_options(${DELTAGRAD_SANITIZE_FLAGS} -O1 -g1)
  add_link_options(-fsanitize=address,undefined)
  # The libraries are static: whoever links them (the find_package consumer test too) needs the sanitizer
  # runtimes, so the exported targets carry the link flag once they exist.
  function(_deltagrad_sanitize_export)
    if(TARGET deltagrad_array)
      target_link_options(deltagrad_array INTERFACE -fsanitize=address,undefined)
    endif()
  endfunction()
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _deltagrad_sanitize_export)
  if(DELTAGRAD_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "DELTAGRAD_FUZZ needs clang++ (libFuzzer): configure with CXX=clang++")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link)
    # Linked by name (deltagrad::nn), resolved once every library is defined.
    add_subdirectory(${PROJECT_SOURCE_DIR}/tests/fuzz ${PROJECT_BINARY_DIR}/fuzz)
  endif()
  # Where the suppressions for third-party code live (see the file for why each one is there).
  set(DELTAGRAD_SANITIZER_SUPPRESSIONS ${PROJECT_SOURCE_DIR}/tests/fuzz/sanitizer.supp)
endif()
