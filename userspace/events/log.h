// SPDX-License-Identifier: GPL-2.0-only
//
// Diagnostics on stderr, one line each, prefixed "modrace: " (bpftrace's log.h and retsnoop's
// elog/vlog are the models):
//   verbose()  shown only with -v: start-up timings, load retries, per-program costs;
//   warn()     always: something the user should know that does not stop the command;
//   bug()      always: modrace's own fault (malformed records, an unexpected exception).
// User errors are not logged here: they are thrown as modrace::Error and printed once by main.
#pragma once

#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace modrace::log {

void set_verbose(bool on);
bool verbose_enabled();

namespace detail {
// Writes prefix + text + "\n" to stderr in one call.
void write(std::string_view prefix, std::string_view text);
}  // namespace detail

template <typename... Args>
void verbose(fmt::format_string<Args...> f, Args&&... args) {
  if (verbose_enabled()) detail::write("modrace: ", fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  detail::write("modrace: WARNING: ", fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
void bug(fmt::format_string<Args...> f, Args&&... args) {
  detail::write("modrace: BUG: ", fmt::format(f, std::forward<Args>(args)...));
}

// Another library's own log line (libbpf's), passed through as it is when verbose.
void verbose_passthrough(std::string_view prefix, std::string_view text);

}  // namespace modrace::log
