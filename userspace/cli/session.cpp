// SPDX-License-Identifier: GPL-2.0-only
#include "cli/session.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "events/clock.h"
#include "events/error.h"

namespace modrace::cli {

namespace {
volatile sig_atomic_t g_stop_signal = 0;
void on_stop(int sig) { g_stop_signal = sig; }
void on_child(int) {}

// Runs `cmd` (argv) in a child with default signal dispositions; throws Error if fork fails.
pid_t spawn_command(const std::vector<std::string>& cmd) {
  pid_t pid = fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    std::vector<char*> argv;
    for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "modrace: %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, nullptr);
}

int stop_signal() { return g_stop_signal; }

void touch_ready_file(const std::string& path) {
  if (path.empty()) return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": " + std::strerror(errno));
  ::close(fd);
}

int child_exit_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

Session::Session(const std::vector<std::string>& command, double duration_s)
    : duration_s_(duration_s) {
  child_ = command.empty() ? -1 : spawn_command(command);
  start_ns_ = monotonic_ns();
}

bool Session::should_stop() {
  if (child_ > 0 && !child_done_) {
    int st = 0;
    if (waitpid(child_, &st, WNOHANG) == child_) {
      child_done_ = true;
      child_status_ = child_exit_status(st);
    }
  }
  bool timed_out = duration_s_ > 0 && double(monotonic_ns() - start_ns_) / 1e9 >= duration_s_;
  return child_done_ || timed_out || stop_signal();
}

int Session::finish() {
  if (child_ > 0 && !child_done_) {
    // Stopped by a signal or the duration: pass it on and reap the command.
    kill(child_, stop_signal() ? int(stop_signal()) : SIGTERM);
    int st = 0;
    if (waitpid(child_, &st, 0) == child_) child_status_ = child_exit_status(st);
    child_done_ = true;
  }
  return child_ > 0 ? child_status_ : kExitOk;
}

}  // namespace modrace::cli
