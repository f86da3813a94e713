// Exercises: the problem files and their templates, seeded; a student's answers (computed here with plain loops, as
// a student would) graded right, and each known mistake (a missing 1/m, a transposed ΔW, f' taken of a) named as
// that mistake; missing or malformed answer files refused with the file and the shape expected.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "autograd/array/errors.hpp"
#include "nn/check/exercise.hpp"
#include "support/expect_throw.hpp"

namespace dg::nn {
namespace {

namespace fs = std::filesystem;
using Matrix = std::vector<std::vector<double>>;
using reference::Loss;

fs::path fresh_dir(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("dg_exercise_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(d);
    return d;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

Matrix read(const fs::path& p) {
    Matrix m;
    std::istringstream lines(slurp(p));
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        std::vector<double> row;
        std::istringstream cells(line);
        for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
        m.push_back(row);
    }
    return m;
}

void write(const fs::path& p, const Matrix& m, const char* format = "%.17g", char sep = ',') {
    std::ofstream out(p);
    for (const auto& row : m) {
        for (std::size_t j = 0; j < row.size(); ++j) {
            char buf[40];
            std::snprintf(buf, sizeof buf, format, row[j]);
            out << (j ? std::string(1, sep) : "") << buf;
        }
        out << "\n";
    }
}

Matrix transpose(const Matrix& a) {
    Matrix t(a[0].size(), std::vector<double>(a.size()));
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < a[0].size(); ++j) t[j][i] = a[i][j];
    return t;
}

Matrix times(const Matrix& a, const Matrix& b) {  // a b
    Matrix c(a.size(), std::vector<double>(b[0].size(), 0.0));
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t k = 0; k < b.size(); ++k)
            for (std::size_t j = 0; j < b[0].size(); ++j) c[i][j] += a[i][k] * b[k][j];
    return c;
}

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

struct Student {
    bool forgets_1_over_m = false;
    bool transposes_dW = false;
    bool fprime_of_a = false;
    const char* format = "%.17g";
    char separator = ',';
    bool bias_as_column = false;
};

// A student's solution of an all-sigmoid network with the ½‖ŷ − y‖² loss (the default problem), in plain loops.
void solve(const fs::path& dir, std::size_t layers, const Student& s = {}) {
    const Matrix X = read(dir / "X.csv"), Y = read(dir / "Y.csv");
    std::vector<Matrix> W, a{X};
    std::vector<std::vector<double>> b;
    for (std::size_t l = 1; l <= layers; ++l) {
        W.push_back(read(dir / ("W" + std::to_string(l) + ".csv")));
        b.push_back(read(dir / ("b" + std::to_string(l) + ".csv"))[0]);
        Matrix z = times(a.back(), transpose(W.back()));
        for (auto& row : z)
            for (std::size_t j = 0; j < row.size(); ++j) row[j] = sigmoid(row[j] + b.back()[j]);
        a.push_back(z);
    }
    const double m = static_cast<double>(X.size());
    auto fprime = [&](double act) { return s.fprime_of_a ? sigmoid(act) * (1 - sigmoid(act)) : act * (1 - act); };
    Matrix delta = a[layers];
    for (std::size_t i = 0; i < delta.size(); ++i)
        for (std::size_t j = 0; j < delta[i].size(); ++j)
            delta[i][j] = (a[layers][i][j] - Y[i][j]) * fprime(a[layers][i][j]) / (s.forgets_1_over_m ? 1 : m);
    for (std::size_t l = layers; l >= 1; --l) {
        const std::string n = std::to_string(l);
        const Matrix dW = times(transpose(delta), a[l - 1]);
        Matrix db(1, std::vector<double>(delta[0].size(), 0.0));
        for (const auto& row : delta)
            for (std::size_t j = 0; j < row.size(); ++j) db[0][j] += row[j];
        write(dir / "answer" / ("delta" + n + ".csv"), delta, s.format, s.separator);
        write(dir / "answer" / ("dW" + n + ".csv"), s.transposes_dW ? transpose(dW) : dW, s.format, s.separator);
        write(dir / "answer" / ("db" + n + ".csv"), s.bias_as_column ? transpose(db) : db, s.format, s.separator);
        if (l == 1) break;
        Matrix below = times(delta, W[l - 1]);
        for (std::size_t i = 0; i < below.size(); ++i)
            for (std::size_t j = 0; j < below[i].size(); ++j) below[i][j] *= fprime(a[l - 1][i][j]);
        delta = below;
    }
}

const QuantityGrade& find(const GradeReport& r, const std::string& name, std::size_t layer) {
    for (const auto& q : r.quantities)
        if (q.name == name && q.layer == layer) return q;
    throw std::runtime_error("no " + name + std::to_string(layer));
}

TEST(Exercise, WritesTheProblemTheReadmeAndZeroTemplates) {
    const fs::path dir = fresh_dir("files");
    const std::vector<std::string> files = write_exercise(dir.string(), {});
    const std::vector<std::string> expected{"README.txt", "problem.txt", "X.csv", "Y.csv", "W1.csv", "b1.csv", "W2.csv",
                                            "b2.csv", "answer/delta2.csv", "answer/dW2.csv", "answer/db2.csv",
                                            "answer/delta1.csv", "answer/dW1.csv", "answer/db1.csv"};
    EXPECT_EQ(files, expected);
    EXPECT_EQ(slurp(dir / "problem.txt"),
              "# deltagrad exercise: what bpcheck --grade reads back (README.txt explains it)\n"
              "spec: 2-3-2:sigmoid@1:sigmoid@2\nloss: mse_half\nbatch: 3\nseed: 1\n");
    // shapes: X [3, 2], W1 [3, 2], b1 one line of 3, W2 [2, 3]; every number to one decimal
    const Matrix X = read(dir / "X.csv"), W1 = read(dir / "W1.csv"), b1 = read(dir / "b1.csv"), W2 = read(dir / "W2.csv");
    EXPECT_EQ(X.size(), 3u);
    EXPECT_EQ(X[0].size(), 2u);
    EXPECT_EQ(W1.size(), 3u);
    EXPECT_EQ(W1[0].size(), 2u);
    EXPECT_EQ(b1.size(), 1u);
    EXPECT_EQ(b1[0].size(), 3u);
    EXPECT_EQ(W2.size(), 2u);
    EXPECT_EQ(W2[0].size(), 3u);
    for (const Matrix* m : {&X, &W1, &b1, &W2})
        for (const auto& row : *m)
            for (double v : row) EXPECT_DOUBLE_EQ(std::round(v * 10) / 10, v);
    // the templates: zeros of the answers' shapes
    EXPECT_EQ(read(dir / "answer/delta1.csv"), Matrix(3, std::vector<double>(3, 0.0)));
    EXPECT_EQ(read(dir / "answer/dW1.csv"), Matrix(3, std::vector<double>(2, 0.0)));
    EXPECT_EQ(read(dir / "answer/db2.csv"), Matrix(1, std::vector<double>(2, 0.0)));
    const std::string readme = slurp(dir / "README.txt");
    for (const char* part : {"answer/delta2.csv [3, 2]", "answer/dW1.csv [3, 2]", "δ(2) = (a(2) − y) ⊙ f'(z(2)) / m",
                             "np.loadtxt", "bpcheck --grade"})
        EXPECT_NE(readme.find(part), std::string::npos) << part;
    fs::remove_all(dir);
}

TEST(Exercise, TheSameSeedWritesTheSameProblem) {
    const fs::path a = fresh_dir("seed_a"), b = fresh_dir("seed_b"), c = fresh_dir("seed_c");
    ExerciseOptions o;
    o.seed = 5;
    write_exercise(a.string(), o);
    write_exercise(b.string(), o);
    o.seed = 6;
    write_exercise(c.string(), o);
    for (const char* f : {"X.csv", "Y.csv", "W1.csv", "b2.csv"}) EXPECT_EQ(slurp(a / f), slurp(b / f)) << f;
    EXPECT_NE(slurp(a / "W1.csv"), slurp(c / "W1.csv"));
    for (const fs::path& d : {a, b, c}) fs::remove_all(d);
}

TEST(Exercise, RefusesAFolderThatHoldsAProblemAndKeepsTheAnswers) {
    const fs::path dir = fresh_dir("twice");
    write_exercise(dir.string(), {});
    solve(dir, 2);
    const std::string answer = slurp(dir / "answer/dW1.csv");
    EXPECT_THROW_MSG(write_exercise(dir.string(), {}), ValueError, "already holds a problem", "choose a new folder");
    EXPECT_EQ(slurp(dir / "answer/dW1.csv"), answer);
    fs::remove_all(dir);
}

TEST(Exercise, SaysWhenItCannotMakeTheFolder) {
    const fs::path file = fresh_dir("a_file");
    std::ofstream(file) << "not a folder\n";
    EXPECT_THROW_MSG(write_exercise(file.string(), {}), IoError, "exercise: cannot make the folder '", "/answer': Not a directory");
    fs::remove(file);
}

TEST(Exercise, RefusesANetworkOrBatchTooLargeToWorkByHand) {
    ExerciseOptions o;
    o.spec = "2-101-2:tanh";
    EXPECT_THROW_MSG(write_exercise(fresh_dir("wide").string(), o), ValueError, "a layer of 101 units is too wide",
                     "at most 100");
    o.spec = "2-2-2-2-2-2-2-2-2-2-2-2:tanh";
    EXPECT_THROW_MSG(write_exercise(fresh_dir("deep").string(), o), ValueError, "11 layers are too many");
    o.spec = "2-3-2:tanh";
    o.batch = 0;
    EXPECT_THROW_MSG(write_exercise(fresh_dir("empty").string(), o), ValueError, "from 1 to 100 samples, got 0");
    // a problem.txt edited past the limits is refused before any array is made
    const fs::path dir = fresh_dir("edited");
    write_exercise(dir.string(), {});
    std::ofstream(dir / "problem.txt") << "spec: 2-100000-2:sigmoid\nloss: mse_half\nbatch: 3\nseed: 1\n";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), ValueError, "problem.txt'", "a layer of 100000 units is too wide");
    fs::remove_all(dir);
}

TEST(Exercise, RefusesWhatTheReferenceCannotTake) {
    ExerciseOptions o;
    o.spec = "2-3-1:tanh";
    o.loss = Loss::softmax_ce;
    EXPECT_THROW_MSG(write_exercise(fresh_dir("one_output").string(), o), ValueError, "at least 2 outputs");
}

TEST(Grade, TheExactAnswerIsRight) {
    const fs::path dir = fresh_dir("exact");
    write_exercise(dir.string(), {});
    solve(dir, 2);
    const GradeReport r = grade_exercise(dir.string());
    EXPECT_TRUE(r.ok()) << r.text();
    ASSERT_EQ(r.quantities.size(), 6u);
    for (const auto& q : r.quantities) {
        EXPECT_TRUE(q.right()) << q.file;
        EXPECT_EQ(q.mistake, "");
    }
    EXPECT_NE(r.text().find("PASS: all 6 quantities right"), std::string::npos) << r.text();
    fs::remove_all(dir);
}

TEST(Grade, SixSignificantDigitsNumpysDefaultLayoutAndAColumnOfBiasesAreRight) {
    const fs::path dir = fresh_dir("layouts");
    ExerciseOptions o;
    o.spec = "3-4-2-2:sigmoid:sigmoid-out";
    o.batch = 4;
    write_exercise(dir.string(), o);
    Student s;
    s.format = "%.6g";
    s.separator = ' ';
    s.bias_as_column = true;
    solve(dir, 3, s);
    const GradeReport r = grade_exercise(dir.string());
    EXPECT_TRUE(r.ok()) << r.text();
    EXPECT_EQ(r.quantities.size(), 9u);
    fs::remove_all(dir);
}

TEST(Grade, AMissingOneOverMIsNamed) {
    const fs::path dir = fresh_dir("m");
    write_exercise(dir.string(), {});
    Student s;
    s.forgets_1_over_m = true;
    solve(dir, 2, s);
    const GradeReport r = grade_exercise(dir.string());
    EXPECT_FALSE(r.ok());
    for (const auto& q : r.quantities) {
        EXPECT_FALSE(q.right()) << q.file;
        EXPECT_EQ(q.right_count, 0u) << q.file;
        EXPECT_EQ(q.mistake, "every entry is m = 3 times the expected one: the 1/m of the batch mean is missing") << q.file;
    }
    const std::string text = r.text();
    EXPECT_NE(text.find("FAIL: 0 of 6 quantities right; wrong: δ(2) ΔW(2) Δb(2) δ(1) ΔW(1) Δb(1)"), std::string::npos)
        << text;
    // every entry with yours and the expected value: δ(2)[0, 0] is m times the expected
    const QuantityGrade& d2 = find(r, "delta", 2);
    EXPECT_NEAR(d2.entries[0].yours, 3 * d2.entries[0].expected, 1e-15);
    char line[160];
    std::snprintf(line, sizeof line, "    [0, 0]   yours %12.6g   expected %12.6g   WRONG", d2.entries[0].yours,
                  d2.entries[0].expected);
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
    fs::remove_all(dir);
}

TEST(Grade, ATransposedDeltaWIsNamedAndTheRestIsRight) {
    for (const char* spec : {"2-3-2:sigmoid:sigmoid-out", "2-2-2:sigmoid:sigmoid-out"}) {  // the second: square ΔW
        const fs::path dir = fresh_dir("transposed");
        ExerciseOptions o;
        o.spec = spec;
        write_exercise(dir.string(), o);
        Student s;
        s.transposes_dW = true;
        solve(dir, 2, s);
        const GradeReport r = grade_exercise(dir.string());
        for (const auto& q : r.quantities) {
            if (q.name != "W") {
                EXPECT_TRUE(q.right()) << spec << " " << q.file;
                continue;
            }
            EXPECT_FALSE(q.right()) << spec << " " << q.file;
            EXPECT_EQ(q.mistake.rfind("your ΔW(" + std::to_string(q.layer) + ") is transposed: ΔW(l) = δ(l)ᵀ a(l−1) is "
                                      "[n_l, n_(l−1)]", 0),
                      0u)
                << spec << " " << q.mistake;
        }
        EXPECT_EQ(find(r, "W", 1).given_shape, (spec[2] == '3' ? Shape{2, 3} : Shape{2, 2}));
        fs::remove_all(dir);
    }
}

TEST(Grade, FPrimeOfAIsNamedAndWhatFollowsFromItToo) {
    const fs::path dir = fresh_dir("fprime");
    write_exercise(dir.string(), {});
    Student s;
    s.fprime_of_a = true;
    solve(dir, 2, s);
    const GradeReport r = grade_exercise(dir.string());
    EXPECT_EQ(find(r, "delta", 2).mistake, "f' taken of a(2) where δ(2) needs f'(z(2)) (σ'(z) = a(1 − a): the a is σ(z) already)");
    EXPECT_EQ(find(r, "delta", 1).mistake,
              "f' taken of a(1) where δ(1) needs f'(z(1)) (σ'(z) = a(1 − a): the a is σ(z) already), on top of the mistake "
              "in your δ(2)");
    for (std::size_t l : {1, 2})
        for (const char* name : {"W", "b"})
            EXPECT_EQ(find(r, name, l).mistake, "right given your δ(" + std::to_string(l) + "), which is wrong: fix δ(" +
                                                    std::to_string(l) + ") first");
    fs::remove_all(dir);
}

TEST(Grade, AMissingOneOverMWithSoftmaxCrossEntropy) {
    const fs::path dir = fresh_dir("softmax");
    ExerciseOptions o;
    o.spec = "3-4-3:tanh";
    o.loss = Loss::softmax_ce;
    o.batch = 2;
    o.seed = 4;
    write_exercise(dir.string(), o);
    // the expected answers (the reference's), times m
    const Exercise ex = read_exercise(dir.string());
    const auto r = reference::delta_backprop(ex.net, ex.X, ex.Y, Loss::softmax_ce);
    for (std::size_t l = 1; l <= 2; ++l) {
        const auto& res = r.layers[l - 1];
        auto as_matrix = [](const Array<double>& a) {
            const std::size_t cols = a.dimension() == 1 ? a.size() : a.shape()[1];
            Matrix m(a.size() / cols, std::vector<double>(cols));
            for (std::size_t i = 0; i < a.size(); ++i) m[i / cols][i % cols] = 2 * a.flat(i);
            return m;
        };
        const std::string n = std::to_string(l);
        write(dir / "answer" / ("delta" + n + ".csv"), as_matrix(res.delta));
        write(dir / "answer" / ("dW" + n + ".csv"), as_matrix(res.dW));
        write(dir / "answer" / ("db" + n + ".csv"), as_matrix(res.db));
    }
    const GradeReport g = grade_exercise(dir.string());
    for (const auto& q : g.quantities)
        EXPECT_EQ(q.mistake, "every entry is m = 2 times the expected one: the 1/m of the batch mean is missing") << q.file;
    fs::remove_all(dir);
}

TEST(Grade, TheUntouchedTemplateIsNotAnsweredYet) {
    const fs::path dir = fresh_dir("blank");
    write_exercise(dir.string(), {});
    const GradeReport r = grade_exercise(dir.string());
    for (const auto& q : r.quantities) {
        EXPECT_TRUE(q.blank) << q.file;
        EXPECT_EQ(q.mistake, "every entry is still 0, as in the template: not answered yet?");
    }
    EXPECT_EQ(r.text().find("yours"), std::string::npos) << "no entry lines for an unanswered quantity";
    EXPECT_EQ(r.text().find("more entries"), std::string::npos) << r.text();
    fs::remove_all(dir);
}

TEST(Grade, AWrongShapeIsAWrongAnswer) {
    const fs::path dir = fresh_dir("shape");
    write_exercise(dir.string(), {});
    solve(dir, 2);
    write(dir / "answer/dW1.csv", Matrix(2, std::vector<double>(2, 0.5)));
    const GradeReport r = grade_exercise(dir.string());
    const QuantityGrade& q = find(r, "W", 1);
    EXPECT_FALSE(q.right());
    EXPECT_TRUE(q.entries.empty());
    EXPECT_EQ(q.mistake, "it is [2, 2], expected [3, 2]");
    EXPECT_NE(r.text().find("ΔW(1)  answer/dW1.csv  WRONG: [2, 2] where [3, 2] is expected"), std::string::npos) << r.text();
    fs::remove_all(dir);
}

TEST(Grade, MissingOrMalformedFilesAreClearErrors) {
    const fs::path dir = fresh_dir("malformed");
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "holds no problem.txt", "bpcheck --exercise");
    write_exercise(dir.string(), {});
    solve(dir, 2);
    fs::remove(dir / "answer/dW1.csv");
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "cannot read ΔW(1) (expected [3, 2]: 3 rows of 2 numbers)",
                     "answer/dW1.csv", "cannot open it");
    solve(dir, 2);
    std::ofstream(dir / "answer/db2.csv") << "0.1,zero\n";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "cannot read Δb(2) (expected [2]: 2 numbers", "line 1",
                     "'zero' is not a number");
    std::ofstream(dir / "answer/db2.csv") << "";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "answer/db2.csv", "holds no numbers");
    solve(dir, 2);
    std::ofstream(dir / "answer/delta1.csv") << "1,2,3\n4,5\n";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "δ(1)", "line 2", "ragged row");
    solve(dir, 2);
    std::ofstream(dir / "W2.csv") << "1,2\n";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "W2.csv' holds [1, 2], expected [2, 3]");
    // Numbers beyond a hand computation (found by fuzz_exercise: 1.1e25 took the reference's exp out of xsimd's range).
    std::ofstream(dir / "W2.csv") << "0.1 0.2 0.3\n0.4 1111111111111111111111110 0.6\n";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "W2.csv': line 2, number 2 is 1.111111111", "e+24;",
                     "finite and at most 1e6 in magnitude");
    std::ofstream(dir / "W2.csv") << "0.1 0.2 0.3\n0.4 nan 0.6\n";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "W2.csv': line 2, number 2 is nan");
    std::ofstream(dir / "problem.txt") << "spec: 2-3-2:sigmoid\nloss: mse_half\n";
    EXPECT_THROW_MSG(grade_exercise(dir.string()), IoError, "has no \"batch: ...\" line");
    fs::remove_all(dir);
}

TEST(Grade, AnEntryIsRightWithinATenthOfAPercent) {
    EXPECT_TRUE(entry_right(1.0009, 1.0, 1.0));
    EXPECT_FALSE(entry_right(1.0011, 1.0, 1.0));
    // an entry far below its quantity's largest is judged against 1 % of the largest
    EXPECT_TRUE(entry_right(1e-6, 0.0, 1.0));
    EXPECT_FALSE(entry_right(2e-5, 0.0, 1.0));
    EXPECT_TRUE(entry_right(-0.0, 0.0, 0.0));
    EXPECT_FALSE(entry_right(std::nan(""), 1.0, 1.0));
}

}  // namespace
}  // namespace dg::nn
