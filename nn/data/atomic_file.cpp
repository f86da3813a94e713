// AtomicFile: temporary file + fsync + rename, with cleanup of the temporary on any failure.
#include "nn/data/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autograd/array/errors.hpp"

namespace dg::data {
namespace {

std::string parent_dir(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string who) : path_(std::move(path)), who_(std::move(who)) {
    // mkstemp needs a writable template; the temporary lives in the destination's folder so that the
    // final rename never crosses a file system (which would make it a non-atomic copy).
    std::string tmpl = path_ + ".tmp.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    fd_ = ::mkstemp(buf.data());
    if (fd_ < 0) {
        const int err = errno;
        throw IoError(who_ + ": cannot write '" + path_ + "': cannot create a temporary file in '" +
                      parent_dir(path_) + "': " + std::strerror(err));
    }
    temp_path_ = buf.data();
    // mkstemp creates 0600; keep an existing file's mode, else the usual 0644.
    struct stat st {};
    const mode_t mode = ::stat(path_.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
    ::fchmod(fd_, mode);
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::fail(const std::string& what, int err) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
    throw IoError(who_ + ": cannot write '" + path_ + "': " + what + ": " + std::strerror(err) +
                  " (the previous file, if any, is unchanged)");
}

void AtomicFile::write(const void* data, std::size_t size) {
    if (fd_ < 0) throw IoError(who_ + ": cannot write '" + path_ + "': file already committed or failed");
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ::ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write failed", errno);
        }
        if (n == 0) fail("write returned 0", EIO);
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

void AtomicFile::commit() {
    if (fd_ < 0) throw IoError(who_ + ": cannot write '" + path_ + "': file already committed or failed");
    if (::fsync(fd_) != 0) fail("fsync failed", errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("close failed", errno);
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("rename failed", errno);
    committed_ = true;
    // Make the rename itself durable; a failure here cannot undo the (already visible) new file.
    const int dir = ::open(parent_dir(path_).c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& who) {
    AtomicFile file(path, who);
    file.write(bytes);
    file.commit();
}

}  // namespace dg::data
