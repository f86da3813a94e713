// Generator: the seeded random source every random function in deltagrad takes explicitly.
// Same seed, same numbers, bit for bit, on any standard library (no std::*_distribution is used).
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace dg {

/// A seeded Mersenne Twister (mt19937_64) with its own uniform, normal and integer draws.
class Generator {
public:
    /// Starts the sequence that `seed` names (the same seed gives the same numbers).
    explicit Generator(std::uint64_t seed = 0) : engine_(seed) {}

    /// Uniform in [0, 1), 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    /// Uniform in [low, high).
    double uniform(double low, double high) { return low + (high - low) * uniform(); }
    /// Standard normal by Box–Muller (the second value of each pair is kept for the next call).
    double normal();
    /// Normal with the given mean and standard deviation.
    double normal(double mean, double stddev) { return mean + stddev * normal(); }
    /// Uniform integer in [0, n), without modulo bias.
    std::uint64_t below(std::uint64_t n);
    /// Raw 64 random bits.
    std::uint64_t bits() { return engine_(); }

    /// The full state as text (engine and the spare normal), for resumable training.
    std::string state() const;
    /// Restores a state() text, so the draws continue where that generator was; ValueError if malformed.
    void set_state(const std::string& state);

private:
    std::mt19937_64 engine_;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

}  // namespace dg
