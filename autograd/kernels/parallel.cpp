// The worker threads behind parallel::run. Each worker waits for one job at a time: it spins for a short while
// after a job (inside a training step the next large product is microseconds away, and waking a sleeping thread
// costs tens of microseconds), then sleeps on a condition variable.
#include "autograd/kernels/parallel.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "autograd/array/errors.hpp"

extern "C" int openblas_get_num_threads(void);

namespace dg {
namespace {

std::atomic<int> configured_threads{0};  // 0: not read from the environment yet

}  // namespace

int detail::threads_from_environment() {
    if (const char* s = std::getenv("DG_NUM_THREADS")) {
        char* end = nullptr;
        const long n = std::strtol(s, &end, 10);
        if (end == s || *end != '\0' || n < 1 || n > 4096)
            throw ValueError(std::string("DG_NUM_THREADS: expected a thread count from 1 to 4096, got '") + s + "'");
        return static_cast<int>(n);
    }
    const int blas = openblas_get_num_threads();
    return blas > 0 ? blas : 1;
}

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

using Clock = std::chrono::steady_clock;
constexpr auto spin_before_sleep = std::chrono::microseconds(200);
constexpr auto spin_before_yield = std::chrono::microseconds(50);

struct Worker {
    std::atomic<std::uint64_t> posted{0};    // jobs handed to this worker
    std::atomic<std::uint64_t> finished{0};  // jobs it has finished
    // The job: written by the caller before `posted` is bumped (release), read by the worker after (acquire).
    void (*fn)(void*, std::size_t) = nullptr;
    void* ctx = nullptr;
    std::size_t part = 0;
    std::mutex lock;
    std::condition_variable wake;

    void loop() {
        std::uint64_t seen = 0;
        for (;;) {
            if (!spin_until_posted(seen)) {
                std::unique_lock<std::mutex> hold(lock);
                wake.wait(hold, [&] { return posted.load(std::memory_order_acquire) != seen; });
            }
            seen = posted.load(std::memory_order_acquire);
            fn(ctx, part);
            finished.store(seen, std::memory_order_release);
        }
    }

    bool spin_until_posted(std::uint64_t seen) const {
        const auto start = Clock::now();
        for (;;) {
            for (int i = 0; i < 64; ++i) {
                if (posted.load(std::memory_order_acquire) != seen) return true;
                cpu_relax();
            }
            if (Clock::now() - start > spin_before_sleep) return false;
        }
    }

    void post(void (*f)(void*, std::size_t), void* c, std::size_t p) {
        fn = f;
        ctx = c;
        part = p;
        {
            // Under the lock, so that a worker between its check and its wait cannot miss the wake-up.
            std::lock_guard<std::mutex> hold(lock);
            posted.store(posted.load(std::memory_order_relaxed) + 1, std::memory_order_release);
        }
        wake.notify_one();
    }

    void wait_finished() const {
        const std::uint64_t job = posted.load(std::memory_order_relaxed);
        const auto start = Clock::now();
        while (finished.load(std::memory_order_acquire) != job) {
            for (int i = 0; i < 64 && finished.load(std::memory_order_acquire) != job; ++i) cpu_relax();
            // On a loaded machine the worker may have lost its core: give ours up rather than spin against it.
            if (Clock::now() - start > spin_before_yield) std::this_thread::yield();
        }
    }
};

// Workers live as long as the process: the pool is never destroyed, so no thread is joined at exit while a static
// destructor might still run an operation.
struct Pool {
    std::atomic_flag busy = ATOMIC_FLAG_INIT;
    std::vector<Worker*> workers;
    std::vector<Worker*> lost_in_fork;  // kept reachable, so that a forked child's leak check stays quiet

    Pool() { pthread_atfork(nullptr, nullptr, [] { instance().forget_workers(); }); }

    static Pool& instance() {
        static Pool* pool = new Pool;
        return *pool;
    }

    // A forked child has only the thread that forked: the workers are gone, their jobs with them.
    void forget_workers() {
        lost_in_fork.insert(lost_in_fork.end(), workers.begin(), workers.end());
        workers.clear();
        busy.clear();
    }

    // Starts workers until there are `count`; false when the system refuses a thread.
    bool ensure_workers(std::size_t count) {
        while (workers.size() < count) {
            auto* w = new Worker;
            try {
                std::thread(&Worker::loop, w).detach();
            } catch (const std::system_error&) {
                delete w;
                return false;
            }
            workers.push_back(w);
        }
        return true;
    }
};

void run_serially(std::size_t parts, void (*fn)(void*, std::size_t), void* ctx) {
    for (std::size_t part = 0; part < parts; ++part) fn(ctx, part);
}

}  // namespace

int num_threads() {
    int n = configured_threads.load(std::memory_order_relaxed);
    if (n == 0) {
        n = detail::threads_from_environment();
        int expected = 0;
        if (!configured_threads.compare_exchange_strong(expected, n)) n = expected;  // set meanwhile: that wins
    }
    return n;
}

void set_num_threads(int threads) {
    if (threads < 1)
        throw ValueError("set_num_threads: expected a thread count >= 1, got " + std::to_string(threads));
    configured_threads.store(threads, std::memory_order_relaxed);
}

namespace parallel {

std::size_t part_start(std::size_t extent, std::size_t parts, std::size_t p) {
    if (p == 0) return 0;
    if (p >= parts) return extent;
    const std::size_t even = extent * p / parts;
    return std::min(extent, (even + part_unit / 2) / part_unit * part_unit);
}

void run_parts(std::size_t parts, void (*fn)(void*, std::size_t), void* ctx) {
    if (parts <= 1) return run_serially(parts, fn, ctx);
    Pool& pool = Pool::instance();
    if (pool.busy.test_and_set(std::memory_order_acquire)) return run_serially(parts, fn, ctx);
    struct Release {
        Pool& pool;
        ~Release() { pool.busy.clear(std::memory_order_release); }
    } release{pool};
    if (!pool.ensure_workers(parts - 1)) return run_serially(parts, fn, ctx);
    for (std::size_t part = 1; part < parts; ++part) pool.workers[part - 1]->post(fn, ctx, part);
    fn(ctx, 0);
    for (std::size_t part = 1; part < parts; ++part) pool.workers[part - 1]->wait_finished();
}

}  // namespace parallel
}  // namespace dg
