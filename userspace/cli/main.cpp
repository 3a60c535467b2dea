// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <system_error>

#include <fmt/format.h>

#include "cli/commands.h"
#include "events/error.h"
#include "events/log.h"
#include "version.h"

namespace modrace::cli {
namespace {
int g_exit_status = kExitOk;
}
void set_exit_status(int status) { g_exit_status = status; }
int exit_status() { return g_exit_status; }
bool use_colour() { return isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR"); }
}  // namespace modrace::cli

namespace {

// A closed stdin, stdout or stderr (`>&-`) gets /dev/null opened read-only in its place: a file
// modrace opens later can never become fd 1 (and take the output), and writes there fail (EBADF)
// and are reported as they would be on the closed descriptor.
void reserve_standard_fds() {
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int n = open("/dev/null", O_RDONLY);
      if (n >= 0 && n != fd) close(n);  // not fd (open takes the lowest free one): undo
    }
}

bool g_stdout_failed = false;  // already reported (a write to stdout threw)

// Whatever stdio still holds for stdout, written now and checked: output lost to a full disk or
// a closed stdout is exit 2 with one line, never success.
int finish_stdout(int status) {
  if (g_stdout_failed) return status;
  errno = 0;
  bool failed = std::fflush(stdout) != 0;
  failed = std::ferror(stdout) || failed;
  if (!failed) return status;
  modrace::log::error(fmt::format("stdout: {}", errno ? std::strerror(errno) : "write error"));
  return status == modrace::kExitBug ? status : modrace::kExitUsage;
}

int run(int argc, char** argv) {
  using namespace modrace;
  CLI::App app{
      "modrace: checks the kernel module lock/refcount protocol on a running kernel "
      "or a recorded trace"};
  app.name("modrace");
  app.set_version_flag("--version", fmt::format("modrace {}", MODRACE_VERSION));
  app.require_subcommand(1);
  app.footer(
      "Exit status: 0 ok, 1 findings at or above --fail-on, 2 usage/input/privilege error.\n"
      "See docs/usage.md.");
  cli::add_check_command(app);
  cli::add_record_command(app);
  cli::add_live_command(app);
  cli::add_report_command(app);
  cli::add_dump_command(app);
  cli::add_info_command(app);
  cli::add_export_command(app);
  cli::add_synth_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    log::error(e.what());
    return kExitUsage;
  } catch (const Error& e) {
    std::fflush(stdout);
    log::error(e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    log::error("out of memory");
    return kExitUsage;
  } catch (const std::system_error& e) {
    // fmt::print to stdout throws when the write fails: an output error, not a bug.
    if (std::ferror(stdout)) {
      g_stdout_failed = true;
      log::error(fmt::format("stdout: {}", e.code().message()));
      return kExitUsage;
    }
    log::bug("{}", e.what());
    return kExitBug;
  } catch (const std::exception& e) {
    log::bug("{}", e.what());
    return kExitBug;
  }
  return cli::exit_status();
}

}  // namespace

int main(int argc, char** argv) {
  reserve_standard_fds();
  return finish_stdout(run(argc, argv));
}
