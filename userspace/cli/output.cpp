// SPDX-License-Identifier: GPL-2.0-only
#include "cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <streambuf>
#include <utility>

#include <fmt/format.h>

#include "events/error.h"

namespace modrace::cli {

void refuse_output_over_input(const std::string& output, const std::string& input) {
  if (output.empty() || output == "-" || input.empty()) return;
  struct stat out {
  }, in{};
  if (::stat(output.c_str(), &out) != 0 || ::stat(input.c_str(), &in) != 0) return;
  if (out.st_dev == in.st_dev && out.st_ino == in.st_ino)
    throw Error(fmt::format("{}: is the input trace {}; refusing to overwrite it", output, input));
}

// A buffer over a file descriptor that keeps the errno of the write that failed (std::filebuf
// does not say why).
class Output::Buffer final : public std::streambuf {
 public:
  explicit Buffer(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return error_; }
  bool drain() {
    const char* p = pbase();
    while (p < pptr() && !error_) {
      ssize_t n = ::write(fd_, p, static_cast<size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        error_ = n < 0 ? errno : EIO;
      else
        p += n;
    }
    setp(buf_, buf_ + sizeof buf_);
    return !error_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  int fd_;
  int error_ = 0;
  char buf_[64 * 1024];
};

Output::Output(const std::string& path, const std::string& input) {
  if (path.empty() || path == "-") {
    name_ = "stdout";
    std::fflush(stdout);  // whatever stdio holds goes first
    fd_ = STDOUT_FILENO;
  } else {
    name_ = path;
    refuse_output_over_input(path, input);
    // Write through a link to where it points; replace only regular files.
    target_ = path;
    if (char* real = ::realpath(path.c_str(), nullptr)) {
      target_ = real;
      std::free(real);
    }
    struct stat st {};
    bool exists = ::stat(target_.c_str(), &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) fail(EISDIR);
    if (exists && !S_ISREG(st.st_mode)) {
      fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) fail(errno);
    } else {
      auto slash = target_.rfind('/');
      std::string dir = slash == std::string::npos ? "" : target_.substr(0, slash + 1);
      std::string base = slash == std::string::npos ? target_ : target_.substr(slash + 1);
      tmp_ = dir + "." + base + ".XXXXXX";
      fd_ = ::mkostemp(tmp_.data(), O_CLOEXEC);
      if (fd_ < 0) {
        tmp_.clear();
        fail(errno);
      }
      // The mode a plain create would give (an existing file keeps its own).
      mode_t mask = ::umask(0);
      ::umask(mask);
      ::fchmod(fd_, exists ? st.st_mode & 07777 : 0666 & ~mask);
    }
    own_fd_ = true;
  }
  buf_ = std::make_unique<Buffer>(fd_);
  os_ = std::make_unique<std::ostream>(buf_.get());
}

Output::~Output() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void Output::fail(int err) { throw Error(fmt::format("{}: {}", name_, std::strerror(err))); }

void Output::write(std::string_view s) {
  os_->write(s.data(), static_cast<std::streamsize>(s.size()));
  check();
}

std::ostream& Output::stream() { return *os_; }

void Output::check() {
  if (buf_->error()) fail(buf_->error());
  if (!*os_) fail(EIO);
}

void Output::commit() {
  os_->flush();
  check();
  if (!own_fd_) return;
  if (!tmp_.empty() && ::fsync(fd_) != 0) fail(errno);
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail(errno);
  if (!tmp_.empty() && ::rename(tmp_.c_str(), target_.c_str()) != 0) fail(errno);
  committed_ = true;
}

}  // namespace modrace::cli
