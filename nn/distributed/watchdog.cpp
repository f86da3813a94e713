// Watchdog: one thread sleeping on a condition variable until the armed deadline passes or the scope ends.
#include "nn/distributed/watchdog.hpp"

#include <cstdio>
#include <cstdlib>

#include "nn/distributed/environment.hpp"

namespace dg::dist {

Watchdog::Watchdog(double seconds, std::string where) : seconds_(seconds), where_(std::move(where)) {
    if (seconds_ > 0) thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void Watchdog::arm(const char* what) {
    if (!thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        what_ = what;
        deadline_ = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds_));
    }
    cv_.notify_one();
}

void Watchdog::disarm() {
    if (!thread_.joinable()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    what_ = nullptr;
}

void Watchdog::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
        if (!what_) {
            cv_.wait(lock);
            continue;
        }
        if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout && what_ &&
            std::chrono::steady_clock::now() >= deadline_) {
            std::fprintf(stderr,
                         "deltagrad distributed: %s: %s did not complete within %g s (another rank failed or hung); "
                         "aborting\n",
                         where_.c_str(), what_, seconds_);
            std::fflush(stderr);
            std::fflush(stdout);
            std::_Exit(watchdog_exit_code);  // mpirun sees a rank die and ends the others
        }
    }
}

}  // namespace dg::dist
