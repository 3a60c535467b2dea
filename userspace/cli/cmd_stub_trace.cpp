// SPDX-License-Identifier: GPL-2.0-only
// TEMPORARY during the first session's parallel bring-up: the trace component replaces these with real
// cmd_<name>.cpp files and deletes this file. Must be gone before landing.
#include "cli/commands.h"
#include "events/error.h"

namespace modrace::cli {
namespace {
void stub(CLI::App& app, const char* name, const char* what) {
  auto* sub = app.add_subcommand(name, what);
  sub->allow_extras();
  sub->callback([name] { throw Error(std::string(name) + ": not built yet"); });
}
}  // namespace
void add_dump_command(CLI::App& app) { stub(app, "dump", "Print events"); }
void add_info_command(CLI::App& app) { stub(app, "info", "Trace summary"); }
void add_export_command(CLI::App& app) { stub(app, "export", "Export a trace"); }
}  // namespace modrace::cli
