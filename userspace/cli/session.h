// SPDX-License-Identifier: GPL-2.0-only
//
// One tracing session, shared by `record` and `live`: the signals that stop it, the command
// run meanwhile, the stop condition (the command exited, --duration passed, SIGINT/SIGTERM),
// and at the end the signal passed on to a command still running and its exit status.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace modrace::cli {

// SIGINT/SIGTERM set stop_signal(); SIGCHLD only interrupts waits. Installed without SA_RESTART
// so a blocking ring-buffer wait returns at once.
void install_stop_handlers();
int stop_signal();

// Creates `path` (empty: nothing), to tell a script that probes are attached.
void touch_ready_file(const std::string& path);

// A command's exit status as a shell reports it: its exit code, or 128 + the signal that
// killed it.
int child_exit_status(int wait_status);

class Session {
 public:
  // Starts `command` (argv; none when empty) with default signal dispositions, and the clock
  // for `duration_s` (0: no limit). Throws Error if fork fails.
  Session(const std::vector<std::string>& command, double duration_s);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Whether tracing should stop now: the command exited (it is reaped here), the duration
  // passed, or SIGINT/SIGTERM arrived. Never blocks.
  bool should_stop();
  // Ends the session: a command still running (tracing was stopped by a signal or the
  // duration) gets that signal, or SIGTERM, and is reaped. Returns the command's exit status,
  // 0 when there was no command.
  int finish();

 private:
  pid_t child_ = -1;
  bool child_done_ = false;
  int child_status_ = 0;
  uint64_t start_ns_ = 0;
  double duration_s_ = 0;
};

}  // namespace modrace::cli
