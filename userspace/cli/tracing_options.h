// SPDX-License-Identifier: GPL-2.0-only
//
// What `record` and `live` share: the tracer's command-line options, the command they run
// while tracing, and the signals that stop them.
#pragma once

#include <sys/types.h>

#include <csignal>
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
std::string drops_text(const DropCounters& d);

// Runs `cmd` (argv) in a child with default signal dispositions; throws Error if fork fails.
pid_t spawn_command(const std::vector<std::string>& cmd);
// Creates `path` (empty: nothing), to tell a script that probes are attached.
void touch_ready_file(const std::string& path);

// SIGINT/SIGTERM set stop_signal(); SIGCHLD only interrupts waits. Installed without SA_RESTART
// so a blocking ring-buffer wait returns at once.
void install_stop_handlers();
int stop_signal();

uint64_t monotonic_ns();
uint64_t realtime_ns();

}  // namespace modrace::cli
