// SPDX-License-Identifier: GPL-2.0-only
#include "loader/tracefs.h"

#include <filesystem>
#include <fstream>

namespace modrace::loader {

std::optional<std::unordered_set<std::string>> ftrace_locations(
    const std::unordered_set<std::string>& wanted, const std::vector<std::string>& tracefs_dirs) {
  for (const auto& dir : tracefs_dirs) {
    std::ifstream in(dir + "/available_filter_functions");
    if (!in) {
      // tracefs is there without a function list: a kernel without the function tracer
      // (CONFIG_FUNCTION_TRACER), whose functions have no fentry nop to attach to.
      if (std::filesystem::exists(dir + "/available_events"))
        return std::unordered_set<std::string>{};
      continue;
    }
    std::unordered_set<std::string> found;
    std::string line;
    while (std::getline(in, line)) {
      std::string name = line.substr(0, line.find(' '));
      if (wanted.count(name)) found.insert(std::move(name));
    }
    if (!found.empty()) return found;
  }
  return std::nullopt;
}

}  // namespace modrace::loader
