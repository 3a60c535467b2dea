// SPDX-License-Identifier: GPL-2.0-only
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

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

int main(int argc, char** argv) {
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
    fmt::print(stderr, "modrace: {}\n", e.what());
    return kExitUsage;
  } catch (const Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "modrace: {}\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "modrace: out of memory\n");
    return kExitUsage;
  } catch (const std::exception& e) {
    log::bug("{}", e.what());
    return kExitBug;
  }
  return cli::exit_status();
}
