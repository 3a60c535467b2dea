// SPDX-License-Identifier: GPL-2.0-only
#include "cli/output.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "events/error.h"

namespace modrace::cli {

void refuse_output_over_input(const std::string& output, const std::string& input) {
  if (output.empty() || output == "-") return;
  struct stat out {
  }, in{};
  if (::stat(output.c_str(), &out) != 0 || ::stat(input.c_str(), &in) != 0) return;
  if (out.st_dev == in.st_dev && out.st_ino == in.st_ino)
    throw Error(fmt::format("{}: is the input trace {}; refusing to overwrite it", output, input));
}

}  // namespace modrace::cli
