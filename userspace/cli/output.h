// SPDX-License-Identifier: GPL-2.0-only
//
// Where the commands that read a trace write their output (report, dump, info to stdout or
// `report -o`, `export --perfetto`): one helper, so that every output is checked the same way.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace modrace::cli {

// Refuses (modrace::Error, exit 2) an output path that names the input trace itself, through
// any link: writing there would destroy the trace before, or while, it is read.
void refuse_output_over_input(const std::string& output, const std::string& input);

// A command's output: stdout (path empty or "-"), or a file written through a temporary file
// in its directory that commit() renames into place, so a failure (full disk, a kill) never
// leaves a half-written or truncated file and an older file stays until the new one is whole.
// Outputs that are not regular files (/dev/null, a FIFO) are written directly. Every write is
// checked: a failure throws modrace::Error("<path>: <strerror>") (exit 2), "stdout" for stdout.
class Output {
 public:
  // `input`: the trace being read, refused as the output (refuse_output_over_input).
  explicit Output(const std::string& path, const std::string& input = {});
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output();  // without commit(): the temporary file is removed, the target left as it was

  void write(std::string_view s);
  // For writers that take a stream (the perfetto export); check() after using it.
  std::ostream& stream();
  // Throws if a write through stream() failed.
  void check();
  // Flushes; a file is synced, closed and renamed into place. Throws on failure.
  void commit();
  // The path as given, or "stdout".
  const std::string& name() const { return name_; }

 private:
  class Buffer;
  [[noreturn]] void fail(int err);
  std::string name_, target_, tmp_;
  int fd_ = -1;
  bool own_fd_ = false, committed_ = false;
  std::unique_ptr<Buffer> buf_;
  std::unique_ptr<std::ostream> os_;
};

}  // namespace modrace::cli
