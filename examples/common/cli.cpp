// Number checks with their range in words, the loss-name table, and one-line parse errors.
#include "common/cli.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <regex>

namespace dg::examples {

namespace {

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// "at least 1", "from 0 to 4096".
std::string whole_range(long long lo, unsigned long long hi) {
    if (hi == std::numeric_limits<unsigned long long>::max()) return "at least " + std::to_string(lo);
    return "from " + std::to_string(lo) + " to " + std::to_string(hi);
}

// "greater than 0", "at least 0", "from 0 to 1", "greater than 0 and at most 0.01", "any number".
std::string real_range(double lo, double hi, bool lo_open, bool hi_open) {
    const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    const std::string low = (lo_open ? "greater than " : "at least ") + number_text(lo);
    const std::string high = (hi_open ? "less than " : "at most ") + number_text(hi);
    if (has_lo && has_hi) {
        if (!lo_open && !hi_open) return "from " + number_text(lo) + " to " + number_text(hi);
        return low + " and " + high;
    }
    if (has_lo) return low;
    if (has_hi) return high;
    return "finite";
}

std::string normalized(std::string s) {
    for (char& c : s)
        if (c == '_') c = '-';
    return s;
}

}  // namespace

CLI::Validator whole_number(long long lo, unsigned long long hi) {
    const std::string range = whole_range(lo, hi);
    return CLI::Validator(
        [lo, hi, range](std::string& text) -> std::string {
            const std::string fail = "must be a whole number, " + range + " (got " + text + ")";
            std::size_t i = 0;
            const bool negative = !text.empty() && text[0] == '-';
            if (!text.empty() && (text[0] == '-' || text[0] == '+')) i = 1;
            if (i == text.size() || text.find_first_not_of("0123456789", i) != std::string::npos) return fail;
            errno = 0;
            const unsigned long long magnitude = std::strtoull(text.c_str() + i, nullptr, 10);
            if (errno == ERANGE) return fail;
            // long double holds every 64-bit integer exactly on x86, so the comparison is exact there.
            const long double value = negative ? -static_cast<long double>(magnitude) : magnitude;
            if (value < static_cast<long double>(lo) || value > static_cast<long double>(hi)) return fail;
            return "";
        },
        range);
}

CLI::Validator real_number(double lo, double hi, bool lo_open, bool hi_open) {
    const std::string range = real_range(lo, hi, lo_open, hi_open);
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            const std::string fail = range == "finite" ? "must be a finite number (got " + text + ")"
                                                       : "must be a number, " + range + " (got " + text + ")";
            char* end = nullptr;
            errno = 0;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return fail;
            if (lo_open ? !(v > lo) : !(v >= lo)) return fail;
            if (hi_open ? !(v < hi) : !(v <= hi)) return fail;
            return "";
        },
        range);
}

const std::vector<LossName>& loss_names() {
    static const std::vector<LossName> table{
        {"cross-entropy", {"softmax-ce", "softmax-cross-entropy"}, "softmax_ce",
         "softmax + cross-entropy on the logits (the network's output)"},
        {"bce-with-logits", {"bce"}, "bce", "binary cross-entropy of sigmoid(output), per output"},
        {"mse", {}, "mse", "mean squared error over every output"},
        {"mse-half", {}, "mse_half", "the notes' (1/m) Σ ½‖a − y‖²"},
        {"nll", {}, "", "negative log-likelihood of log-probabilities (a log_softmax output layer)"},
    };
    return table;
}

const LossName* find_loss(const std::string& text) {
    const std::string key = normalized(text);
    for (const auto& l : loss_names()) {
        if (key == l.name) return &l;
        for (const auto& a : l.aliases)
            if (key == a) return &l;
    }
    return nullptr;
}

std::string loss_choices(bool reference_only) {
    std::string s;
    for (const auto& l : loss_names()) {
        if (reference_only && l.reference.empty()) continue;
        s += (s.empty() ? "" : " | ") + l.name;
        for (std::size_t i = 0; i < l.aliases.size(); ++i) s += (i ? ", " : " (or ") + l.aliases[i];
        if (!l.aliases.empty()) s += ")";
    }
    return s;
}

CLI::Validator loss_option(bool reference_only) {
    return CLI::Validator(
        [reference_only](std::string& text) -> std::string {
            const LossName* l = find_loss(text);
            if (l && reference_only && l->reference.empty())
                return "must be one of " + loss_choices(true) + ": the delta reference has no formula for " + text;
            if (!l) return "must be one of " + loss_choices(reference_only) + " (got " + text + ")";
            text = l->name;
            return "";
        },
        "");
}

std::string plain_message(const CLI::Error& e) {
    const std::string what = e.what();
    std::smatch m;
    // A single-valued option given more than once.
    static const std::regex repeated("^(.+): At Most 1 required but received ([0-9]+)$");
    if (std::regex_match(what, m, repeated)) {
        const std::string times = m[2] == "2" ? "twice" : m[2].str() + " times";
        return m[1].str() + " was given " + times + ": give it once";
    }
    // Our checks say "must be ...": "--batch must be ..." reads better than "--batch: must be ...".
    static const std::regex check("^(--?[A-Za-z0-9-]+): must be (.*)$");
    if (std::regex_match(what, m, check)) return m[1].str() + " must be " + m[2].str();
    return what;
}

int parse_command_line(CLI::App& app, int argc, char** argv, const std::string& program) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << program << ": error: " << plain_message(e) << "\n";
        return 2;
    }
    return -1;
}

}  // namespace dg::examples
