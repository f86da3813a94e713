// The optimizers run in the training hot loop: after the first step (which allocates the state), step(),
// a schedule's step() and gradient clipping must not allocate. Counted with a replaced global operator new
// (vectors, strings, nodes' closures) plus the blocks handed out by the per-thread pool under every Array and
// graph node (autograd/kernels/pool.hpp), cached or not.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

#include <gtest/gtest.h>

#include "tests/optim/optim_test_util.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

// Replacing the global allocation functions affects the whole test binary; they only count while asked.
void* operator new(std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace dg;
using namespace dg::optim;
using namespace dg::optim::test;

namespace {

/// The number of allocations made by `fn`.
template <class Fn>
long allocations_in(Fn&& fn) {
    allocations = 0;
    const std::uint64_t pooled = dg::pool::allocation_count();
    counting = true;
    fn();
    counting = false;
    return allocations.load() + static_cast<long>(dg::pool::allocation_count() - pooled);
}

template <class T>
void expect_steady_state_without_allocation(Optimizer<T>& opt, std::vector<Tensor<T>>& ps) {
    for (auto& p : ps) {
        std::vector<double> g(p.numel());
        for (std::size_t k = 0; k < g.size(); ++k) g[k] = 0.1 * double(k + 1);
        set_grad(p, g);
    }
    // The first step allocates the state buffers (and the counter sees it).
    EXPECT_GT(allocations_in([&] { opt.step(); }), 0) << opt.name();
    ExponentialLR<T> schedule(opt, 0.99);
    const long n = allocations_in([&] {
        for (int s = 0; s < 10; ++s) {
            clip_grad_norm(ps, 1.0);
            clip_grad_value(ps, 0.5);
            opt.step();
            schedule.step();
        }
    });
    EXPECT_EQ(n, 0) << opt.name() << " allocated in steady-state steps";
}

}  // namespace

TEST(OptimAllocation, CounterSeesAllocations) {
    // The counter itself works: otherwise the zero checks below could not fail.
    const long n = allocations_in([] { auto v = std::make_unique<std::vector<int>>(100); });
    EXPECT_GE(n, 2);
    const long arrays = allocations_in([] { Array<float> a = Array<float>::from_shape({100}); a.fill(1.0f); });
    EXPECT_GE(arrays, 1);
}

TEST(OptimAllocation, NoAllocationAfterTheFirstStep) {
    using T = float;
    auto make = [] { return std::vector<Tensor<T>>{param<T>({1, 2, 3, 4}), param<T>({5, 6})}; };
    {
        auto ps = make();
        SGD<T> opt(ps, SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(1e-4));
        expect_steady_state_without_allocation(opt, ps);
    }
    {
        auto ps = make();
        Adam<T> opt(ps, AdamOptions().amsgrad(true).weight_decay(0.1));
        expect_steady_state_without_allocation(opt, ps);
    }
    {
        auto ps = make();
        AdamW<T> opt(ps);
        expect_steady_state_without_allocation(opt, ps);
    }
    {
        auto ps = make();
        RMSProp<T> opt(ps, RMSPropOptions().centered(true).momentum(0.5));
        expect_steady_state_without_allocation(opt, ps);
    }
    {
        auto ps = make();
        Adagrad<T> opt(ps, AdagradOptions().lr_decay(0.1));
        expect_steady_state_without_allocation(opt, ps);
    }
}
