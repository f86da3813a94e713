// The command lines of the examples and tools: number checks that state their range in words, the one table of
// loss names that train and bpcheck both accept, and the parse step that reports a bad option as one plain line.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace dg::examples {

/// A check for a whole number from lo to hi, made on the text before CLI11 converts it (so "-1" cannot wrap
/// around in an unsigned option): "--batch must be a whole number, at least 1 (got -1)".
CLI::Validator whole_number(long long lo, unsigned long long hi = std::numeric_limits<unsigned long long>::max());

/// A check for a finite number in a range; an end is left out when it is infinite and excluded when open:
/// "--eps must be a number, from 1e-08 to 0.01 (got 0.3)".
CLI::Validator real_number(double lo, double hi = std::numeric_limits<double>::infinity(), bool lo_open = false,
                           bool hi_open = false);

/// One loss as the tools name it: `name` is train's spelling, `aliases` the others accepted (bpcheck's among
/// them), `reference` the delta reference's name (dg::reference::parse_loss), empty when it has no formula.
/// '-' and '_' are interchangeable in every name.
struct LossName {
    std::string name;
    std::vector<std::string> aliases;
    std::string reference;
    std::string what;  ///< one line for --help
};

/// Every loss train or bpcheck accepts: cross-entropy (softmax-ce), bce-with-logits (bce), mse, mse-half, nll.
const std::vector<LossName>& loss_names();

/// The loss called `text` under any of its names, or nullptr.
const LossName* find_loss(const std::string& text);

/// A check for --loss that accepts every name of a loss (only those with a delta-reference formula when
/// `reference_only`) and rewrites the option to the loss's main `name`; its error lists the choices.
CLI::Validator loss_option(bool reference_only);

/// "cross-entropy (or softmax-ce) | ..." for --help.
std::string loss_choices(bool reference_only);

/// Parses the command line. Returns -1 to go on, 0 after --help, and 2 after a bad command line, reported on
/// stderr as one line "<program>: error: <what>", in plain words where CLI11's are not ("--epochs was given
/// twice", not "At Most 1 required but received 2").
int parse_command_line(CLI::App& app, int argc, char** argv, const std::string& program);

/// The one-line message parse_command_line prints for a CLI11 error (without the program prefix).
std::string plain_message(const CLI::Error& e);

}  // namespace dg::examples
