// SPDX-License-Identifier: GPL-2.0-only
#include "events/log.h"

#include <cstdio>
#include <string>

namespace modrace::log {

namespace {
bool g_verbose = false;
}

void set_verbose(bool on) { g_verbose = on; }
bool verbose_enabled() { return g_verbose; }

void detail::write(std::string_view prefix, std::string_view text) {
  std::string line;
  line.reserve(prefix.size() + text.size() + 1);
  line.append(prefix).append(text).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void verbose_passthrough(std::string_view prefix, std::string_view text) {
  if (!g_verbose) return;
  std::string line;
  line.append(prefix).append(text);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace modrace::log
