// SPDX-License-Identifier: GPL-2.0-only
//
// The command-line options `record` and `live` share, and how they become TracerOptions. The
// session they drive (command, stop, signals) is in session.h.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "events/trace_meta.h"
#include "loader/tracer.h"

namespace modrace::cli {

struct TracingOptions {
  double duration = 0;
  std::string locks = "auto";
  std::vector<std::string> modules;
  std::string ringbuf_size = "32M";
  std::string ready_file;
  bool kprobe_only = false;
  bool verbose = false;
  std::vector<std::string> widen;  // --widen SITE[=DURATION]
  std::vector<std::string> command;
};

// Adds --duration, --locks, --module, --ringbuf-size, --ready-file, --kprobe-only, --widen, -v
// and the trailing COMMAND to `sub`.
void add_tracing_options(CLI::App* sub, TracingOptions& o);
// The options that choose how the tracer attaches, one at a time for `check`, which has these
// three only (and its own help wording for two of them; the defaults are record's and live's).
void add_locks_option(CLI::App* sub, TracingOptions& o,
                      const std::string& help = "Held-lock provider: auto, lockdep, probe, off");
void add_kprobe_only_flag(CLI::App* sub, TracingOptions& o);
void add_verbose_flag(CLI::App* sub, TracingOptions& o,
                      const std::string& help = "Show libbpf's log and attach decisions");
loader::TracerOptions tracer_options(const TracingOptions& o);
uint64_t parse_size(const std::string& s);  // "32M" -> bytes; throws Error
// The end-of-session line of --widen: what the kernel held, skipped and spent.
void note_widen_totals(const loader::Tracer& tracer, const TracingOptions& o);

}  // namespace modrace::cli
