// Backprop exercises with checkable answers (bpcheck --exercise / --grade): a seeded problem written as CSV files a
// student reads from numpy, C++ or by hand, and the grader that compares their δ(l), ΔW(l), Δb(l) with the delta
// reference entry by entry and names the likely mistake (a missing 1/m, a transposed ΔW, f' taken of a, ...).
//
// A problem folder:
//   README.txt            the task, the conventions, the files and how to read them
//   problem.txt           "spec: ...", "loss: ...", "batch: ...", "seed: ..." (what --grade reads back)
//   X.csv [m, n0]  Y.csv [m, nL]  W<l>.csv [n_l, n_{l−1}]  b<l>.csv [n_l] (one line)   the network and the batch
//   answer/delta<l>.csv [m, n_l]  answer/dW<l>.csv [n_l, n_{l−1}]  answer/db<l>.csv [n_l]   zeros, for the student
// CSV: one matrix row per line, comma-separated (whitespace-separated is read too, as numpy's savetxt writes by
// default); a vector on one line or one number per line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/array/xt.hpp"
#include "nn/reference/delta_backprop.hpp"

namespace dg::nn {

/// An exercise is worked by hand: at most this many units in a layer (the input's included), layers, and samples.
inline constexpr std::size_t exercise_max_units = 100, exercise_max_layers = 10, exercise_max_batch = 100;

/// What a problem is made of. The defaults are the notes' hand-worked setting: sigmoid units and the ½‖ŷ − y‖² loss.
struct ExerciseOptions {
    std::string spec = "2-3-2:sigmoid:sigmoid-out";  ///< an Mlp spec (built-in activations only)
    reference::Loss loss = reference::Loss::mse_half;  ///< with its batch convention (README.txt states it)
    std::size_t batch = 3;   ///< m
    std::uint64_t seed = 1;  ///< the weights, biases, inputs and targets
};

/// Writes a problem into `dir` (created when missing): weights and biases U(−1, 1) and U(−0.5, 0.5), inputs N(0, 1),
/// all rounded to one decimal so that the forward pass can be done by hand; targets one-hot (softmax_ce), 0/1
/// (bce) or U(0, 1) to one decimal (mse, mse_half); drawn again while a pre-activation of a kinked layer is 0.
/// Every file is written atomically. Refused (ValueError) when `dir` already holds a problem, so that answers are
/// never overwritten; ValueError for a spec or loss the delta reference cannot take, or beyond the limits above. Returns the files written,
/// relative to `dir`.
std::vector<std::string> write_exercise(const std::string& dir, const ExerciseOptions& options);

/// A problem read back from its folder: the settings, the network and the batch as the files hold them.
struct Exercise {
    ExerciseOptions options;           ///< as problem.txt gives them
    reference::MlpParams<double> net;  ///< the output activation as the reference takes it (logits for softmax_ce)
    Array<double> X;  ///< the batch [m, n0], a row per sample
    Array<double> Y;  ///< the targets [m, nL]
};

/// Reads problem.txt and the CSV files of `dir`. IoError naming the file for one missing or malformed, or whose
/// shape does not fit the spec and batch.
Exercise read_exercise(const std::string& dir);

/// One entry of a graded quantity.
struct EntryGrade {
    std::size_t flat = 0;  ///< flat index in the expected shape
    double yours = 0;      ///< the student's value
    double expected = 0;   ///< the delta reference's
    bool right = false;    ///< see entry_right
};

/// One of δ(l), ΔW(l), Δb(l) of a student's answer.
struct QuantityGrade {
    std::size_t layer = 0;  ///< l
    std::string name;       ///< "delta", "W" or "b" (as bpcheck's reports name them)
    std::string file;  ///< relative to the folder: "answer/delta2.csv"
    Shape expected_shape;             ///< [m, n_l], [n_l, n_(l−1)] or [n_l]
    Shape given_shape;                ///< as the file holds it (a vector's row or column taken as [n])
    std::vector<EntryGrade> entries;  ///< empty when the shapes differ
    std::size_t right_count = 0;      ///< entries right
    std::string mistake;  ///< the likely mistake in words; "" when right or when no known mistake explains it
    bool blank = false;   ///< every entry still 0, as the template left it
    /// Every entry right, in the right shape.
    bool right() const { return given_shape == expected_shape && right_count == entries.size(); }
};

/// Every quantity of an answer, from the last layer down (the order backward computes them).
struct GradeReport {
    std::string dir;                        ///< the folder, as given
    ExerciseOptions options;                ///< the problem's settings
    std::vector<QuantityGrade> quantities;  ///< δ(L), ΔW(L), Δb(L), δ(L−1), ...
    /// Every quantity right.
    bool ok() const;
    /// Per layer and quantity: right, or wrong with every entry (yours, expected, right/wrong) and the likely mistake;
    /// then "PASS: ..." or "FAIL: ...".
    std::string text() const;
};

/// An entry is right when |yours − expected| ≤ 1e-3 · max(|expected|, 0.01 · the quantity's largest |value|):
/// within 0.1 % (entries below 1 % of the largest: within 0.001 % of the largest), so 6 significant digits do.
bool entry_right(double yours, double expected, double largest);

/// Grades the answer files of `dir` against the delta reference on its problem. A wrong shape is a wrong answer (a
/// transposed one is named); a missing or unreadable answer file is an IoError that names it and the shape expected.
GradeReport grade_exercise(const std::string& dir);

}  // namespace dg::nn
