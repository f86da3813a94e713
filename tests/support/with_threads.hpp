// WithThreads: runs a scope with the given deltagrad thread count, and restores the count the process had, also
// when an assertion or exception leaves the scope early. Header-only, shared by the test suites.
#pragma once

#include "autograd/kernels/parallel.hpp"

namespace dg::test {

struct WithThreads {
    int saved = num_threads();
    explicit WithThreads(int n) { set_num_threads(n); }
    ~WithThreads() { set_num_threads(saved); }
    WithThreads(const WithThreads&) = delete;
    WithThreads& operator=(const WithThreads&) = delete;
};

}  // namespace dg::test
