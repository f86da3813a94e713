// ProgressBar: one epoch's progress with loss, accuracy and samples/s — a bar rewritten in place on a terminal,
// plain periodic lines (every quarter of the epoch) when the output is a file or a pipe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace dg::examples {

/// True when `stream` (stdout, stderr) is a terminal.
bool is_terminal(std::FILE* stream);

class ProgressBar {
public:
    /// `total` steps (batches) labelled `label` ("epoch 3/15"), written to `out`; `interactive` picks the
    /// in-place bar (a terminal) or periodic lines.
    ProgressBar(std::string label, std::size_t total, std::FILE* out, bool interactive);

    /// Records that `done` of `total` steps are finished, with the running loss and accuracy and the samples
    /// seen so far in this bar (for samples/s). Redraws at most ~10 times a second on a terminal; prints a
    /// line at 25 %, 50 % and 75 % otherwise.
    void update(std::size_t done, double loss, double accuracy, std::size_t samples);
    /// Ends the bar: on a terminal, clears the line so the caller's summary replaces it.
    void finish();

    /// Samples per second since construction.
    double samples_per_second(std::size_t samples) const;

private:
    std::string line(std::size_t done, double loss, double accuracy, std::size_t samples, int width) const;

    std::string label_;
    std::size_t total_;
    std::FILE* out_;
    bool interactive_;
    std::chrono::steady_clock::time_point start_, last_draw_;
    int next_quarter_ = 1;
    std::size_t drawn_width_ = 0;
};

}  // namespace dg::examples
