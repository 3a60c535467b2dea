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
  std::vector<std::string> command;
};

// Adds --duration, --locks, --module, --ringbuf-size, --ready-file, --kprobe-only, -v and the
// trailing COMMAND to `sub`.
void add_tracing_options(CLI::App* sub, TracingOptions& o);
loader::TracerOptions tracer_options(const TracingOptions& o);
uint64_t parse_size(const std::string& s);  // "32M" -> bytes; throws Error

}  // namespace modrace::cli
