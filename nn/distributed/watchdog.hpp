// Watchdog: a deadline on blocking collectives. MPI has no timeout of its own: if a peer hangs (or dies in a way
// mpirun does not notice), a rank waits in MPI_Allreduce forever. The watchdog ends this rank instead, loudly.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace dg::dist {

/// A background thread that ends the process if an armed operation is not disarmed within `seconds`.
/// It prints `deltagrad distributed: <where>: <what> did not complete within N s ...` and calls std::_Exit(watchdog_exit_code);
/// mpirun then terminates the other ranks. It never calls MPI itself (MPI runs funneled through the main thread).
class Watchdog {
public:
    /// seconds <= 0 disables it (no thread).
    Watchdog(double seconds, std::string where);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    /// Starts the deadline for `what` (e.g. "MPI_Allreduce of the gradients").
    void arm(const char* what);
    void disarm();                               ///< the armed operation completed: no deadline
    double seconds() const { return seconds_; }  ///< the deadline given at construction (<= 0: disabled)

private:
    void loop();

    double seconds_;
    std::string where_;
    std::mutex mutex_;
    std::condition_variable cv_;
    const char* what_ = nullptr;
    std::chrono::steady_clock::time_point deadline_;
    bool stop_ = false;
    std::thread thread_;
};

/// Arms a watchdog for one scope.
class WatchdogScope {
public:
    /// Arms `dog` for `what` until the scope ends (`what` must outlive the scope).
    WatchdogScope(Watchdog& dog, const char* what) : dog_(dog) { dog_.arm(what); }
    ~WatchdogScope() { dog_.disarm(); }
    WatchdogScope(const WatchdogScope&) = delete;
    WatchdogScope& operator=(const WatchdogScope&) = delete;

private:
    Watchdog& dog_;
};

}  // namespace dg::dist
