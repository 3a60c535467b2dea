// SPDX-License-Identifier: GPL-2.0-only
#include "events/log.h"

#include <cstdio>
#include <string>

#include "events/printable.h"

namespace modrace::log {

namespace {
bool g_verbose = false;
}

void set_verbose(bool on) { g_verbose = on; }
bool verbose_enabled() { return g_verbose; }

void detail::write(std::string_view prefix, std::string_view text) {
  std::string line;
  line.reserve(prefix.size() + text.size() + 1);
  // One line, whatever names from the trace or the kernel the text carries.
  line.append(prefix).append(printable(text)).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void raw(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

void verbose_passthrough(std::string_view prefix, std::string_view text) {
  if (!g_verbose) return;
  std::string line;
  line.append(prefix).append(text);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace modrace::log
