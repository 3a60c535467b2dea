// SPDX-License-Identifier: GPL-2.0-only
//
// Diagnostics on stderr, one line each, prefixed "modrace: " (bpftrace's log.h and retsnoop's
// elog/vlog are the models):
//   verbose()  shown only with -v: start-up timings, load retries, per-program costs;
//   warn()     always: something the user should know that does not stop the command;
//   bug()      always: modrace's own fault (malformed records, an unexpected exception).
// User errors are not logged here: they are thrown as modrace::Error and printed once by main
// (log::error). Nothing here throws or aborts when stderr cannot be written: the line is lost.
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

// Always: what a command reports on stderr as it goes ("modrace: wrote ...").
template <typename... Args>
void note(fmt::format_string<Args...> f, Args&&... args) {
  detail::write("modrace: ", fmt::format(f, std::forward<Args>(args)...));
}

// main's one line for a thrown modrace::Error: "modrace: <what>".
inline void error(std::string_view what) { detail::write("modrace: ", what); }

// `text` as it is, no prefix or newline (the recorder's "\r" status line).
void raw(std::string_view text);

// Another library's own log line (libbpf's), passed through as it is when verbose.
void verbose_passthrough(std::string_view prefix, std::string_view text);

}  // namespace modrace::log
