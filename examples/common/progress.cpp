// ProgressBar: formatting of the bar and the choice between in-place redraws and periodic lines.
#include "common/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace dg::examples {

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

ProgressBar::ProgressBar(std::string label, std::size_t total, std::FILE* out, bool interactive)
    : label_(std::move(label)), total_(std::max<std::size_t>(total, 1)), out_(out), interactive_(interactive),
      start_(std::chrono::steady_clock::now()), last_draw_(start_ - std::chrono::seconds(1)) {}

double ProgressBar::samples_per_second(std::size_t samples) const {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return seconds > 0 ? samples / seconds : 0.0;
}

std::string ProgressBar::line(std::size_t done, double loss, double accuracy, std::size_t samples, int width) const {
    char stats[160];
    std::snprintf(stats, sizeof stats, " %zu/%zu  loss %.4f  acc %.4f  %.0f samples/s", done, total_, loss, accuracy,
                  samples_per_second(samples));
    std::string out = label_;
    if (width > 0) {
        const int filled = static_cast<int>(width * done / total_);
        out += " [" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    } else {
        char pct[16];
        std::snprintf(pct, sizeof pct, " %3.0f%%", 100.0 * done / total_);
        out += pct;
    }
    return out + stats;
}

void ProgressBar::update(std::size_t done, double loss, double accuracy, std::size_t samples) {
    if (interactive_) {
        const auto now = std::chrono::steady_clock::now();
        if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        const std::string text = line(done, loss, accuracy, samples, 30);
        // Pad with spaces so a shorter line fully covers the previous one.
        const std::size_t pad = drawn_width_ > text.size() ? drawn_width_ - text.size() : 0;
        std::fprintf(out_, "\r%s%s", text.c_str(), std::string(pad, ' ').c_str());
        std::fflush(out_);
        drawn_width_ = text.size();
        return;
    }
    // Periodic lines: one per quarter of the epoch, never the last (the caller's summary follows it).
    if (next_quarter_ < 4 && done * 4 >= total_ * next_quarter_ && done < total_) {
        while (next_quarter_ < 4 && done * 4 >= total_ * next_quarter_) ++next_quarter_;
        std::fprintf(out_, "%s\n", line(done, loss, accuracy, samples, 0).c_str());
        std::fflush(out_);
    }
}

void ProgressBar::finish() {
    if (interactive_ && drawn_width_ > 0) {
        std::fprintf(out_, "\r%s\r", std::string(drawn_width_, ' ').c_str());
        std::fflush(out_);
        drawn_width_ = 0;
    }
}

}  // namespace dg::examples
