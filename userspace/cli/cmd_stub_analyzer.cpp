// SPDX-License-Identifier: GPL-2.0-only
// TEMPORARY during the first session's parallel bring-up: the analyzer component replaces these with real
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
void add_report_command(CLI::App& app) { stub(app, "report", "Analyse a trace"); }
void add_synth_command(CLI::App& app) { stub(app, "synth", "Synthetic trace"); }
}  // namespace modrace::cli
