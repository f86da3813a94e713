// deltagrad's own threads: how many it uses, and the one way it runs work on them.
// Why its own and not OpenBLAS's: on this project's shapes (a 784-100-10 MLP at batch 256-1024) OpenBLAS's
// threaded GEMM gains 1.3-1.5x from a second core, while two single-threaded GEMMs on halves of the output gain
// 1.7-1.9x (benchmarks/gemm_threads_bench, RESULTS.md). So deltagrad splits large products itself and runs every
// BLAS call on one OpenBLAS thread (autograd/kernels/blas.hpp).
#pragma once

#include <cstddef>
#include <exception>
#include <mutex>
#include <type_traits>
#include <utility>

namespace dg {

/// The number of threads deltagrad runs large operations on. Read once from the environment: DG_NUM_THREADS when
/// set, else OpenBLAS's thread count (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, else every core).
int num_threads();
/// Sets the thread count (>= 1; ValueError otherwise). 1 runs everything on the calling thread. Results are the
/// same for the same count, bit for bit; different counts may differ in the last bits of a matrix product.
void set_num_threads(int threads);

namespace detail {
/// The thread count the environment asks for (see num_threads); ValueError names DG_NUM_THREADS when it is not a
/// count from 1 to 4096.
int threads_from_environment();
}  // namespace detail

namespace parallel {

/// The type-erased form of run(): fn(ctx, part) for every part. fn must not throw (run() catches for it).
void run_parts(std::size_t parts, void (*fn)(void* ctx, std::size_t part), void* ctx);

/// Calls f(part) for part = 0 .. parts-1, part 0 on the calling thread and the others on deltagrad's worker
/// threads, and returns when every part is done. Falls back to running the parts one after another on the caller
/// when the workers are busy (a call from a second user thread, or from inside a part), so it never blocks on
/// another caller. Callers pass parts <= num_threads(). An exception thrown by a part is rethrown here (the first one
/// caught, when several throw).
template <class F>
void run(std::size_t parts, F&& f) {
    struct Ctx {
        std::remove_reference_t<F>* f;  // F is a reference type when run() is given a named callable
        std::mutex lock;  // taken only when a part throws
        std::exception_ptr error;
    };
    Ctx ctx{&f, {}, {}};
    run_parts(parts, [](void* p, std::size_t part) {
        auto& c = *static_cast<Ctx*>(p);
        try {
            (*c.f)(part);
        } catch (...) {
            std::lock_guard<std::mutex> hold(c.lock);
            if (!c.error) c.error = std::current_exception();
        }
    }, &ctx);
    if (ctx.error) std::rethrow_exception(ctx.error);
}

/// Elementwise loops at least this long (1 MiB of floats) are split over the threads. Shorter ones stay on the
/// caller: splitting the 78k-element SGD update of a 784-100-10 MLP made its batch-1 step 1.8x slower with 2
/// threads (the matrix products around it are too small to split, so the worker's half of the weights went
/// back and forth between the cores' caches; RESULTS.md).
inline constexpr std::size_t split_elements = std::size_t(1) << 18;

/// Parts start at multiples of this many elements: a part of a float array owns whole 64-byte cache lines (no line
/// written by two threads), and a part of a matrix product whole blocks of OpenBLAS's 16-wide kernels.
inline constexpr std::size_t part_unit = 16;

/// Where part p of `parts` starts along [0, extent): the even split rounded to the nearest multiple of part_unit.
/// part_start(e, n, n) = e.
std::size_t part_start(std::size_t extent, std::size_t parts, std::size_t p);

/// Calls f(lo, hi) on contiguous ranges covering [0, n): one range per thread when n >= split_elements, else
/// f(0, n) on the caller. For loops whose iterations are independent (the result does not depend on the split).
template <class F>
void for_range(std::size_t n, F&& f) {
    const std::size_t threads = static_cast<std::size_t>(num_threads());
    if (n < split_elements || threads < 2) return f(std::size_t(0), n);
    run(threads, [&](std::size_t p) { f(part_start(n, threads, p), part_start(n, threads, p + 1)); });
}

}  // namespace parallel
}  // namespace dg
