// AtomicFile: writes a file so that readers see either the old contents or the complete new ones, never a
// torn file. Used by every writer of deltagrad::data (IDX, safetensors).
#pragma once

#include <cstddef>
#include <string>

namespace dg::data {

/// Writes to a temporary file next to `path` (same folder, so rename is atomic), then on commit() flushes,
/// fsyncs and renames it over `path`. If commit() is never reached (an exception, a failed write), the
/// destructor removes the temporary file and `path` keeps its old contents.
class AtomicFile {
public:
    /// `who` prefixes error messages, e.g. "save_safetensors". Throws IoError if the temporary file cannot
    /// be created (missing folder, no permission).
    AtomicFile(std::string path, std::string who);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// Appends bytes; throws IoError on a failed or short write (disk full, file size limit).
    void write(const void* data, std::size_t size);
    /// Appends the bytes of a string, as write(data, size).
    void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
    /// fsync, close and rename over the destination. Throws IoError on failure (the old file stays).
    void commit();

    /// The temporary file's path (for tests and diagnostics).
    const std::string& temp_path() const { return temp_path_; }

private:
    [[noreturn]] void fail(const std::string& what, int err);

    std::string path_;
    std::string who_;
    std::string temp_path_;
    int fd_ = -1;
    bool committed_ = false;
};

/// Writes `bytes` to `path` atomically (see AtomicFile).
void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& who);

}  // namespace dg::data
