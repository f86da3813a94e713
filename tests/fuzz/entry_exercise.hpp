// The fuzz entry point of bpcheck's exercise files (deltagrad::check): a problem folder written once, then one of its
// files replaced by the input and the folder graded. dg::Error is the one allowed failure.
#pragma once

#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "autograd/array/errors.hpp"
#include "nn/check/exercise.hpp"

namespace dg::fuzz {

/// A problem folder with the default exercise (answers still the zero templates), removed at exit.
class ExerciseFolder {
public:
    ExerciseFolder() {
        std::string pattern = (std::filesystem::temp_directory_path() / "dg-fuzz-exercise-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("fuzz exercise: cannot make a temporary folder");
        dir_ = pattern;
        for (const std::string& file : nn::write_exercise(dir_.string(), nn::ExerciseOptions{})) {
            std::ifstream in(dir_ / file, std::ios::binary);
            files_.push_back({file, std::string(std::istreambuf_iterator<char>(in), {})});
        }
    }
    ~ExerciseFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    ExerciseFolder(const ExerciseFolder&) = delete;
    ExerciseFolder& operator=(const ExerciseFolder&) = delete;

    /// The folder, and each file written (relative path, original content).
    const std::filesystem::path& dir() const { return dir_; }
    const std::vector<std::pair<std::string, std::string>>& files() const { return files_; }

    /// Writes `content` as file `i`.
    void write(std::size_t i, const std::string& content) const {
        std::ofstream(dir_ / files_[i].first, std::ios::binary | std::ios::trunc) << content;
    }

private:
    std::filesystem::path dir_;
    std::vector<std::pair<std::string, std::string>> files_;
};

/// The first byte picks a file of the problem folder, the rest replaces it; the folder is graded (the report's text
/// made), then the file is put back.
inline void run_exercise(const std::uint8_t* data, std::size_t size) {
    static const ExerciseFolder folder;
    if (size == 0) return;
    const std::size_t i = data[0] % folder.files().size();
    folder.write(i, std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    try {
        const nn::GradeReport report = nn::grade_exercise(folder.dir().string());
        (void)report.text();
    } catch (const dg::Error&) {}
    folder.write(i, folder.files()[i].second);
}

}  // namespace dg::fuzz
